import assert from "node:assert/strict";
import { control, receiver, sendEmail, waitFor, withSandbox } from "./test_helpers.ts";
import { svixSignature } from "./signing.ts";
import { LOCAL_MESSAGING } from "./options.ts";

Deno.test("POST /emails answers {id}; a missing or wrong key answers 401 / 403", async () => {
  await withSandbox({}, async (s) => {
    const ok = await sendEmail(s, { to: "jane@example.com" });
    assert.equal(ok.status, 200);
    assert.match(ok.body.id, /^[0-9a-f-]{36}$/);
    const missing = await fetch(`${s.url}/emails`, { method: "POST", body: "{}" });
    assert.equal(missing.status, 401);
    assert.equal((await missing.json()).name, "missing_api_key");
    const wrong = await fetch(`${s.url}/emails`, { method: "POST", headers: { authorization: "Bearer re_wrong" }, body: "{}" });
    assert.equal(wrong.status, 403);
    assert.equal((await wrong.json()).name, "invalid_api_key");
  });
});

Deno.test("an invalid recipient is a 422 validation_error naming the to field", async () => {
  await withSandbox({}, async (s) => {
    const res = await sendEmail(s, { to: "not-an-address" });
    assert.equal(res.status, 422);
    assert.deepEqual(Object.keys(res.body).sort(), ["message", "name", "statusCode"]);
    assert.equal(res.body.name, "validation_error");
    assert.match(res.body.message, /`to`/);
    assert.equal((await sendEmail(s, { to: "a@example.com", subject: "" })).body.name, "missing_required_field");
  });
});

Deno.test("the same Idempotency-Key answers the original response and sends nothing more", async () => {
  await withSandbox({}, async (s) => {
    await control(s, "PUT", "/faults", { limits: { emailPerSecond: 100, emailBurst: 100 } });
    const key = { "idempotency-key": "message-1" };
    const first = await sendEmail(s, { to: "jane@example.com" }, key);
    const again = await sendEmail(s, { to: "jane@example.com" }, key);
    assert.deepEqual(again.body, first.body);
    assert.equal((await control(s, "GET", "/messages?channel=email")).body.messages.length, 1);
    const other = await sendEmail(s, { to: "jane@example.com", subject: "Changed" }, key);
    assert.equal(other.status, 409);
    assert.equal(other.body.name, "invalid_idempotent_request");
    const tooLong = await sendEmail(s, { to: "jane@example.com" }, { "idempotency-key": "k".repeat(257) });
    assert.equal(tooLong.status, 400);
  });
});

Deno.test("past the limit: 429 rate_limit_exceeded with retry-after and ratelimit headers", async () => {
  await withSandbox({}, async (s) => {
    const statuses = [];
    let limited;
    for (let i = 0; i < 3; i++) {
      limited = await sendEmail(s, { to: "jane@example.com" });
      statuses.push(limited.status);
    }
    assert.deepEqual(statuses, [200, 200, 429]);
    assert.equal(limited!.body.name, "rate_limit_exceeded");
    assert.equal(limited!.headers.get("retry-after"), "1");
    assert.equal(limited!.headers.get("ratelimit-remaining"), "0");
  });
});

Deno.test("events go out Svix-signed: sent and delivered, bounced and complained for scripted addresses", async () => {
  const hook = receiver();
  try {
    await withSandbox({ emailWebhookUrl: "http://127.0.0.1:9/unused" }, async (s) => {
      await control(s, "PUT", "/webhooks", { emailEvents: hook.url });
      await control(s, "PUT", "/faults", { limits: { emailPerSecond: 100, emailBurst: 100 } });
      const ids: Record<string, string> = {};
      for (const to of ["jane@example.com", "bounce@example.com", "complain+x@example.com", "delay@example.com"]) {
        ids[to] = (await sendEmail(s, { to })).body.id;
      }
      await s.sandbox.outbox.idle();
      const events = hook.received.map((r) => ({ r, e: JSON.parse(r.body) }));
      const typesOf = (to: string) => events.filter(({ e }) => e.data.email_id === ids[to]).map(({ e }) => e.type);
      assert.deepEqual(typesOf("jane@example.com"), ["email.sent", "email.delivered"]);
      assert.deepEqual(typesOf("bounce@example.com"), ["email.sent", "email.bounced"]);
      assert.deepEqual(typesOf("complain+x@example.com"), ["email.sent", "email.delivered", "email.complained"]);
      assert.deepEqual(typesOf("delay@example.com"), ["email.sent", "email.delivery_delayed", "email.delivered"]);
      const { r } = events[0]!;
      const id = r.headers.get("svix-id")!;
      const ts = Number(r.headers.get("svix-timestamp"));
      assert.match(id, /^msg_/);
      assert.ok(Math.abs(ts - Date.now() / 1000) < 60);
      assert.equal(r.headers.get("svix-signature"), await svixSignature(LOCAL_MESSAGING.resendWebhookSecret, id, ts, r.body));
    });
  } finally {
    await hook.close();
  }
});

Deno.test("a failing event endpoint is retried, as Svix does", async () => {
  const hook = receiver((n) => (n === 1 ? 500 : 200));
  try {
    await withSandbox({}, async (s) => {
      await control(s, "PUT", "/webhooks", { emailEvents: hook.url });
      s.sandbox.faults.lifecycle = { sentAfterMs: 10, deliveredAfterMs: 100_000 };
      await sendEmail(s, { to: "jane@example.com" });
      await waitFor(() => hook.received.length >= 2, 5000);
      assert.equal(hook.received[0]!.body, hook.received[1]!.body);
    });
  } finally {
    await hook.close();
  }
});
