// sms-webhook against the real database, with recorded Twilio payloads signed by an independent
// implementation (testing_webhooks.ts): the signature is checked over the public URL before
// anything is read or stored; status callbacks move messages forward only; STOP / START and replies
// land where they belong.
import assert from "node:assert/strict";
import type postgres from "postgres";
import { testEnv } from "../_shared/testing.ts";
import {
  APP_ORIGIN,
  dbTestFactory,
  env,
  errorOf,
  type Handle,
  noJobber,
  stubbedRuntime,
  withRuntime,
} from "../_shared/testing_db.ts";
import { TEST_TWILIO, twilioPayload, twilioRequest } from "../_shared/messaging/testing_webhooks.ts";
import {
  askedCustomer,
  markSent,
  messageRow,
  optOuts,
  reviewBusiness,
  smsSid,
  usability,
} from "../../../tests/support/review_fixtures.ts";
import { createHandler } from "./handler.ts";

const PUBLIC = "https://project.example.test/functions/v1";
const PUBLIC_URL = `${PUBLIC}/sms-webhook`;
// What the function receives behind the gateway: another host, another path.
const INTERNAL_URL = "http://127.0.0.1:40123/sms-webhook";

const vars = (base: Record<string, string | undefined>) => ({
  ...base,
  APP_ORIGIN,
  ...TEST_TWILIO,
  PUBLIC_FUNCTIONS_URL: PUBLIC,
});

async function expectTwiml(res: Response): Promise<void> {
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/xml/);
  assert.equal(await res.text(), '<?xml version="1.0" encoding="UTF-8"?><Response/>');
}

/** Twilio's request to the function: signed over the public URL, delivered to the internal one. */
const post = (params: Record<string, string>, options: Parameters<typeof twilioRequest>[2] = {}) =>
  twilioRequest(INTERNAL_URL, params, { signedUrl: PUBLIC_URL, ...options });

Deno.test("sms-webhook answers 401 when SMS is not configured, whatever is posted", () =>
  withRuntime(stubbedRuntime(testEnv({ APP_ORIGIN }), noJobber("sms-webhook")), async (rt) => {
    const res = await createHandler(rt)(post(twilioPayload("twilio_status_sent")));
    assert.equal(res.status, 401);
    assert.equal((await errorOf(res)).code, "invalid_signature");
  }));

interface Ctx {
  admin: postgres.Sql;
  handle: Handle;
  logs: string[];
  /** A business that texted one customer's phone (step 0 sent under a fresh SID). */
  texted: (phone?: string) => Promise<{ businessId: string; customerId: string; messageId: string; followUpId: string; sid: string; phone: string }>;
}

const dbTest = dbTestFactory(({ admin, created, track }): Ctx => {
  const logs: string[] = [];
  return {
    admin,
    logs,
    handle: createHandler(track(stubbedRuntime(vars(env), noJobber("sms-webhook"), logs))),
    texted: async (phone = `+1212${String(Math.floor(2_000_000 + Math.random() * 7_999_999))}`) => {
      const b = await reviewBusiness(admin, { channels: ["sms"] });
      created.businessIds.push(b.businessId);
      created.userIds.push(b.user.id);
      const asked = await askedCustomer(admin, b.businessId, { phone });
      const sid = smsSid();
      await markSent(admin, asked.messages[0]!.id, "twilio", sid);
      return { businessId: b.businessId, customerId: asked.customerId, messageId: asked.messages[0]!.id, followUpId: asked.messages[1]!.id, sid, phone };
    },
  };
});

dbTest("an unsigned callback is refused with 401 and changes nothing", async ({ admin, handle, texted }) => {
  const t = await texted();
  const res = await handle(post(twilioPayload("twilio_status_delivered", { MessageSid: t.sid }), { signature: null }));
  assert.equal(res.status, 401);
  assert.equal((await errorOf(res)).code, "invalid_signature");
  assert.equal((await messageRow(admin, t.messageId)).status, "queued");
});

dbTest("a callback signed with another auth token is refused", async ({ admin, handle, texted }) => {
  const t = await texted();
  const res = await handle(post(twilioPayload("twilio_status_delivered", { MessageSid: t.sid }), { authToken: "someone-elses-token" }));
  assert.equal(res.status, 401);
  assert.equal((await messageRow(admin, t.messageId)).status, "queued");
});

dbTest("a callback signed over the URL the function sees, not the public one Twilio called, is refused", async ({ admin, handle, texted }) => {
  const t = await texted();
  const res = await handle(post(twilioPayload("twilio_status_delivered", { MessageSid: t.sid }), { signedUrl: INTERNAL_URL }));
  assert.equal(res.status, 401);
  assert.equal((await messageRow(admin, t.messageId)).status, "queued");
});

dbTest("a signed callback replayed with a changed parameter is refused and changes nothing", async ({ admin, handle, texted }) => {
  const t = await texted();
  const original = twilioPayload("twilio_status_delivered", { MessageSid: t.sid });
  const first = post(original);
  const signature = first.headers.get("x-twilio-signature")!;
  await expectTwiml(await handle(first));
  assert.equal((await messageRow(admin, t.messageId)).status, "delivered");
  const replay = { ...original, MessageStatus: "undelivered", SmsStatus: "undelivered", ErrorCode: "30006" };
  const res = await handle(post(replay, { signature }));
  assert.equal(res.status, 401);
  const row = await messageRow(admin, t.messageId);
  assert.equal(row.status, "delivered");
  assert.equal(row.error_code, null);
  assert.equal((await usability(admin, t.customerId)).phone_usable, true);
});

dbTest("sent then delivered move the message forward, answered with empty TwiML", async ({ admin, handle, texted }) => {
  const t = await texted();
  await expectTwiml(await handle(post(twilioPayload("twilio_status_sent", { MessageSid: t.sid }))));
  assert.equal((await messageRow(admin, t.messageId)).status, "sent");
  await expectTwiml(await handle(post(twilioPayload("twilio_status_delivered", { MessageSid: t.sid }))));
  const row = await messageRow(admin, t.messageId);
  assert.equal(row.status, "delivered");
  assert.ok(row.delivered_at instanceof Date);
});

dbTest("delivered before sent: the message is delivered and the late sent changes nothing", async ({ admin, handle, texted }) => {
  const t = await texted();
  await expectTwiml(await handle(post(twilioPayload("twilio_status_delivered", { MessageSid: t.sid }))));
  const delivered = await messageRow(admin, t.messageId);
  await expectTwiml(await handle(post(twilioPayload("twilio_status_sent", { MessageSid: t.sid }))));
  const after = await messageRow(admin, t.messageId);
  assert.equal(after.status, "delivered");
  assert.deepEqual(after.delivered_at, delivered.delivered_at);
});

dbTest("the same callback ten times is answered ten times and moves the message once", async ({ admin, handle, texted, logs }) => {
  const t = await texted();
  const params = twilioPayload("twilio_status_delivered", { MessageSid: t.sid });
  for (let i = 0; i < 10; i++) await expectTwiml(await handle(post(params)));
  assert.equal((await messageRow(admin, t.messageId)).status, "delivered");
  const outcomes = logs.map((l) => JSON.parse(l)).filter((l) => l.event === "status_callback").map((l) => l.outcome);
  assert.deepEqual(outcomes, ["moved", ...Array(9).fill("unchanged")]);
});

dbTest("an unknown MessageSid is answered 200 and changes nothing", async ({ admin, handle, texted }) => {
  const t = await texted();
  await expectTwiml(await handle(post(twilioPayload("twilio_status_undelivered_30006", { MessageSid: smsSid() }))));
  const row = await messageRow(admin, t.messageId);
  assert.equal(row.status, "queued");
  assert.equal((await usability(admin, t.customerId)).phone_usable, true);
});

dbTest("undelivered 30006 keeps the error code and marks the landline unusable", async ({ admin, handle, texted }) => {
  const t = await texted();
  await expectTwiml(await handle(post(twilioPayload("twilio_status_undelivered_30006", { MessageSid: t.sid }))));
  const row = await messageRow(admin, t.messageId);
  assert.deepEqual([row.status, row.error_code, row.error_message], ["undelivered", "30006", "Landline or unreachable carrier"]);
  assert.equal((await usability(admin, t.customerId)).phone_usable, false);
});

dbTest("STOP in lower case with spaces opts the number out and cancels the follow-up", async ({ admin, handle, texted }) => {
  const t = await texted();
  await expectTwiml(await handle(post(twilioPayload("twilio_inbound_stop", { From: t.phone, MessageSid: smsSid() }))));
  assert.deepEqual(await optOuts(admin, t.businessId), [{ channel: "sms", address: t.phone, source: "sms_stop" }]);
  const followUp = await messageRow(admin, t.followUpId);
  assert.deepEqual([followUp.status, followUp.cancel_reason], ["cancelled", "opted_out"]);
});

dbTest("'Stop please' is a reply, not an opt-out", async ({ admin, handle, texted }) => {
  const t = await texted();
  const sid = smsSid();
  await expectTwiml(await handle(post(twilioPayload("twilio_inbound_reply", { From: t.phone, MessageSid: sid }))));
  assert.deepEqual(await optOuts(admin, t.businessId), []);
  const replies = await admin<{ business_id: string; customer_id: string; message_id: string; body: string }[]>`
    select business_id, customer_id, message_id, body from public.review_replies where provider_message_id = ${sid}`;
  assert.deepEqual(replies.map((r) => ({ ...r })), [{ business_id: t.businessId, customer_id: t.customerId, message_id: t.messageId, body: "Stop please" }]);
  assert.equal((await messageRow(admin, t.followUpId)).status, "scheduled", "a reply cancels nothing");
});

dbTest("START after STOP lifts the opt-out", async ({ admin, handle, texted }) => {
  const t = await texted();
  await expectTwiml(await handle(post(twilioPayload("twilio_inbound_stop", { From: t.phone, MessageSid: smsSid() }))));
  assert.equal((await optOuts(admin, t.businessId)).length, 1);
  await expectTwiml(await handle(post(twilioPayload("twilio_inbound_start_advanced_opt_out", { From: t.phone, MessageSid: smsSid() }))));
  assert.deepEqual(await optOuts(admin, t.businessId), []);
});

dbTest("a retried STOP after START changes nothing", async ({ admin, handle, texted }) => {
  const t = await texted();
  const stop = twilioPayload("twilio_inbound_stop", { From: t.phone, MessageSid: smsSid() });
  await expectTwiml(await handle(post(stop)));
  await expectTwiml(await handle(post(twilioPayload("twilio_inbound_start_advanced_opt_out", { From: t.phone, MessageSid: smsSid() }))));
  await expectTwiml(await handle(post(stop)));
  assert.deepEqual(await optOuts(admin, t.businessId), []);
});

dbTest("a query string on the URL configured in Twilio's console is part of what is signed", async ({ admin, handle, texted }) => {
  const t = await texted();
  const params = twilioPayload("twilio_inbound_stop", { From: t.phone, MessageSid: smsSid() });
  const signed = twilioRequest(`${INTERNAL_URL}?source=console`, params, { signedUrl: `${PUBLIC_URL}?source=console` });
  await expectTwiml(await handle(signed));
  assert.equal((await optOuts(admin, t.businessId)).length, 1);
  const unsignedQuery = twilioRequest(`${INTERNAL_URL}?source=console`, { ...params, MessageSid: smsSid() }, { signedUrl: PUBLIC_URL });
  assert.equal((await handle(unsignedQuery)).status, 401);
});

dbTest("a signed request that is neither a status callback nor a text is a 400", async ({ handle }) => {
  const res = await handle(post({ MessageSid: "SM-not-ours", MessageStatus: "sent" }));
  assert.equal(res.status, 400);
  assert.equal((await errorOf(res)).code, "invalid_request");
});

dbTest("logs say what happened without numbers, texts or signatures", async ({ handle, texted, logs }) => {
  const t = await texted();
  const request = post(twilioPayload("twilio_inbound_reply", { From: t.phone, MessageSid: smsSid(), Body: "My number is private" }));
  const signature = request.headers.get("x-twilio-signature")!;
  await expectTwiml(await handle(request));
  await handle(post(twilioPayload("twilio_status_sent", { MessageSid: t.sid }), { signature: "forged" }));
  const text = logs.join("\n");
  assert.ok(logs.some((l) => JSON.parse(l).event === "inbound_text"));
  for (const secret of [t.phone, "My number is private", signature, TEST_TWILIO.TWILIO_AUTH_TOKEN, "forged"]) {
    assert.equal(text.includes(secret), false, `the log contains ${JSON.stringify(secret)}`);
  }
});
