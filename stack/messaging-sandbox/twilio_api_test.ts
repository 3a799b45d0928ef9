import assert from "node:assert/strict";
import { BASIC, control, createSms, form, FROM, receiver, SID, waitFor, withSandbox } from "./test_helpers.ts";
import { twilioSignature } from "./signing.ts";
import { LOCAL_MESSAGING } from "./options.ts";

const TO = "+15555550123";

Deno.test("creates a message as Twilio answers it: 201, SM sid, queued, RFC 2822 dates", async () => {
  await withSandbox({}, async (s) => {
    const res = await createSms(s, { To: TO, Body: "Hello there" });
    assert.equal(res.status, 201);
    assert.match(res.body.sid, /^SM[0-9a-f]{32}$/);
    assert.equal(res.body.status, "queued");
    assert.equal(res.body.from, FROM);
    assert.equal(res.body.to, TO);
    assert.equal(res.body.direction, "outbound-api");
    assert.equal(res.body.num_segments, "1");
    assert.equal(res.body.date_sent, null);
    assert.match(res.body.date_created, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    const fetched = await fetch(`${s.url}${res.body.uri}`, { headers: { authorization: BASIC } });
    assert.equal((await fetched.json()).sid, res.body.sid);
  });
});

Deno.test("wrong credentials answer 401 with code 20003", async () => {
  await withSandbox({}, async (s) => {
    const res = await createSms(s, { To: TO, Body: "x" }, `Basic ${btoa(`${SID}:wrong`)}`);
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 20003);
    assert.equal(res.body.more_info, "https://www.twilio.com/docs/errors/20003");
  });
});

Deno.test("bad fields answer Twilio's codes", async () => {
  await withSandbox({}, async (s) => {
    const cases: [Record<string, string>, number][] = [
      [{ Body: "x" }, 21604],
      [{ To: TO }, 21602],
      [{ To: TO, Body: "x", From: "+15550009999" }, 21606],
      [{ To: TO, Body: "x".repeat(1601) }, 21617],
      [{ To: "555-0123", Body: "x" }, 21211],
      [{ To: TO, Body: "x", StatusCallback: "ftp://nope" }, 21609],
    ];
    for (const [fields, code] of cases) {
      const res = await createSms(s, fields);
      assert.equal(res.status, 400, JSON.stringify(fields));
      assert.equal(res.body.code, code, JSON.stringify(fields));
      assert.equal(res.body.status, 400);
    }
  });
});

Deno.test("scripted numbers: 555-0101 invalid, 555-0102 landline at create", async () => {
  await withSandbox({}, async (s) => {
    assert.equal((await createSms(s, { To: "+12125550101", Body: "x" })).body.code, 21211);
    assert.equal((await createSms(s, { To: "+13125550102", Body: "x" })).body.code, 21614);
  });
});

Deno.test("the lifecycle reports sent then delivered to the StatusCallback, signed as Twilio signs", async () => {
  const hook = receiver();
  try {
    await withSandbox({}, async (s) => {
      const res = await createSms(s, { To: TO, Body: "Hi", StatusCallback: hook.url });
      await waitFor(() => hook.received.length >= 2);
      const [sent, delivered] = hook.received.map(form);
      assert.deepEqual([sent!.MessageStatus, delivered!.MessageStatus], ["sent", "delivered"]);
      assert.equal(sent!.MessageSid, res.body.sid);
      assert.equal(sent!.AccountSid, SID);
      assert.equal(sent!.To, TO);
      const expected = await twilioSignature(LOCAL_MESSAGING.twilioAuthToken, hook.url, form(hook.received[0]!));
      assert.equal(hook.received[0]!.headers.get("x-twilio-signature"), expected);
      const after = await (await fetch(`${s.url}${res.body.uri}`, { headers: { authorization: BASIC } })).json();
      assert.equal(after.status, "delivered");
      assert.notEqual(after.date_sent, null);
    });
  } finally {
    await hook.close();
  }
});

Deno.test("scripted delivery failures end undelivered or failed with their error code", async () => {
  const hook = receiver();
  try {
    await withSandbox({}, async (s) => {
      const cases: [string, string, string][] = [
        ["+15125550103", "undelivered", "30006"],
        ["+15125550104", "undelivered", "30003"],
        ["+15125550105", "undelivered", "30007"],
        ["+15125550106", "undelivered", "30005"],
        ["+15125550107", "failed", "30008"],
      ];
      for (const [to] of cases) await createSms(s, { To: to, Body: "x", StatusCallback: hook.url });
      await s.sandbox.outbox.idle();
      for (const [to, status, code] of cases) {
        const last = hook.received.map(form).filter((f) => f.To === to).at(-1)!;
        assert.equal(last.MessageStatus, status, to);
        assert.equal(last.ErrorCode, code, to);
      }
    });
  } finally {
    await hook.close();
  }
});

Deno.test("a Messaging Service starts accepted, then queued with a pool number", async () => {
  const hook = receiver();
  try {
    await withSandbox({}, async (s) => {
      const res = await createSms(s, { From: "", MessagingServiceSid: LOCAL_MESSAGING.twilioMessagingServiceSid, To: TO, Body: "x", StatusCallback: hook.url });
      assert.equal(res.status, 201);
      assert.equal(res.body.status, "accepted");
      assert.equal(res.body.from, null);
      await s.sandbox.outbox.idle();
      const statuses = hook.received.map(form).map((f) => f.MessageStatus);
      assert.deepEqual(statuses, ["queued", "sent", "delivered"]);
      assert.equal(form(hook.received[0]!).MessagingServiceSid, LOCAL_MESSAGING.twilioMessagingServiceSid);
      assert.equal(form(hook.received[0]!).From, FROM);
      const bad = await createSms(s, { From: "", MessagingServiceSid: "MG99999999999999999999999999999999", To: TO, Body: "x" });
      assert.equal(bad.body.code, 21701);
    });
  } finally {
    await hook.close();
  }
});

Deno.test("a STOP is remembered per sender: 21610 until START", async () => {
  await withSandbox({}, async (s) => {
    await createSms(s, { To: TO, Body: "first" });
    const stop = await control(s, "POST", "/reply", { from: TO, body: "  stop " });
    assert.equal(stop.body.keyword, "STOP");
    assert.match(stop.body.autoReply.body, /unsubscribed/);
    const refused = await createSms(s, { To: TO, Body: "again" });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.code, 21610);
    const start = await control(s, "POST", "/reply", { from: TO, body: "START" });
    assert.equal(start.body.keyword, "START");
    assert.equal((await createSms(s, { To: TO, Body: "welcome back" })).status, 201);
  });
});

Deno.test("past the per-sender limit it answers 429 / 20429, per sender", async () => {
  await withSandbox({}, async (s) => {
    await control(s, "PUT", "/faults", { limits: { smsPerSecond: 1, smsBurst: 3 } });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await createSms(s, { To: TO, Body: `m${i}` })).status);
    assert.deepEqual(codes, [201, 201, 201, 429]);
    const limited = await createSms(s, { To: TO, Body: "m5" });
    assert.equal(limited.body.code, 20429);
    assert.equal(limited.body.status, 429);
    assert.equal((await control(s, "GET", "/counters")).body.twilio.rateLimited, 2);
  });
});

Deno.test("lists messages to a number newest first, with Twilio's paging", async () => {
  await withSandbox({}, async (s) => {
    for (let i = 0; i < 5; i++) await createSms(s, { To: TO, Body: `m${i}` });
    await createSms(s, { To: "+15555550999", Body: "other" });
    const list = async (path: string) =>
      await (await fetch(`${s.url}${path}`, { headers: { authorization: BASIC } })).json();
    const first = await list(`/2010-04-01/Accounts/${SID}/Messages.json?To=${encodeURIComponent(TO)}&PageSize=2`);
    assert.deepEqual(first.messages.map((m: { body: string }) => m.body), ["m4", "m3"]);
    assert.equal(first.page, 0);
    assert.equal(first.page_size, 2);
    const second = await list(first.next_page_uri);
    assert.deepEqual(second.messages.map((m: { body: string }) => m.body), ["m2", "m1"]);
    const third = await list(second.next_page_uri);
    assert.deepEqual(third.messages.map((m: { body: string }) => m.body), ["m0"]);
    assert.equal(third.next_page_uri, null);
  });
});

Deno.test("DateSent>= filters on the day a message was sent; queued messages have no date_sent", async () => {
  await withSandbox({}, async (s) => {
    s.sandbox.faults.lifecycle = { sentAfterMs: 60_000, deliveredAfterMs: 60_000 };
    await createSms(s, { To: TO, Body: "still queued" });
    const today = new Date().toISOString().slice(0, 10);
    const res = await fetch(`${s.url}/2010-04-01/Accounts/${SID}/Messages.json?To=${encodeURIComponent(TO)}&DateSent>=${today}`, {
      headers: { authorization: BASIC },
    });
    assert.equal((await res.json()).messages.length, 0);
  });
});
