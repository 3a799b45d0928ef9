// jobber-status against the real database with Jobber's token endpoint stubbed: the SPEC §5 JSON
// for members, read under RLS, with an expired token refreshed first.
import assert from "node:assert/strict";
import type postgres from "postgres";
import type { Runtime } from "../_shared/runtime.ts";
import { jsonReply, stubFetch } from "../_shared/testing.ts";
import {
  APP_ORIGIN,
  dbTestFactory,
  env,
  functionUrl,
  type Handle,
  JOBBER,
  jobberAccessToken,
  noJobber as refusingFetch,
  postJson,
  type SignedInTenant,
  type Stub,
  stubbedRuntime,
  TOKEN_URL,
  userJwt,
} from "../_shared/testing_db.ts";
import {
  cleanup,
  createTenant,
  insertConnection,
  type Role,
  storedTokens,
} from "../../../tests/support/jobber_fixtures.ts";
import { createHandler } from "./handler.ts";

const runtime = (fetchStub: Stub): Runtime => stubbedRuntime({ ...env, APP_ORIGIN, JOBBER_API_BASE: JOBBER }, fetchStub);

const statusRequest = (businessId: string, jwt: string, method: "GET" | "POST" = "GET") =>
  method === "GET"
    ? new Request(`${functionUrl("jobber-status")}?business_id=${businessId}`, {
      headers: { authorization: `Bearer ${jwt}` },
    })
    : postJson("jobber-status", { business_id: businessId }, { token: jwt });

// The keys of SPEC §5, in order, then SPEC §9's jobs.
const STATUS_SHAPE = {
  top: [
    "connected",
    "connectionStatus",
    "account_name",
    "last_sync",
    "token_expires_at",
    "connection",
    "needs_reconnect",
    "error_message",
    "customers",
    "sync",
    "webhooks",
    "jobs",
  ],
  connection: ["account_name", "last_sync", "connected_at"],
  customers: ["total", "from_jobber"],
  sync: [
    "run_id",
    "kind",
    "state",
    "processed",
    "total",
    "synced",
    "errors",
    "started_at",
    "finished_at",
    "error",
    "created",
    "updated",
    "removed",
    "since",
  ],
  webhooks: ["last_event_at", "pending", "failed"],
  jobs: ["completed_30d", "last_completed_at"],
};

// deno-lint-ignore no-explicit-any
function assertStatusShape(body: any) {
  assert.deepEqual(Object.keys(body), STATUS_SHAPE.top);
  assert.deepEqual(Object.keys(body.connection), STATUS_SHAPE.connection);
  assert.deepEqual(Object.keys(body.customers), STATUS_SHAPE.customers);
  assert.deepEqual(Object.keys(body.sync), STATUS_SHAPE.sync);
  assert.deepEqual(Object.keys(body.webhooks), STATUS_SHAPE.webhooks);
  assert.deepEqual(Object.keys(body.jobs), STATUS_SHAPE.jobs);
}

interface Ctx {
  admin: postgres.Sql;
  handler: (fetchStub: Stub) => Handle;
  tenant: (role?: Role) => Promise<SignedInTenant>;
}

const dbTest = dbTestFactory(({ admin, track, tenant }): Ctx => ({
  admin,
  handler: (fetchStub) => createHandler(track(runtime(fetchStub))),
  tenant,
}));

const noJobber = () => refusingFetch("jobber-status");

dbTest("jobber-status shows a member the documented status JSON of a connected business", async (ctx) => {
  const { businessId, userId } = await ctx.tenant("owner");
  const memberUser = await createTenant(ctx.admin, "member");
  await ctx.admin`insert into public.business_members (business_id, user_id, role) values (${businessId}, ${memberUser.user.id}, 'member')`;
  const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 3600_000);
  await insertConnection(ctx.admin, businessId, { accountName: "Sparkle & Sons", accessToken: "a", refreshToken: "r", expiresAt });
  await ctx.admin`insert into public.customers (business_id, source, external_id, full_name)
                  values (${businessId}, 'jobber', 'c-1', 'From Jobber'), (${businessId}, 'manual', null, 'Typed In')`;
  const [run] = await ctx.admin`insert into public.jobber_sync_runs (business_id, kind, trigger, requested_by)
                                values (${businessId}, 'full', 'connect', ${userId}) returning id`;

  try {
    const stub = noJobber();
    const res = await ctx.handler(stub)(statusRequest(businessId, await userJwt(memberUser.user.id)));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), APP_ORIGIN);
    const body = await res.json();
    assertStatusShape(body);
    assert.equal(body.connected, true);
    assert.equal(body.connectionStatus, "connected");
    assert.equal(body.account_name, "Sparkle & Sons");
    assert.equal(body.connection.account_name, "Sparkle & Sons");
    assert.equal(body.token_expires_at, expiresAt.toISOString());
    assert.equal(typeof body.connection.connected_at, "string");
    assert.equal(body.needs_reconnect, false);
    assert.equal(body.error_message, null);
    assert.deepEqual(body.customers, { total: 2, from_jobber: 1 });
    assert.equal(body.sync.run_id, run!.id);
    assert.equal(body.sync.kind, "full");
    assert.equal(body.sync.state, "queued");
    assert.deepEqual([body.sync.created, body.sync.updated, body.sync.removed, body.sync.since], [0, 0, 0, null]);
    assert.equal(stub.calls.length, 0, "a fresh token needs no call to Jobber");
    const text = JSON.stringify(body);
    assert.ok(!/secret/.test(text), "the status names no secret");
  } finally {
    await cleanup(ctx.admin, { userIds: [memberUser.user.id], businessIds: [memberUser.businessId] });
  }
});

dbTest("jobber-status answers the jobber_status view's status column byte for byte: one shape, built once", async (ctx) => {
  const { businessId, jwt } = await ctx.tenant("member");
  await insertConnection(ctx.admin, businessId, { accessToken: "a", refreshToken: "r", expiresAt: new Date(Date.now() + 3600_000) });
  await ctx.admin`insert into public.jobber_sync_runs (business_id, kind, state, processed, total, created, failed, started_at)
                  values (${businessId}, 'full', 'running', 300, 1200, 280, 20, now())`;
  const res = await ctx.handler(noJobber())(statusRequest(businessId, jwt));
  const answered = await res.text();
  const [row] = await ctx.admin<{ status: unknown }[]>`select status from public.jobber_status where business_id = ${businessId}`;
  assert.equal(answered, JSON.stringify(row!.status));
  assert.deepEqual(JSON.parse(answered).sync, {
    run_id: JSON.parse(answered).sync.run_id,
    kind: "full",
    state: "running",
    processed: 300,
    total: 1200,
    synced: 280,
    errors: 20,
    started_at: JSON.parse(answered).sync.started_at,
    finished_at: null,
    error: null,
    created: 280,
    updated: 0,
    removed: 0,
    since: null,
  });
});

dbTest("jobber-status carries the inbox's pending and failed counts and the jobs done in 30 days (SPEC §9)", async (ctx) => {
  const { businessId, jwt } = await ctx.tenant("member");
  const { accountId } = await insertConnection(ctx.admin, businessId, { accessToken: "a", refreshToken: "r", expiresAt: new Date(Date.now() + 3600_000) });
  await ctx.admin`update public.integrations_jobber set last_webhook_at = '2025-10-12T03:30:00.123Z' where business_id = ${businessId}`;
  await ctx.admin`
    insert into private.jobber_webhook_events (account_id, topic, item_id, occurred_at, business_id, state)
    values (${accountId}, 'JOB_CLOSED', 'j1', now(), ${businessId}, 'pending'),
           (${accountId}, 'JOB_UPDATE', 'j1', now(), ${businessId}, 'processing'),
           (${accountId}, 'VISIT_COMPLETE', 'v1', now(), ${businessId}, 'failed'),
           (${accountId}, 'CLIENT_UPDATE', 'c1', now(), ${businessId}, 'done')`;
  await ctx.admin`
    with j as (insert into public.jobs (business_id, external_id) values (${businessId}, 'j1'), (${businessId}, 'j2') returning id, external_id)
    insert into public.job_completions (business_id, job_id, kind, completed_at, source)
    select ${businessId}, j.id, 'job_closed', case j.external_id when 'j1' then now() - interval '2 days' else now() - interval '40 days' end,
           'webhook' from j`;
  const body = await (await ctx.handler(noJobber())(statusRequest(businessId, jwt))).json();
  assert.deepEqual(body.webhooks, { last_event_at: "2025-10-12T03:30:00.123Z", pending: 2, failed: 1 });
  assert.equal(body.jobs.completed_30d, 1, "only the last 30 days count");
  assert.ok(Math.abs(Date.parse(body.jobs.last_completed_at) - (Date.now() - 2 * 86_400_000)) < 60_000, "the latest completion");
});

dbTest("jobber-status answers POST the same way as GET", async (ctx) => {
  const { businessId, jwt } = await ctx.tenant("member");
  const handle = ctx.handler(noJobber());
  const viaGet = await (await handle(statusRequest(businessId, jwt, "GET"))).json();
  const viaPost = await (await handle(statusRequest(businessId, jwt, "POST"))).json();
  assert.deepEqual(viaPost, viaGet);
});

dbTest("jobber-status answers a never-connected business with connected:false and the same keys", async (ctx) => {
  const { businessId, jwt } = await ctx.tenant("member");
  const res = await ctx.handler(noJobber())(statusRequest(businessId, jwt));
  assert.equal(res.status, 200);
  const body = await res.json();
  assertStatusShape(body);
  assert.equal(body.connected, false);
  assert.equal(body.connectionStatus, "disconnected");
  assert.equal(body.account_name, null);
  assert.equal(body.token_expires_at, null);
  assert.equal(body.needs_reconnect, false);
  assert.deepEqual(body.customers, { total: 0, from_jobber: 0 });
  assert.equal(body.sync.state, "never");
  assert.equal(body.sync.run_id, null);
});

dbTest("jobber-status answers 403 not_a_member to someone outside the business", async (ctx) => {
  const theirs = await ctx.tenant("owner");
  const mine = await ctx.tenant("owner");
  await insertConnection(ctx.admin, theirs.businessId, {
    accessToken: "a",
    refreshToken: "r",
    expiresAt: new Date(Date.now() + 3600_000),
  });
  const res = await ctx.handler(noJobber())(statusRequest(theirs.businessId, mine.jwt));
  assert.equal(res.status, 403);
  const body = await res.json();
  assert.equal(body.error.code, "not_a_member");
  assert.ok(!JSON.stringify(body).includes("Test Jobber Account"));
});

dbTest("jobber-status answers 401 without a JWT", async (ctx) => {
  const res = await ctx.handler(noJobber())(
    new Request(`https://project.example.test/functions/v1/jobber-status?business_id=${crypto.randomUUID()}`),
  );
  assert.equal(res.status, 401);
  assert.equal((await res.json()).error.code, "unauthenticated");
});

dbTest("jobber-status refreshes an expired token once before answering", async (ctx) => {
  const { businessId, jwt } = await ctx.tenant("member");
  const newExp = new Date(Math.floor(Date.now() / 1000) * 1000 + 3600_000);
  const newAccess = await jobberAccessToken(newExp);
  const stub = stubFetch(() => jsonReply(200, { access_token: newAccess, refresh_token: "r-2" }));
  await insertConnection(ctx.admin, businessId, {
    accessToken: "a-1",
    refreshToken: "r-1",
    expiresAt: new Date(Date.now() - 60_000),
  });
  const res = await ctx.handler(stub)(statusRequest(businessId, jwt));
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.connected, true);
  assert.equal(body.token_expires_at, newExp.toISOString());

  assert.equal(stub.calls.length, 1);
  assert.equal(stub.calls[0]!.url, TOKEN_URL);
  const form = new URLSearchParams(stub.calls[0]!.body);
  assert.equal(form.get("grant_type"), "refresh_token");
  assert.equal(form.get("refresh_token"), "r-1");
  const [row] = await ctx.admin`select token_expires_at from public.integrations_jobber where business_id = ${businessId}`;
  assert.equal((row!.token_expires_at as Date).toISOString(), newExp.toISOString());
  assert.deepEqual(await storedTokens(ctx.admin, businessId), { access_token: newAccess, refresh_token: "r-2" });
});

dbTest("jobber-status shows needs_reconnect when Jobber refuses the refresh token", async (ctx) => {
  const { businessId, jwt } = await ctx.tenant("member");
  const stub = stubFetch(() =>
    jsonReply(400, { error: "invalid_grant", error_description: "The provided refresh token is not valid." })
  );
  await insertConnection(ctx.admin, businessId, {
    accessToken: "a-1",
    refreshToken: "r-dead",
    expiresAt: new Date(Date.now() - 60_000),
  });
  const res = await ctx.handler(stub)(statusRequest(businessId, jwt));
  assert.equal(res.status, 200);
  const body = await res.json();
  assertStatusShape(body);
  assert.equal(body.connected, false);
  assert.equal(body.connectionStatus, "error");
  assert.equal(body.needs_reconnect, true);
  assert.match(body.error_message, /Reconnect Jobber/);
  assert.ok(!body.error_message.includes("r-dead"));
  assert.equal(stub.calls.length, 1);
});

dbTest("jobber-status stays connected through a transient refresh failure and cools down", async (ctx) => {
  const { businessId, jwt } = await ctx.tenant("member");
  const stub = stubFetch(() => jsonReply(503, { error: "server_error" }));
  await insertConnection(ctx.admin, businessId, {
    accessToken: "a-1",
    refreshToken: "r-1",
    expiresAt: new Date(Date.now() - 60_000),
  });
  const handle = ctx.handler(stub);
  const before = Date.now();
  const first = await (await handle(statusRequest(businessId, jwt))).json();
  assert.equal(first.connected, true);
  assert.equal(first.connectionStatus, "connected");
  assert.equal(first.needs_reconnect, false);
  const callsAfterFirst = stub.calls.length;
  assert.ok(callsAfterFirst >= 1);

  const [row] = await ctx.admin`select refresh_retry_at, refresh_failures from public.integrations_jobber where business_id = ${businessId}`;
  assert.ok(row!.refresh_retry_at instanceof Date && row!.refresh_retry_at.getTime() > before, "a cooldown is set");
  assert.equal(row!.refresh_failures, 1);
  // The refresh token was not spent: it is still the one stored.
  assert.equal((await storedTokens(ctx.admin, businessId)).refresh_token, "r-1");

  const second = await (await handle(statusRequest(businessId, jwt))).json();
  assert.equal(second.connectionStatus, "connected");
  assert.equal(stub.calls.length, callsAfterFirst, "a status call during the cooldown reached Jobber");
});

dbTest("jobber-status says what the latest sync changed and the time it looked from", async (ctx) => {
  const { businessId, jwt } = await ctx.tenant("member");
  const since = new Date(Math.floor(Date.now() / 1000) * 1000 - 20 * 60_000);
  await ctx.admin`insert into public.jobber_sync_runs (business_id, kind, trigger, state, since, processed, created, updated,
                    linked, unchanged, removed, started_at, finished_at)
                  values (${businessId}, 'incremental', 'manual', 'succeeded', ${since}, 9, 2, 3, 1, 3, 0, now(), now())`;
  const res = await ctx.handler(noJobber())(statusRequest(businessId, jwt));
  const body = await res.json();
  assert.deepEqual(
    { created: body.sync.created, updated: body.sync.updated, removed: body.sync.removed, since: body.sync.since },
    { created: 2, updated: 4, removed: 0, since: since.toISOString() },
  );
});
