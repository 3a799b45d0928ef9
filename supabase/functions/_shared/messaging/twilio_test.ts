import assert from "node:assert/strict";
import { jsonReply, manualClock, stubFetch } from "../testing.ts";
import { loadMessagingConfig } from "./config.ts";
import { createSenders } from "./senders.ts";
import { fixture, fixtureReply } from "./fixtures.ts";
import type { SmsMessage } from "./types.ts";

const ENV = {
  TWILIO_API_BASE: "https://twilio.test",
  TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000001",
  TWILIO_AUTH_TOKEN: "twilio-token-for-tests",
  TWILIO_FROM_NUMBER: "+15005550006",
};
const queued = fixture("twilio_message_queued");
const SMS: SmsMessage = { channel: "sms", id: "m-1", to: queued.to, body: queued.body };
const MESSAGES_URL = "https://twilio.test/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json";

function senders(env: Record<string, string | undefined>, fetchStub: typeof fetch, now = () => new Date("2025-10-12T03:27:49Z")) {
  return createSenders(loadMessagingConfig(env, "http://127.0.0.1:54321"), { fetch: fetchStub, now });
}

Deno.test("creates the message form-encoded with Basic auth, From and the sms-webhook StatusCallback", async () => {
  const stub = stubFetch(() => fixtureReply("twilio_message_queued", 201));
  const outcome = await senders(ENV, stub).sms.send(SMS);
  assert.deepEqual(outcome, { kind: "accepted", providerMessageId: queued.sid, status: "queued" });
  const [call] = stub.calls;
  assert.equal(call!.method, "POST");
  assert.equal(call!.url, MESSAGES_URL);
  assert.equal(call!.headers.get("authorization"), `Basic ${btoa(`${ENV.TWILIO_ACCOUNT_SID}:${ENV.TWILIO_AUTH_TOKEN}`)}`);
  assert.equal(call!.headers.get("content-type"), "application/x-www-form-urlencoded");
  const form = new URLSearchParams(call!.body);
  assert.deepEqual(Object.fromEntries(form), {
    To: queued.to,
    Body: queued.body,
    From: "+15005550006",
    StatusCallback: "http://127.0.0.1:54321/functions/v1/sms-webhook",
  });
});

Deno.test("with a Messaging Service it sends MessagingServiceSid instead of From", async () => {
  const stub = stubFetch(() => fixtureReply("twilio_message_accepted", 201));
  const env = { ...ENV, TWILIO_FROM_NUMBER: undefined, TWILIO_MESSAGING_SERVICE_SID: "MG00000000000000000000000000000001" };
  const sender = senders(env, stub).sms;
  const outcome = await sender.send({ ...SMS, statusCallbackUrl: "https://public.test/functions/v1/sms-webhook" });
  assert.ok(outcome.kind === "accepted" && outcome.status === "accepted");
  const form = new URLSearchParams(stub.calls[0]!.body);
  assert.equal(form.get("MessagingServiceSid"), "MG00000000000000000000000000000001");
  assert.equal(form.has("From"), false);
  assert.equal(form.get("StatusCallback"), "https://public.test/functions/v1/sms-webhook");
  assert.equal(sender.senderKey, "MG00000000000000000000000000000001");
});

Deno.test("a refused connection is a safe retry; a dropped answer may have been accepted", async () => {
  const refused = stubFetch(() => Promise.reject(new TypeError("error sending request: tcp connect error: Connection refused")));
  const a = await senders(ENV, refused).sms.send(SMS);
  assert.ok(a.kind === "retry" && a.maybeAccepted === false);
  const dropped = stubFetch(() => Promise.reject(new TypeError("error sending request: connection closed before message completed")));
  const b = await senders(ENV, dropped).sms.send(SMS);
  assert.ok(b.kind === "retry" && b.maybeAccepted === true);
});

Deno.test("the crash lookup lists messages to the number and finds ours without sending", async () => {
  const stub = stubFetch(() => fixtureReply("twilio_message_list", 200));
  const outcome = await senders(ENV, stub).sms.resolveUnknown(SMS, new Date("2025-10-12T03:27:48Z"));
  assert.deepEqual(outcome, { kind: "found", providerMessageId: queued.sid, status: "sent" });
  assert.equal(stub.calls.length, 1);
  const url = new URL(stub.calls[0]!.url);
  assert.equal(stub.calls[0]!.method, "GET");
  assert.equal(url.origin + url.pathname, MESSAGES_URL);
  assert.equal(url.searchParams.get("To"), queued.to);
});

Deno.test("the lookup follows next_page_uri until pages are older than the attempt, then says not sent", async () => {
  const list = fixture("twilio_message_list");
  const older = { ...list, messages: [list.messages[1]], next_page_uri: null };
  const stub = stubFetch(
    () => jsonReply(200, { ...list, messages: [list.messages[0]] }),
    () => jsonReply(200, older),
  );
  const outcome = await senders(ENV, stub).sms.resolveUnknown({ ...SMS, body: "a body never sent" }, new Date("2025-10-12T03:27:48Z"));
  assert.deepEqual(outcome, { kind: "not_sent" });
  assert.equal(stub.calls.length, 2);
  assert.equal(stub.calls[1]!.url, `https://twilio.test${list.next_page_uri}`);
});

Deno.test("an empty list means not sent; a failing lookup asks again later instead of guessing", async () => {
  const empty = stubFetch(() => jsonReply(200, { messages: [], next_page_uri: null }));
  assert.deepEqual(await senders(ENV, empty).sms.resolveUnknown(SMS, new Date()), { kind: "not_sent" });
  const failing = stubFetch(() => fixtureReply("twilio_error_20500", 500));
  assert.equal((await senders(ENV, failing).sms.resolveUnknown(SMS, new Date())).kind, "retry");
});

Deno.test("an unconfigured SMS channel is unavailable and calls nobody", async () => {
  const stub = stubFetch(() => Promise.reject(new Error("must not be called")));
  const sms = senders({}, stub).sms;
  assert.equal(sms.available, false);
  const outcome = await sms.send(SMS);
  assert.equal(outcome.kind, "unavailable");
  assert.match((outcome as { reason: string }).reason, /SMS is not configured \(set TWILIO_ACCOUNT_SID/);
  assert.equal((await sms.resolveUnknown(SMS, new Date())).kind, "unavailable");
  assert.equal(stub.calls.length, 0);
});

Deno.test("a timeout is treated as maybe accepted", async () => {
  const clock = manualClock();
  const stub = stubFetch(() => Promise.reject(new DOMException("Signal timed out.", "TimeoutError")));
  const outcome = await senders(ENV, stub, clock.now).sms.send(SMS);
  assert.ok(outcome.kind === "retry" && outcome.maybeAccepted && /timed out/.test(outcome.reason));
});
