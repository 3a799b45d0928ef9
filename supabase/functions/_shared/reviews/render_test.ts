import assert from "node:assert/strict";
import {
  checkTemplates,
  LONGEST_SAMPLE_VALUES,
  renderEmail,
  renderSms,
  type RenderValues,
  reviewLinkFor,
  SMS_FOOTER,
  SMS_MAX_LENGTH,
  technicianLabel,
} from "./render.ts";

const LINK = "https://proj.supabase.co/functions/v1/review-link?t=AbCdEfGhIjKlMnOpQrStUv";
const VALUES: RenderValues = { firstName: "Jane", businessName: "Brightside Cleaning", technicians: ["Sam Lee"], link: LINK };
const DEFAULT_SMS = "Hi {first_name}, thanks for choosing {business_name}! Would you take a moment to review {technician}'s work? {link}";

Deno.test("the link carries the request's token as t on the configured base", () => {
  assert.equal(
    reviewLinkFor("https://proj.supabase.co/functions/v1/review-link", "AbCdEfGhIjKlMnOpQrStUv"),
    LINK,
  );
  assert.equal(reviewLinkFor("https://rv.example.com/r", "tok"), "https://rv.example.com/r?t=tok");
});

Deno.test("an SMS fills every placeholder and ends with the STOP footer", () => {
  const sms = renderSms(DEFAULT_SMS, VALUES);
  assert.equal(
    sms.body,
    `Hi Jane, thanks for choosing Brightside Cleaning! Would you take a moment to review Sam Lee's work? ${LINK}\n${SMS_FOOTER}`,
  );
  assert.equal(sms.shortened, false);
  assert.equal(sms.length, sms.body.length);
});

Deno.test("technicians read as a list; nobody named and no first name fall back to plain words", () => {
  assert.equal(technicianLabel(["Sam"]), "Sam");
  assert.equal(technicianLabel(["Sam", "Alex"]), "Sam and Alex");
  assert.equal(technicianLabel(["Sam", " Alex ", "Jo"]), "Sam, Alex and Jo");
  const sms = renderSms(DEFAULT_SMS, { ...VALUES, firstName: null, technicians: [] });
  assert.match(sms.body, /^Hi there, .* review our team's work\?/);
});

Deno.test("a text over 320 characters loses free text, never the link or the footer", () => {
  const long = { ...VALUES, businessName: "B".repeat(150), technicians: ["T".repeat(80)] };
  const sms = renderSms(DEFAULT_SMS, long);
  assert.ok(sms.length <= SMS_MAX_LENGTH, `${sms.length} characters`);
  assert.equal(sms.shortened, true);
  assert.ok(sms.body.endsWith(`${LINK}\n${SMS_FOOTER}`));
  assert.match(sms.body, /\.\.\. https:\/\//);
  assert.ok(sms.body.startsWith("Hi Jane, thanks for choosing BBB"));
});

Deno.test("text after the link is shortened too, and a cut never splits an emoji", () => {
  const sms = renderSms(`{link} ${"🙂".repeat(200)}`, VALUES);
  assert.ok(sms.length <= SMS_MAX_LENGTH);
  assert.ok(sms.body.startsWith(LINK));
  assert.ok(sms.body.endsWith(SMS_FOOTER));
  assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(sms.body), "a lone high surrogate");
});

Deno.test("an email escapes every value and the template, in the subject line too", () => {
  const email = renderEmail(
    { subject: "How did {business_name} do?", body: "Hi {first_name} <b>,\n\nThanks!\n\n{link}\n\nFrom {business_name}" },
    { ...VALUES, firstName: `<script>alert("x")</script>`, businessName: "Tom & Jerry's" },
    "https://proj.supabase.co/functions/v1/review-unsubscribe?t=Unsub",
  );
  assert.equal(email.subject, "How did Tom & Jerry's do?");
  assert.match(email.html, /<title>How did Tom &amp; Jerry&#39;s do\?<\/title>/);
  assert.ok(!email.html.includes("<script>"));
  assert.match(email.html, /Hi &lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &lt;b&gt;,/);
  assert.match(email.html, new RegExp(`<a href="${LINK.replace(/[.?]/g, "\\$&")}"[^>]*>Leave a review</a>`));
  assert.match(email.html, /<a href="https:\/\/proj\.supabase\.co\/functions\/v1\/review-unsubscribe\?t=Unsub"[^>]*>Unsubscribe<\/a>/);
  assert.equal(
    email.text,
    `Hi <script>alert("x")</script> <b>,\n\nThanks!\n\n${LINK}\n\nFrom Tom & Jerry's\n\n--\n` +
      "Don't want these emails? Unsubscribe: https://proj.supabase.co/functions/v1/review-unsubscribe?t=Unsub",
  );
});

Deno.test("a link inside a sentence stays an inline link; line breaks stay breaks", () => {
  const email = renderEmail({ subject: "Hi", body: "Line one\nReview us at {link} please" }, VALUES, null);
  assert.match(email.html, /Line one<br>Review us at <a href="[^"]+">https:\/\/proj[^<]+<\/a> please/);
  assert.ok(!email.html.includes("Unsubscribe"));
});

Deno.test("the settings check uses the longest sample values and says by how much a text is too long", () => {
  const ok = checkTemplates({ sms_template: DEFAULT_SMS, email_subject: "How did {business_name} do?", email_template: "{link}" });
  assert.deepEqual(ok.problems, []);
  assert.ok(ok.sms.body.includes(LONGEST_SAMPLE_VALUES.firstName!));
  assert.equal(ok.sms.shortened, false);

  const long = checkTemplates({ sms_template: `${"x".repeat(250)} {link}`, email_subject: "S", email_template: "{link}" });
  const tooLong = long.problems.find((p) => p.field === "sms_template" && p.code === "too_long");
  assert.ok(tooLong, "a too-long text is reported");
  assert.ok(long.smsFullLength > SMS_MAX_LENGTH);
  assert.match(tooLong.message, new RegExp(`Shorten it by ${long.smsFullLength - SMS_MAX_LENGTH}\\.`));
  assert.ok(long.sms.length <= SMS_MAX_LENGTH);
});

Deno.test("the settings check repeats the database's rules: {link} required, placeholders known", () => {
  const bad = checkTemplates({ sms_template: "Hi {firstname}", email_subject: " ", email_template: "No link" });
  const codes = bad.problems.map((p) => `${p.field}:${p.code}`).sort();
  assert.deepEqual(codes, [
    "email_subject:empty",
    "email_template:missing_link",
    "sms_template:missing_link",
    "sms_template:unknown_placeholder",
  ]);
});
