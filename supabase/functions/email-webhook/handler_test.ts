// email-webhook against the real database, with recorded Resend events signed by an independent
// implementation of Svix's scheme (testing_webhooks.ts): nothing is read or stored before the
// signature and timestamp check out; a delivery is handled once per svix-id; events move the email
// forward only; bounces and complaints reach the contact.
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
import { resendEvent, svixRequest, TEST_RESEND } from "../_shared/messaging/testing_webhooks.ts";
import { askedCustomer, markSent, messageRow, optOuts, reviewBusiness, usability } from "../../../tests/support/review_fixtures.ts";
import { createHandler } from "./handler.ts";

const URL_ = "http://127.0.0.1:40123/email-webhook";
const vars = (base: Record<string, string | undefined>) => ({ ...base, APP_ORIGIN, ...TEST_RESEND });
const now = () => Math.floor(Date.now() / 1000);

async function received(res: Response, duplicate = false): Promise<void> {
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { received: true, duplicate });
}

Deno.test("email-webhook answers 401 when email is not configured", () =>
  withRuntime(stubbedRuntime(testEnv({ APP_ORIGIN }), noJobber("email-webhook")), async (rt) => {
    const res = await createHandler(rt)(svixRequest(URL_, resendEvent("resend_event_delivered", crypto.randomUUID())));
    assert.equal(res.status, 401);
    assert.equal((await errorOf(res)).code, "invalid_signature");
  }));

interface Ctx {
  admin: postgres.Sql;
  handle: Handle;
  /** A business that emailed one customer (step 0 accepted by Resend under a fresh id). */
  emailed: (email?: string) => Promise<{ businessId: string; customerId: string; messageId: string; followUpId: string; emailId: string }>;
}

const dbTest = dbTestFactory(({ admin, created, track }): Ctx => ({
  admin,
  handle: createHandler(track(stubbedRuntime(vars(env), noJobber("email-webhook")))),
  emailed: async (email = `jane.${crypto.randomUUID().slice(0, 8)}@example.com`) => {
    const b = await reviewBusiness(admin, { channels: ["email"] });
    created.businessIds.push(b.businessId);
    created.userIds.push(b.user.id);
    const asked = await askedCustomer(admin, b.businessId, { email });
    const emailId = crypto.randomUUID();
    await markSent(admin, asked.messages[0]!.id, "resend", emailId);
    return { businessId: b.businessId, customerId: asked.customerId, messageId: asked.messages[0]!.id, followUpId: asked.messages[1]!.id, emailId };
  },
}));

dbTest("unsigned, wrongly signed and other-secret events are refused with 401 and change nothing", async ({ admin, handle, emailed }) => {
  const e = await emailed();
  const body = resendEvent("resend_event_bounced", e.emailId);
  for (const request of [
    svixRequest(URL_, body, { signature: null }),
    svixRequest(URL_, body, { signature: "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" }),
    svixRequest(URL_, body, { secret: "whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==" }),
  ]) {
    const res = await handle(request);
    assert.equal(res.status, 401);
    assert.equal((await errorOf(res)).code, "invalid_signature");
  }
  assert.equal((await messageRow(admin, e.messageId)).status, "queued");
  assert.equal((await usability(admin, e.customerId)).email_usable, true);
});

dbTest("a signed event replayed with a changed field is refused", async ({ admin, handle, emailed }) => {
  const e = await emailed();
  const delivered = resendEvent("resend_event_delivered", e.emailId);
  const bounced = resendEvent("resend_event_bounced", e.emailId);
  const res = await handle(svixRequest(URL_, bounced, { signedBody: delivered }));
  assert.equal(res.status, 401);
  assert.equal((await messageRow(admin, e.messageId)).status, "queued");
});

dbTest("events older than the 5-minute tolerance are refused, saying why", async ({ admin, handle, emailed }) => {
  const e = await emailed();
  const res = await handle(svixRequest(URL_, resendEvent("resend_event_delivered", e.emailId), { timestamp: now() - 6 * 60 }));
  assert.equal(res.status, 401);
  assert.match((await errorOf(res)).message, /more than 5 minutes/);
  assert.equal((await messageRow(admin, e.messageId)).status, "queued");
});

dbTest("sent then delivered move the email forward, at the events' own times", async ({ admin, handle, emailed }) => {
  const e = await emailed();
  await received(await handle(svixRequest(URL_, resendEvent("resend_event_sent", e.emailId))));
  assert.equal((await messageRow(admin, e.messageId)).status, "sent");
  await received(await handle(svixRequest(URL_, resendEvent("resend_event_delivered", e.emailId))));
  const row = await messageRow(admin, e.messageId);
  assert.equal(row.status, "delivered");
  assert.equal(row.delivered_at?.toISOString(), "2025-10-12T15:27:52.480Z");
});

dbTest("delivered before sent: the email stays delivered", async ({ admin, handle, emailed }) => {
  const e = await emailed();
  await received(await handle(svixRequest(URL_, resendEvent("resend_event_delivered", e.emailId))));
  await received(await handle(svixRequest(URL_, resendEvent("resend_event_sent", e.emailId))));
  assert.equal((await messageRow(admin, e.messageId)).status, "delivered");
});

dbTest("the same delivery ten times (one svix-id) is handled once", async ({ admin, handle, emailed }) => {
  const e = await emailed();
  const body = resendEvent("resend_event_delivered", e.emailId);
  const id = `msg_${crypto.randomUUID().slice(0, 8)}`;
  await received(await handle(svixRequest(URL_, body, { id })));
  for (let i = 0; i < 9; i++) await received(await handle(svixRequest(URL_, body, { id })), true);
  assert.equal((await messageRow(admin, e.messageId)).status, "delivered");
});

dbTest("a delayed delivery counts as sent", async ({ admin, handle, emailed }) => {
  const e = await emailed();
  await received(await handle(svixRequest(URL_, resendEvent("resend_event_delivery_delayed", e.emailId))));
  assert.equal((await messageRow(admin, e.messageId)).status, "sent");
});

dbTest("a bounce makes the address unusable and the email undelivered", async ({ admin, handle, emailed }) => {
  const e = await emailed();
  await received(await handle(svixRequest(URL_, resendEvent("resend_event_bounced", e.emailId))));
  const row = await messageRow(admin, e.messageId);
  assert.deepEqual([row.status, row.error_code], ["undelivered", "email_bounced"]);
  assert.equal((await usability(admin, e.customerId)).email_usable, false);
});

dbTest("a complaint opts the address out and cancels the follow-up", async ({ admin, handle, emailed }) => {
  const e = await emailed("Kim.Complains@Example.com");
  await received(await handle(svixRequest(URL_, resendEvent("resend_event_complained", e.emailId))));
  assert.deepEqual(await optOuts(admin, e.businessId), [{ channel: "email", address: "kim.complains@example.com", source: "email_complaint" }]);
  const followUp = await messageRow(admin, e.followUpId);
  assert.deepEqual([followUp.status, followUp.cancel_reason], ["cancelled", "opted_out"]);
});

dbTest("an event about an unknown email is answered 200 and changes nothing", async ({ admin, handle, emailed }) => {
  const e = await emailed();
  await received(await handle(svixRequest(URL_, resendEvent("resend_event_bounced", crypto.randomUUID()))));
  assert.equal((await messageRow(admin, e.messageId)).status, "queued");
  assert.equal((await usability(admin, e.customerId)).email_usable, true);
});

dbTest("opens are recorded and change nothing", async ({ admin, handle, emailed }) => {
  const e = await emailed();
  await received(await handle(svixRequest(URL_, resendEvent("resend_event_opened", e.emailId))));
  assert.equal((await messageRow(admin, e.messageId)).status, "queued");
});

dbTest("a signed body that is not a Resend event is a 400", async ({ handle }) => {
  const notJson = await handle(svixRequest(URL_, "not json"));
  assert.equal(notJson.status, 400);
  assert.equal((await errorOf(notJson)).code, "invalid_request");
  const noEmail = await handle(svixRequest(URL_, JSON.stringify({ type: "email.sent", created_at: "2025-10-12T00:00:00Z", data: {} })));
  assert.equal(noEmail.status, 400);
});
