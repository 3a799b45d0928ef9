import assert from "node:assert/strict";
import { control, createSms, receiver, sendEmail, withSandbox } from "./test_helpers.ts";
import { linkify } from "./page.ts";

const TO = "+15555550123";

Deno.test("links in texts become links; everything else is escaped", () => {
  assert.equal(
    linkify('Rate us: https://x.test/r?t=a&b=1. <b>"hi"</b>'),
    'Rate us: <a href="https://x.test/r?t=a&amp;b=1" target="_blank" rel="noopener noreferrer">https://x.test/r?t=a&amp;b=1</a>. &lt;b&gt;&quot;hi&quot;&lt;/b&gt;',
  );
  assert.equal(linkify("javascript:alert(1)"), "javascript:alert(1)");
});

Deno.test("the page shows each phone's conversation and each inbox, escaped", async () => {
  await withSandbox({}, async (s) => {
    await createSms(s, { To: TO, Body: "Hi <script>x</script> https://review.test/r?t=1" });
    await control(s, "PUT", "/faults", { limits: { emailPerSecond: 100, emailBurst: 100 } });
    await sendEmail(s, {
      to: "jane@example.com",
      subject: "<img src=x onerror=alert(1)>",
      html: "<p>Hello <a href=\"https://review.test/r?t=2\">review</a></p>",
      text: "Hello https://review.test/r?t=2",
      headers: { "List-Unsubscribe": "<https://unsub.test/u?t=3>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
    });
    const page = await (await fetch(`${s.url}/`)).text();
    assert.match(page, /<h3 id="phone-15555550123-h">Phone \+15555550123<\/h3>/);
    assert.match(page, /<a href="https:\/\/review.test\/r\?t=1"/);
    assert.match(page, /Inbox jane@example.com/);
    assert.match(page, /<a href="https:\/\/review.test\/r\?t=2"/);
    assert.match(page, />Unsubscribe</);
    assert.match(page, />Reply STOP</);
    assert.ok(!page.includes("<script>x</script>"));
    assert.ok(!page.includes("<img src=x"));
    assert.match(page, /<iframe sandbox=""/);
  });
});

Deno.test("the page's reply form texts back and STOP marks the phone unsubscribed", async () => {
  await withSandbox({}, async (s) => {
    await createSms(s, { To: TO, Body: "How did we do?" });
    const res = await fetch(`${s.url}/ui/reply`, {
      method: "POST",
      body: new URLSearchParams({ from: TO, to: "+15005550006", body: "STOP" }),
      redirect: "manual",
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/#phone-15555550123");
    const page = await (await fetch(`${s.url}/`)).text();
    assert.match(page, /unsubscribed \(replied STOP\)/);
    assert.equal((await createSms(s, { To: TO, Body: "again" })).body.code, 21610);
  });
});

Deno.test("the page's Unsubscribe button posts the one-click request and shows the answer", async () => {
  const hook = receiver(() => 200);
  try {
    await withSandbox({}, async (s) => {
      const sent = await sendEmail(s, {
        to: "jane@example.com",
        headers: { "List-Unsubscribe": `<${hook.url}?t=9>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
      });
      const res = await fetch(`${s.url}/ui/emails/${sent.body.id}/unsubscribe`, { method: "POST", redirect: "manual" });
      assert.equal(res.status, 303);
      assert.equal(hook.received.length, 1);
      assert.match(await (await fetch(`${s.url}/`)).text(), /Unsubscribe sent .* HTTP 200/);
    });
  } finally {
    await hook.close();
  }
});
