// jobber-webhook against the real database, Jobber stubbed to fail the test if called: every bad
// input gets its SPEC code and leaves nothing in the inbox; a good delivery is recorded once however
// often, and however concurrently, Jobber sends it; unknown accounts and topics are stored ignored
// and still answered 200; the database being down is a 503 Jobber will retry. Bodies are signed
// independently with node:crypto, exactly as Jobber signs them.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import type postgres from "postgres";
import type { Runtime } from "../_shared/runtime.ts";
import { TEST_CLIENT_SECRET } from "../_shared/testing.ts";
import { APP_ORIGIN, dbTestFactory, env, errorOf, functionUrl, JOBBER, NO_DATABASE, noJobber, stubbedRuntime } from "../_shared/testing_db.ts";
import { insertConnection } from "../../../tests/support/jobber_fixtures.ts";
import { createHandler } from "./handler.ts";

const vars = { ...env, APP_ORIGIN, JOBBER_API_BASE: JOBBER, JOBBER_CLIENT_SECRET: TEST_CLIENT_SECRET };

interface Ctx {
  admin: postgres.Sql;
  handle: (req: Request) => Promise<Response>;
  rt: Runtime;
  logs: string[];
  stub: ReturnType<typeof noJobber>;
  accountId: string;
  businessId: string;
}

/**
 * Each test: a connected business and its own handler. The worker's coalesced wake is marked in
 * flight for the test's duration, so the deliveries recorded here wake no real worker (the stack's
 * functions server would otherwise process them against the sandbox).
 */
const dbTest = (name: string, fn: (ctx: Ctx) => Promise<void>) =>
  dbTestFactory(({ admin, track, business }) => ({ admin, track, business }), { ignore: NO_DATABASE })(name, async ({ admin, track, business }) => {
    const { businessId } = await business();
    const { accountId } = await insertConnection(admin, businessId, {
      accessToken: "a",
      refreshToken: "r",
      expiresAt: new Date(Date.now() + 3600_000),
    });
    const logs: string[] = [];
    const stub = noJobber("jobber-webhook");
    const rt = track(stubbedRuntime(vars, stub, logs));
    await admin`update private.worker_tasks set wake_pending_since = now() + interval '1 hour' where task = 'process_webhooks'`;
    try {
      await fn({ admin, handle: createHandler(rt), rt, logs, stub, accountId, businessId });
    } finally {
      await admin`update private.worker_tasks set wake_pending_since = null where task = 'process_webhooks'`;
    }
  });

const sign = (body: string | Uint8Array, secret = TEST_CLIENT_SECRET) =>
  createHmac("sha256", secret).update(body).digest("base64");

function envelope(fields: Record<string, unknown>): string {
  return JSON.stringify({ data: { webHookEvent: fields } });
}

function eventBody(accountId: string, overrides: Record<string, unknown> = {}): { body: string; itemId: string } {
  const itemId = (overrides.itemId as string | undefined) ?? `Z2lkOi8vSm9iYmVyL0pvYi8${crypto.randomUUID()}`;
  const body = envelope({
    topic: "JOB_CLOSED",
    appId: "0b1f8d36-5e1a-4c4b-9a8e-2f6d3c1b7a90",
    accountId,
    itemId,
    occurredAt: "2025-10-12T03:27:49-06:00",
    ...overrides,
  });
  return { body, itemId };
}

function delivery(body: string | Uint8Array<ArrayBuffer>, signature: string | null = sign(body)): Request {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (signature !== null) headers["x-jobber-hmac-sha256"] = signature;
  return new Request(functionUrl("jobber-webhook"), { method: "POST", headers, body });
}

async function rows(admin: postgres.Sql, itemId: string) {
  return await admin<{ account_id: string; topic: string; state: string; business_id: string | null; occurred_at: Date; last_error: string | null }[]>`
    select account_id, topic, state, business_id, occurred_at, last_error from private.jobber_webhook_events where item_id = ${itemId}`;
}

async function cleanInbox(admin: postgres.Sql, itemIds: string[]) {
  await admin`delete from private.jobber_webhook_events where item_id = any(${itemIds})`;
}

dbTest("records a signed delivery once and answers 200 {received: true, duplicate: false}", async ({ admin, handle, accountId, businessId, stub }) => {
  const { body, itemId } = eventBody(accountId);
  const res = await handle(delivery(body));
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { received: true, duplicate: false });
  assert.deepEqual((await rows(admin, itemId)).map((r) => ({ ...r })), [{
    account_id: accountId,
    topic: "JOB_CLOSED",
    state: "pending",
    business_id: businessId,
    occurred_at: new Date("2025-10-12T09:27:49Z"),
    last_error: null,
  }]);
  const [connection] = await admin<{ last_webhook_at: Date | null }[]>`
    select last_webhook_at from public.integrations_jobber where business_id = ${businessId}`;
  assert.ok(connection!.last_webhook_at && Date.now() - connection!.last_webhook_at.getTime() < 60_000, "last_webhook_at is stamped");
  assert.equal(stub.calls.length, 0, "nothing but the database on the request path: no call to Jobber");
});

dbTest("answers a delivery Jobber repeats with duplicate: true and stores it once", async ({ admin, handle, accountId }) => {
  const { body, itemId } = eventBody(accountId);
  assert.deepEqual(await (await handle(delivery(body))).json(), { received: true, duplicate: false });
  const again = await handle(delivery(body));
  assert.equal(again.status, 200);
  assert.deepEqual(await again.json(), { received: true, duplicate: true });
  assert.equal((await rows(admin, itemId)).length, 1);
});

dbTest("records the same delivery sent 100 times concurrently exactly once", async ({ admin, handle, accountId }) => {
  const { body, itemId } = eventBody(accountId);
  const answers = await Promise.all(Array.from({ length: 100 }, () => handle(delivery(body)).then(async (r) => ({ status: r.status, body: await r.json() }))));
  assert.deepEqual(answers.map((a) => a.status), Array(100).fill(200));
  assert.equal(answers.filter((a) => a.body.duplicate === false).length, 1, "exactly one delivery is new");
  assert.equal(answers.filter((a) => a.body.duplicate === true).length, 99);
  assert.equal((await rows(admin, itemId)).length, 1);
});

dbTest("reads occuredAt, the spelling apps created before December 2023 receive", async ({ admin, handle, accountId }) => {
  const itemId = `item-${crypto.randomUUID()}`;
  const body = envelope({ topic: "VISIT_COMPLETE", appId: "app", accountId, itemId, occuredAt: "2025-10-12T09:27:49Z" });
  const res = await handle(delivery(body));
  assert.equal(res.status, 200);
  assert.equal((await rows(admin, itemId))[0]?.occurred_at.toISOString(), "2025-10-12T09:27:49.000Z");
});

// ---- bad input: each answered with its code, and nothing stored ------------------------------------

async function refused(ctx: Ctx, req: Request, itemId: string, status: number, code: string): Promise<string> {
  const res = await ctx.handle(req);
  assert.equal(res.status, status);
  const error = await errorOf(res);
  assert.equal(error.code, code);
  assert.equal((await rows(ctx.admin, itemId)).length, 0, "nothing was stored");
  const [connection] = await ctx.admin<{ last_webhook_at: Date | null }[]>`
    select last_webhook_at from public.integrations_jobber where business_id = ${ctx.businessId}`;
  assert.equal(connection!.last_webhook_at, null, "last_webhook_at was not stamped");
  return error.message;
}

dbTest("refuses a bad signature with 401 invalid_signature", async (ctx) => {
  const { body, itemId } = eventBody(ctx.accountId);
  await refused(ctx, delivery(body, "bm90LXRoZS1zaWduYXR1cmU="), itemId, 401, "invalid_signature");
  await refused(ctx, delivery(body, "garbage!"), itemId, 401, "invalid_signature");
});

dbTest("refuses a signature made with another secret", async (ctx) => {
  const { body, itemId } = eventBody(ctx.accountId);
  await refused(ctx, delivery(body, sign(body, "another-apps-client-secret")), itemId, 401, "invalid_signature");
});

dbTest("refuses a delivery without the X-Jobber-Hmac-SHA256 header", async (ctx) => {
  const { body, itemId } = eventBody(ctx.accountId);
  await refused(ctx, delivery(body, null), itemId, 401, "invalid_signature");
  await refused(ctx, delivery(body, ""), itemId, 401, "invalid_signature");
});

dbTest("refuses a body altered after signing", async (ctx) => {
  const { body, itemId } = eventBody(ctx.accountId);
  const altered = body.replace("JOB_CLOSED", "JOB_UPDATE");
  await refused(ctx, delivery(altered, sign(body)), itemId, 401, "invalid_signature");
  // Re-serialising the same JSON changes the bytes, and so the signature.
  await refused(ctx, delivery(JSON.stringify(JSON.parse(body), null, 2), sign(body)), itemId, 401, "invalid_signature");
});

dbTest("refuses a signed body that is not JSON with 400 invalid_request", async (ctx) => {
  const itemId = `never-${crypto.randomUUID()}`;
  const message = await refused(ctx, delivery(`{"data": {"webHookEvent": ${itemId}`), itemId, 400, "invalid_request");
  assert.equal(message, "The webhook body is not valid JSON.");
  await refused(ctx, delivery(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), itemId, 400, "invalid_request");
});

dbTest("refuses signed JSON of the wrong shape with 400 naming the field", async (ctx) => {
  const itemId = `never-${crypto.randomUUID()}`;
  assert.equal(
    await refused(ctx, delivery(JSON.stringify({ webHookEvent: { itemId } })), itemId, 400, "invalid_request"),
    "Invalid webhook payload: data is required",
  );
  assert.equal(
    await refused(ctx, delivery(envelope({ topic: "JOB_CLOSED", appId: "a", itemId, occurredAt: "2025-10-12T09:27:49Z" })), itemId, 400, "invalid_request"),
    "Invalid webhook payload: data.webHookEvent.accountId is required",
  );
  assert.equal(
    await refused(ctx, delivery(envelope({ topic: "JOB_CLOSED", appId: "a", accountId: ctx.accountId, itemId, occurredAt: "soon" })), itemId, 400, "invalid_request"),
    "Invalid webhook payload: data.webHookEvent.occurredAt must be an ISO 8601 date-time",
  );
  assert.equal(
    await refused(ctx, delivery(envelope({ topic: "JOB_CLOSED", appId: "a", accountId: ctx.accountId, itemId: "x".repeat(201), occurredAt: "2025-10-12T09:27:49Z" })), "x".repeat(201), 400, "invalid_request"),
    "Invalid webhook payload: data.webHookEvent.itemId must be at most 200 characters",
  );
  await refused(ctx, delivery("[]"), itemId, 400, "invalid_request");
});

dbTest("refuses a 300 KiB body with 413 payload_too_large, signed or not", async (ctx) => {
  const itemId = `big-${crypto.randomUUID()}`;
  const { body } = eventBody(ctx.accountId, { itemId, padding: "x".repeat(300 * 1024) });
  assert.ok(new TextEncoder().encode(body).byteLength > 300 * 1024);
  await refused(ctx, delivery(body), itemId, 413, "payload_too_large");
  await refused(ctx, delivery(body, "not-even-checked"), itemId, 413, "payload_too_large");
});

dbTest("refuses other methods with 405", async ({ handle }) => {
  const res = await handle(new Request(functionUrl("jobber-webhook"), { method: "GET" }));
  assert.equal(res.status, 405);
  assert.equal((await errorOf(res)).code, "method_not_allowed");
});

// ---- stored ignored, answered 200 ---------------------------------------------------------------------

dbTest("stores an event for an account no business has connected as ignored, and answers 200", async ({ admin, handle }) => {
  const { body, itemId } = eventBody(`acct-nobody-${crypto.randomUUID()}`);
  try {
    const res = await handle(delivery(body));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { received: true, duplicate: false });
    assert.deepEqual((await rows(admin, itemId)).map((r) => [r.state, r.business_id, r.last_error]), [
      ["ignored", null, "No business has this Jobber account connected."],
    ]);
    assert.deepEqual(await (await handle(delivery(body))).json(), { received: true, duplicate: true });
  } finally {
    await cleanInbox(admin, [itemId]);
  }
});

dbTest("stores a topic Blipp does not act on as ignored, and answers 200", async ({ admin, handle, accountId, businessId }) => {
  const { body, itemId } = eventBody(accountId, { topic: "INVOICE_CREATE" });
  const res = await handle(delivery(body));
  assert.equal(res.status, 200);
  assert.deepEqual((await rows(admin, itemId)).map((r) => [r.state, r.business_id, r.last_error]), [
    ["ignored", businessId, "Blipp does not act on this topic."],
  ]);
});

// ---- the database down, and the logs -------------------------------------------------------------------

Deno.test({
  name: "answers 503 service_unavailable when the database cannot be reached, so Jobber retries",
  ignore: NO_DATABASE,
  async fn() {
    // A port nothing listens on: the connection is refused at once.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const rt = stubbedRuntime({ ...vars, SUPABASE_DB_URL: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres` }, noJobber());
    try {
      const { body } = eventBody("acct-any");
      const res = await createHandler(rt)(delivery(body));
      assert.equal(res.status, 503);
      const error = await errorOf(res);
      assert.equal(error.code, "service_unavailable");
      assert.match(error.message, /Jobber will send this update again/);
    } finally {
      await rt.sql.end();
    }
  },
});

dbTest("never logs the signature or the body", async ({ handle, logs, accountId }) => {
  const { body } = eventBody(accountId);
  const signature = sign(body);
  await handle(delivery(body, signature));
  await handle(delivery(body, sign(body, "wrong-secret")));
  const text = logs.join("\n");
  assert.ok(logs.some((l) => JSON.parse(l).event === "webhook_received"));
  assert.ok(!text.includes(signature), "the signature is not logged");
  assert.ok(!text.includes(sign(body, "wrong-secret")), "a wrong signature is not logged either");
  assert.ok(!text.includes('"webHookEvent"') && !text.includes("appId"), "the raw body is not logged");
});
