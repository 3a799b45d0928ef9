import assert from "node:assert/strict";
import { loadMessagingConfig, unsubscribeUrlFor } from "./config.ts";
import { availableChannels } from "./senders.ts";

const SUPABASE = "http://127.0.0.1:54321";
const TWILIO = {
  TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000001",
  TWILIO_AUTH_TOKEN: "twilio-token-for-tests",
  TWILIO_FROM_NUMBER: "+15005550006",
};
const RESEND = {
  RESEND_API_KEY: "re_test_key_for_tests",
  RESEND_WEBHOOK_SECRET: "whsec_dGVzdC1zZWNyZXQtZm9yLXRlc3Rz",
  EMAIL_FROM: "Blipp Reviews <reviews@blipp.test>",
};

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected a failure");
}

Deno.test("nothing set: both channels unavailable and the webhook URLs derive from SUPABASE_URL", () => {
  const config = loadMessagingConfig({}, SUPABASE);
  assert.equal(config.twilio, null);
  assert.equal(config.resend, null);
  assert.deepEqual(availableChannels(config), []);
  assert.equal(config.publicFunctionsUrl, "http://127.0.0.1:54321/functions/v1");
  assert.equal(config.smsWebhookUrl, "http://127.0.0.1:54321/functions/v1/sms-webhook");
  assert.equal(config.reviewUnsubscribeUrl, "http://127.0.0.1:54321/functions/v1/review-unsubscribe");
});

Deno.test("a full set makes the channel available, with the real providers as default bases", () => {
  const config = loadMessagingConfig({ ...TWILIO, ...RESEND }, SUPABASE);
  assert.equal(config.twilio?.apiBase, "https://api.twilio.com");
  assert.equal(config.twilio?.fromNumber, "+15005550006");
  assert.equal(config.twilio?.messagingServiceSid, null);
  assert.equal(config.resend?.apiBase, "https://api.resend.com");
  assert.deepEqual(availableChannels(config), ["sms", "email"]);
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.twilio) && Object.isFrozen(config.resend));
});

Deno.test("a partial Twilio set is an error naming every missing variable", () => {
  assert.equal(
    message(() => loadMessagingConfig({ TWILIO_ACCOUNT_SID: TWILIO.TWILIO_ACCOUNT_SID }, SUPABASE)),
    "Invalid configuration: TWILIO_AUTH_TOKEN is required: Twilio SMS is partly configured (missing TWILIO_AUTH_TOKEN, TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER); set every Twilio SMS variable or none",
  );
  assert.match(
    message(() => loadMessagingConfig({ TWILIO_FROM_NUMBER: "+15005550006" }, SUPABASE)),
    /TWILIO_ACCOUNT_SID is required.*missing TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN\)/,
  );
});

Deno.test("a partial Resend set is an error naming what is missing", () => {
  assert.match(
    message(() => loadMessagingConfig({ RESEND_API_KEY: RESEND.RESEND_API_KEY }, SUPABASE)),
    /^Invalid configuration: RESEND_WEBHOOK_SECRET is required: Resend email is partly configured \(missing RESEND_WEBHOOK_SECRET, EMAIL_FROM\)/,
  );
});

Deno.test("a Messaging Service or a From number, not both", () => {
  const service = loadMessagingConfig(
    { ...TWILIO, TWILIO_FROM_NUMBER: undefined, TWILIO_MESSAGING_SERVICE_SID: "MG00000000000000000000000000000001" },
    SUPABASE,
  );
  assert.equal(service.twilio?.messagingServiceSid, "MG00000000000000000000000000000001");
  assert.match(
    message(() => loadMessagingConfig({ ...TWILIO, TWILIO_MESSAGING_SERVICE_SID: "MG00000000000000000000000000000001" }, SUPABASE)),
    /TWILIO_FROM_NUMBER must not be set together with TWILIO_MESSAGING_SERVICE_SID/,
  );
});

Deno.test("malformed values name the variable and never echo a secret", () => {
  assert.match(message(() => loadMessagingConfig({ ...TWILIO, TWILIO_ACCOUNT_SID: "AC123" }, SUPABASE)), /TWILIO_ACCOUNT_SID must be AC/);
  assert.match(message(() => loadMessagingConfig({ ...TWILIO, TWILIO_FROM_NUMBER: "555-0100" }, SUPABASE)), /TWILIO_FROM_NUMBER must be an E\.164/);
  const token = message(() => loadMessagingConfig({ ...TWILIO, TWILIO_AUTH_TOKEN: "s3cret-token\n" }, SUPABASE));
  assert.match(token, /TWILIO_AUTH_TOKEN has leading or trailing whitespace/);
  assert.equal(token.includes("s3cret"), false);
  const key = message(() => loadMessagingConfig({ ...RESEND, RESEND_API_KEY: "not-a-resend-key-0001" }, SUPABASE));
  assert.match(key, /RESEND_API_KEY must be a Resend API key/);
  assert.equal(key.includes("not-a-resend-key-0001"), false);
  assert.match(message(() => loadMessagingConfig({ ...RESEND, RESEND_WEBHOOK_SECRET: "secret" }, SUPABASE)), /RESEND_WEBHOOK_SECRET must be/);
  assert.match(message(() => loadMessagingConfig({ ...RESEND, EMAIL_FROM: "Blipp" }, SUPABASE)), /EMAIL_FROM must be an address/);
  assert.match(message(() => loadMessagingConfig({ ...TWILIO, TWILIO_API_BASE: "api.twilio.com" }, SUPABASE)), /TWILIO_API_BASE must be an http\(s\) URL/);
});

Deno.test("the public functions URL moves every webhook URL; SMS_WEBHOOK_URL is kept byte for byte", () => {
  const config = loadMessagingConfig({ PUBLIC_FUNCTIONS_URL: "https://proj.supabase.co/functions/v1/" }, SUPABASE);
  assert.equal(config.smsWebhookUrl, "https://proj.supabase.co/functions/v1/sms-webhook");
  assert.equal(config.reviewUnsubscribeUrl, "https://proj.supabase.co/functions/v1/review-unsubscribe");
  const exact = "https://hooks.example.test:8443/sms-webhook?x=1";
  assert.equal(loadMessagingConfig({ SMS_WEBHOOK_URL: exact }, SUPABASE).smsWebhookUrl, exact);
});

Deno.test("unsubscribe links carry the request's token as t", () => {
  const config = loadMessagingConfig({}, SUPABASE);
  assert.equal(
    unsubscribeUrlFor(config, "tok_ABC-123"),
    "http://127.0.0.1:54321/functions/v1/review-unsubscribe?t=tok_ABC-123",
  );
});

Deno.test("the review link's base defaults to review-link beside the other functions; REVIEW_LINK_BASE replaces it", () => {
  assert.equal(loadMessagingConfig({}, SUPABASE).reviewLinkBase, "http://127.0.0.1:54321/functions/v1/review-link");
  assert.equal(
    loadMessagingConfig({ PUBLIC_FUNCTIONS_URL: "https://proj.supabase.co/functions/v1" }, SUPABASE).reviewLinkBase,
    "https://proj.supabase.co/functions/v1/review-link",
  );
  assert.equal(loadMessagingConfig({ REVIEW_LINK_BASE: "https://rv.example.com/r/" }, SUPABASE).reviewLinkBase, "https://rv.example.com/r");
});

Deno.test("REVIEW_LINK_BASE must be a short plain http(s) URL: the token is added to it in every text", () => {
  assert.match(message(() => loadMessagingConfig({ REVIEW_LINK_BASE: "rv.example.com" }, SUPABASE)), /REVIEW_LINK_BASE must be an http\(s\) URL/);
  assert.match(message(() => loadMessagingConfig({ REVIEW_LINK_BASE: "ftp://rv.example.com" }, SUPABASE)), /REVIEW_LINK_BASE must use http or https/);
  assert.match(message(() => loadMessagingConfig({ REVIEW_LINK_BASE: "https://rv.example.com/r?x=1" }, SUPABASE)), /REVIEW_LINK_BASE must be a plain URL/);
  assert.match(
    message(() => loadMessagingConfig({ REVIEW_LINK_BASE: `https://rv.example.com/${"r".repeat(120)}` }, SUPABASE)),
    /REVIEW_LINK_BASE must be at most 120 characters/,
  );
});
