import assert from "node:assert/strict";
import { control, createSms, form, receiver, sendEmail, waitFor, withSandbox } from "./test_helpers.ts";
import { twilioSignature } from "./signing.ts";
import { LOCAL_MESSAGING } from "./options.ts";

const TO = "+15555550123";

Deno.test("unknown routes, bad JSON and unknown fields answer in the error shape", async () => {
  await withSandbox({}, async (s) => {
    const missing = await control(s, "GET", "/nope");
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, "not_found");
    const bad = await fetch(`${s.url}/_sandbox/faults`, { method: "PUT", body: "{nope" });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.code, "invalid_request");
    const unknown = await control(s, "PUT", "/faults", { callbacks: { dorp: true } });
    assert.match(unknown.body.error.message, /dorp/);
    assert.equal((await control(s, "DELETE", "/faults")).status, 405);
    const reply = await control(s, "POST", "/reply", { from: "555", body: "x" });
    assert.match(reply.body.error.message, /from/);
  });
});

Deno.test("fault updates merge; reset returns to an empty sandbox with default faults", async () => {
  await withSandbox({}, async (s) => {
    await control(s, "PUT", "/faults", { callbacks: { drop: true }, latencyMs: 5 });
    const merged = await control(s, "PUT", "/faults", { callbacks: { duplicate: true }, limits: { smsPerSecond: 500 } });
    assert.equal(merged.body.callbacks.drop, true);
    assert.equal(merged.body.callbacks.duplicate, true);
    assert.equal(merged.body.latencyMs, 5);
    assert.equal(merged.body.limits.smsBurst, 10);
    await createSms(s, { To: TO, Body: "x" });
    await control(s, "POST", "/reply", { from: TO, body: "STOP" });
    assert.equal((await control(s, "POST", "/reset")).status, 200);
    const state = await control(s, "GET", "/state");
    assert.deepEqual(state.body.counts, { sms: 0, emails: 0, stops: 0 });
    assert.equal((await control(s, "GET", "/faults")).body.callbacks.drop, false);
    assert.equal((await control(s, "GET", "/counters")).body.twilio.creates, 0);
  });
});

Deno.test("messages lists texts and emails, filterable by channel, recipient and status", async () => {
  await withSandbox({}, async (s) => {
    await createSms(s, { To: TO, Body: "a" });
    await createSms(s, { To: "+15555550124", Body: "b" });
    await sendEmail(s, { to: "jane@example.com" });
    const all = await control(s, "GET", "/messages");
    assert.deepEqual(all.body.messages.map((m: { channel: string }) => m.channel), ["sms", "sms", "email"]);
    const one = await control(s, "GET", `/messages?to=${encodeURIComponent(TO)}`);
    assert.deepEqual(one.body.messages.map((m: { body: string }) => m.body), ["a"]);
    const emails = await control(s, "GET", "/messages?channel=email&to=jane@example.com");
    assert.equal(emails.body.messages[0].to[0], "jane@example.com");
    assert.equal((await control(s, "GET", "/messages?channel=fax")).status, 400);
  });
});

Deno.test("replies go to the inbound URL signed, with OptOutType for keywords only", async () => {
  const hook = receiver();
  try {
    await withSandbox({}, async (s) => {
      await control(s, "PUT", "/webhooks", { smsInbound: hook.url });
      await createSms(s, { To: TO, Body: "How did we do?" });
      const plain = await control(s, "POST", "/reply", { from: TO, body: "Stop please" });
      assert.equal(plain.body.keyword, null);
      assert.equal(plain.body.webhookStatus, 200);
      const stop = await control(s, "POST", "/reply", { from: TO, body: "stop" });
      assert.equal(stop.body.keyword, "STOP");
      const [first, second] = hook.received.map(form);
      assert.equal(first!.Body, "Stop please");
      assert.equal(first!.OptOutType, undefined);
      assert.equal(first!.From, TO);
      assert.equal(first!.To, LOCAL_MESSAGING.twilioFromNumber);
      assert.equal(second!.OptOutType, "STOP");
      const expected = await twilioSignature(LOCAL_MESSAGING.twilioAuthToken, hook.url, form(hook.received[1]!));
      assert.equal(hook.received[1]!.headers.get("x-twilio-signature"), expected);
      assert.deepEqual((await control(s, "GET", "/state")).body.stops, [{ sender: LOCAL_MESSAGING.twilioFromNumber, phone: TO }]);
    });
  } finally {
    await hook.close();
  }
});

Deno.test("failNext answers 5xx without creating; failAfterCreate creates and then answers 500", async () => {
  await withSandbox({}, async (s) => {
    await control(s, "PUT", "/faults", { twilio: { failNext: 1, failAfterCreate: 1, status: 503 } });
    const failed = await createSms(s, { To: TO, Body: "one" });
    assert.equal(failed.status, 503);
    assert.equal((await control(s, "GET", "/messages")).body.messages.length, 0);
    const lost = await createSms(s, { To: TO, Body: "two" });
    assert.equal(lost.status, 500);
    assert.deepEqual((await control(s, "GET", "/messages")).body.messages.map((m: { body: string }) => m.body), ["two"]);
    assert.equal((await createSms(s, { To: TO, Body: "three" })).status, 201);
  });
});

Deno.test("http429 answers every API request 429", async () => {
  await withSandbox({}, async (s) => {
    await control(s, "PUT", "/faults", { http429: true });
    assert.equal((await createSms(s, { To: TO, Body: "x" })).body.code, 20429);
    assert.equal((await sendEmail(s, { to: "jane@example.com" })).status, 429);
  });
});

Deno.test("callback faults: dropped, duplicated, reordered (delivered before sent)", async () => {
  const hook = receiver();
  try {
    await withSandbox({}, async (s) => {
      await control(s, "PUT", "/faults", { callbacks: { drop: true } });
      await createSms(s, { To: TO, Body: "dropped", StatusCallback: hook.url });
      await s.sandbox.outbox.idle();
      assert.equal(hook.received.length, 0);
      assert.equal((await control(s, "GET", "/counters")).body.callbacks.dropped, 2);

      await control(s, "PUT", "/faults", { callbacks: { drop: false, duplicate: true } });
      await createSms(s, { To: TO, Body: "twice", StatusCallback: hook.url });
      await s.sandbox.outbox.idle();
      assert.deepEqual(hook.received.map(form).map((f) => f.MessageStatus), ["sent", "sent", "delivered", "delivered"]);

      hook.received.length = 0;
      await control(s, "PUT", "/faults", { callbacks: { duplicate: false, reorder: true } });
      await createSms(s, { To: TO, Body: "backwards", StatusCallback: hook.url });
      await s.sandbox.outbox.idle();
      assert.deepEqual(hook.received.map(form).map((f) => f.MessageStatus), ["delivered", "sent"]);
    });
  } finally {
    await hook.close();
  }
});

Deno.test("delayed callbacks arrive after the delay", async () => {
  const hook = receiver();
  try {
    await withSandbox({}, async (s) => {
      await control(s, "PUT", "/faults", { callbacks: { delayMs: 300 } });
      await createSms(s, { To: TO, Body: "late", StatusCallback: hook.url });
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(hook.received.length, 0);
      await waitFor(() => hook.received.length === 2);
    });
  } finally {
    await hook.close();
  }
});

Deno.test("the unsubscribe route makes the RFC 8058 one-click POST", async () => {
  const hook = receiver();
  try {
    await withSandbox({}, async (s) => {
      const sent = await sendEmail(s, {
        to: "jane@example.com",
        headers: { "List-Unsubscribe": `<${hook.url}?t=abc>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
      });
      const res = await control(s, "POST", `/emails/${sent.body.id}/unsubscribe`);
      assert.deepEqual(res.body, { url: `${hook.url}?t=abc`, status: 200 });
      const post = hook.received.find((r) => r.url.includes("t=abc"))!;
      assert.equal(post.body, "List-Unsubscribe=One-Click");
      assert.equal(post.headers.get("content-type"), "application/x-www-form-urlencoded");
      const plain = await sendEmail(s, { to: "joe@example.com" });
      assert.equal((await control(s, "POST", `/emails/${plain.body.id}/unsubscribe`)).status, 422);
    });
  } finally {
    await hook.close();
  }
});
