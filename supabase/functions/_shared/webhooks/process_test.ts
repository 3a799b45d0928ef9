// The webhook worker against the real database, Jobber stubbed per GraphQL operation: each topic
// of SPEC §9's table re-fetches its object and applies it; events about one object share a fetch;
// Jobber's 5xx, THROTTLED and 401-then-refresh are ridden out or settled for a retry; "disconnected"
// runs the one routine; a worker that lost its lease applies nothing.
import assert from "node:assert/strict";
import type postgres from "postgres";
import { silentLogger } from "../log.ts";
import type { Runtime } from "../runtime.ts";
import { jsonReply, type RecordedCall } from "../testing.ts";
import { APP_ORIGIN, dbTestFactory, env, GRAPHQL_URL, JOBBER, jobberAccessToken, NO_DATABASE, stubbedRuntime, TOKEN_URL } from "../testing_db.ts";
import { stubFetch } from "../testing.ts";
import { insertConnection, storedTokens } from "../../../../tests/support/jobber_fixtures.ts";
import { takeLease } from "../worker/lease.ts";
import { HANDLED_TOPICS, processBatch } from "./process.ts";

const vars = { ...env, APP_ORIGIN, JOBBER_API_BASE: JOBBER };
const ACCESS = "access-token-of-the-test";

type Reply = (call: RecordedCall, variables: Record<string, unknown>) => Response | Promise<Response>;

/** A Jobber whose answers are chosen by GraphQL operation (Client, Job, Visit) and token grant. */
function jobber(replies: Record<string, Reply>) {
  return stubFetch((call) => {
    if (call.url === TOKEN_URL) return replies.token?.(call, {}) ?? jsonReply(400, { error: "invalid_grant" });
    if (call.url !== GRAPHQL_URL) throw new Error(`unexpected call to ${call.url}`);
    const { query, variables } = JSON.parse(call.body) as { query: string; variables: Record<string, unknown> };
    const operation = /^\s*query (\w+)/.exec(query)?.[1] ?? "?";
    const reply = replies[operation];
    if (!reply) throw new Error(`no stubbed answer for ${operation}`);
    return reply(call, variables);
  });
}

const ok = (data: unknown) => jsonReply(200, { data, extensions: { cost: { requestedQueryCost: 51, actualQueryCost: 20, throttleStatus: { maximumAvailable: 10000, currentlyAvailable: 9900, restoreRate: 500 } } } });

const client = (id: string, name = "Ann Lee", updatedAt = "2025-10-12T12:00:00Z") => ({
  id, name, firstName: name.split(" ")[0], lastName: name.split(" ")[1], companyName: null, isCompany: false, isLead: false,
  isArchived: false, updatedAt, emails: [{ address: `${name.split(" ")[0]!.toLowerCase()}@example.com`, primary: true }],
  phones: [], billingAddress: null, clientProperties: { nodes: [] },
});

const job = (id: string, clientId: string, over: Record<string, unknown> = {}) => ({
  id, jobNumber: 12, title: "Gutter cleaning", jobStatus: "requires_invoicing", jobType: "ONE_OFF", total: 240,
  completedAt: "2025-10-12T15:00:00Z", updatedAt: "2025-10-12T15:00:01Z", client: client(clientId),
  property: { address: { street1: "1 Main St", city: "Denver", province: "CO", postalCode: "80202", country: "US", coordinates: { latitude: 39.7392, longitude: -104.9903 } } },
  ...over,
});

interface Ctx {
  admin: postgres.Sql;
  businessId: string;
  accountId: string;
  runtime: (stub: ReturnType<typeof stubFetch>) => Runtime;
  receive: (topic: string, itemId: string, occurredAt?: string) => Promise<string>;
  /** Runs the worker over the test's events until none is due. */
  work: (rt: Runtime, eventIds: string[]) => Promise<number>;
}

const dbTest = (name: string, fn: (ctx: Ctx) => Promise<void>) =>
  dbTestFactory(({ admin, track, business }) => ({ admin, track, business }), { ignore: NO_DATABASE })(name, async ({ admin, track, business }) => {
    const { businessId } = await business();
    const { accountId } = await insertConnection(admin, businessId, { accessToken: ACCESS, refreshToken: "refresh-1", expiresAt: new Date(Date.now() + 3600_000) });
    await admin`update private.worker_tasks set wake_pending_since = now() + interval '1 hour' where task = 'process_webhooks'`;
    const ctx: Ctx = {
      admin,
      businessId,
      accountId,
      runtime: (stub) => track(stubbedRuntime(vars, stub)),
      async receive(topic, itemId, occurredAt = "2025-10-12T15:00:01Z") {
        await admin`select * from private.jobber_receive_webhooks(${admin.json([{ account_id: accountId, topic, item_id: itemId, occurred_at: occurredAt, app_id: "app" }] as never)}::jsonb)`;
        const [row] = await admin<{ id: string }[]>`
          select id from private.jobber_webhook_events where account_id = ${accountId} and topic = ${topic} and item_id = ${itemId}
          order by id desc limit 1`;
        return row!.id;
      },
      async work(rt, eventIds) {
        const lease = await takeLease(rt, silentLogger, "process_webhooks", { leaseMs: 60_000, budgetMs: 100_000 });
        try {
          let total = 0;
          for (let n; (n = await processBatch(rt, silentLogger, lease, { eventIds })) > 0;) total += n;
          return total;
        } finally {
          await lease.end();
        }
      },
    };
    try {
      await fn(ctx);
    } finally {
      await admin`update private.worker_tasks set wake_pending_since = null where task = 'process_webhooks'`;
    }
  });

async function events(admin: postgres.Sql, ids: string[]) {
  return (await admin<{ topic: string; state: string; attempts: number; last_error: string | null; retry_in: number | null }[]>`
    select topic, state, attempts, last_error,
           case when state = 'pending' then round(extract(epoch from next_attempt_at - now()))::int end as retry_in
    from private.jobber_webhook_events where id = any(${ids}::bigint[]) order by id`).map((r) => ({ ...r }));
}

async function completions(admin: postgres.Sql, businessId: string) {
  return (await admin<{ kind: string; source: string; completed_at: Date }[]>`
    select kind, source, completed_at from public.job_completions where business_id = ${businessId} order by kind`).map((r) => ({ ...r }));
}

Deno.test({
  name: "the worker handles exactly the topics the receiver stores as pending",
  ignore: NO_DATABASE,
  async fn() {
    const { default: postgresClient } = await import("postgres");
    const sql = postgresClient(env.STACK_ADMIN_DB_URL!, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql<{ topics: string[] }[]>`select private.jobber_webhook_topics() as topics`;
      assert.deepEqual([...row!.topics].sort(), Object.keys(HANDLED_TOPICS).sort());
    } finally {
      await sql.end();
    }
  },
});

dbTest("JOB_CLOSED and the JOB_UPDATE after it: one fetch, the job and its customer applied, one job_closed completion", async (ctx) => {
  const stub = jobber({ Job: (_c, v) => ok({ job: job(String(v.id), "CLIENT-1") }) });
  const ids = [await ctx.receive("JOB_CLOSED", "JOB-1"), await ctx.receive("JOB_UPDATE", "JOB-1")];
  assert.equal(await ctx.work(ctx.runtime(stub), ids), 2);
  assert.equal(stub.calls.length, 1, "both events about the job shared one fetch");
  assert.equal(stub.calls[0]!.headers.get("authorization"), `Bearer ${ACCESS}`);
  assert.deepEqual(await events(ctx.admin, ids), [
    { topic: "JOB_CLOSED", state: "done", attempts: 0, last_error: null, retry_in: null },
    { topic: "JOB_UPDATE", state: "done", attempts: 0, last_error: null, retry_in: null },
  ]);
  const [row] = await ctx.admin<{ job_status: string; property_time_zone: string; full_name: string }[]>`
    select j.job_status, j.property_time_zone, c.full_name from public.jobs j join public.customers c on c.id = j.customer_id
    where j.business_id = ${ctx.businessId} and j.external_id = 'JOB-1'`;
  assert.deepEqual({ ...row }, { job_status: "requires_invoicing", property_time_zone: "America/Denver", full_name: "Ann Lee" });
  assert.deepEqual(await completions(ctx.admin, ctx.businessId), [
    { kind: "job_closed", source: "webhook", completed_at: new Date("2025-10-12T15:00:00Z") },
  ]);
});

dbTest("VISIT_COMPLETE: the visit with its job and assignees, and a visit_completed completion", async (ctx) => {
  const stub = jobber({
    Visit: (_c, v) => ok({ visit: {
      id: v.id, title: "Visit 2 of 4", startAt: "2025-10-12T14:00:00Z", endAt: "2025-10-12T16:00:00Z",
      completedAt: "2025-10-12T15:50:00Z", isLastScheduledVisit: false,
      assignedUsers: { nodes: [{ name: { full: "Priya Natarajan" } }] },
      job: job("JOB-2", "CLIENT-2", { completedAt: null, jobStatus: "today", jobType: "RECURRING" }),
    } }),
  });
  const ids = [await ctx.receive("VISIT_COMPLETE", "VISIT-1")];
  await ctx.work(ctx.runtime(stub), ids);
  assert.equal((await events(ctx.admin, ids))[0]!.state, "done");
  const [visit] = await ctx.admin<{ assigned_to: string[]; completed_at: Date; job: string }[]>`
    select v.assigned_to, v.completed_at, j.external_id as job from public.job_visits v join public.jobs j on j.id = v.job_id
    where v.business_id = ${ctx.businessId} and v.external_id = 'VISIT-1'`;
  assert.deepEqual({ ...visit }, { assigned_to: ["Priya Natarajan"], completed_at: new Date("2025-10-12T15:50:00Z"), job: "JOB-2" });
  assert.deepEqual(await completions(ctx.admin, ctx.businessId), [
    { kind: "visit_completed", source: "webhook", completed_at: new Date("2025-10-12T15:50:00Z") },
  ]);
});

dbTest("CLIENT_UPDATE applies the client as the sync does; CLIENT_DESTROY with the client gone marks it removed", async (ctx) => {
  let gone = false;
  const stub = jobber({ Client: (_c, v) => ok({ client: gone ? null : client(String(v.id), "Sam Ortiz") }) });
  const rt = ctx.runtime(stub);
  await ctx.work(rt, [await ctx.receive("CLIENT_UPDATE", "CLIENT-9")]);
  const status = async () =>
    (await ctx.admin<{ full_name: string; status: string }[]>`
      select full_name, status from public.customers where business_id = ${ctx.businessId} and external_id = 'CLIENT-9'`).map((r) => ({ ...r }));
  assert.deepEqual(await status(), [{ full_name: "Sam Ortiz", status: "active" }]);
  gone = true;
  await ctx.work(rt, [await ctx.receive("CLIENT_DESTROY", "CLIENT-9")]);
  assert.deepEqual(await status(), [{ full_name: "Sam Ortiz", status: "removed" }]);
});

dbTest("JOB_DESTROY: Jobber has no such job any more, so it is marked deleted and its completion kept", async (ctx) => {
  let deleted = false;
  const stub = jobber({ Job: (_c, v) => ok({ job: deleted ? null : job(String(v.id), "CLIENT-3") }) });
  const rt = ctx.runtime(stub);
  await ctx.work(rt, [await ctx.receive("JOB_CLOSED", "JOB-3")]);
  deleted = true;
  const ids = [await ctx.receive("JOB_DESTROY", "JOB-3", "2025-10-12T16:00:00Z")];
  await ctx.work(rt, ids);
  assert.equal((await events(ctx.admin, ids))[0]!.state, "done");
  const [row] = await ctx.admin<{ deleted: boolean }[]>`
    select deleted_at is not null as deleted from public.jobs where business_id = ${ctx.businessId} and external_id = 'JOB-3'`;
  assert.equal(row!.deleted, true);
  assert.equal((await completions(ctx.admin, ctx.businessId)).length, 1);
});

dbTest("Jobber answering 5xx: the client retries, then the event is settled to try again in 10 s", async (ctx) => {
  const stub = jobber({ Job: () => jsonReply(503, { message: "Service Unavailable" }) });
  const ids = [await ctx.receive("JOB_UPDATE", "JOB-4")];
  await ctx.work(ctx.runtime(stub), ids);
  assert.equal(stub.calls.length, 6, "the first try and five retries");
  const [event] = await events(ctx.admin, ids);
  assert.equal(event!.state, "pending");
  assert.equal(event!.attempts, 1);
  assert.match(event!.last_error!, /Jobber/);
  assert.ok(event!.retry_in! >= 9 && event!.retry_in! <= 10, `due again in about 10 s, not ${event!.retry_in}`);
  assert.equal((await ctx.admin`select 1 from public.jobs where business_id = ${ctx.businessId}`).length, 0, "nothing applied");
});

dbTest("Jobber THROTTLED: the worker waits out the bucket, then applies", async (ctx) => {
  let calls = 0;
  const stub = jobber({
    Job: (_c, v) => ++calls === 1
      ? jsonReply(200, { errors: [{ message: "Throttled", extensions: { code: "THROTTLED" } }], extensions: { cost: { requestedQueryCost: 51, actualQueryCost: 0, throttleStatus: { maximumAvailable: 10000, currentlyAvailable: 10, restoreRate: 500 } } } })
      : ok({ job: job(String(v.id), "CLIENT-5") }),
  });
  const rt = ctx.runtime(stub);
  const waits: number[] = [];
  const waiting = { ...rt, sleep: (ms: number) => (waits.push(ms), Promise.resolve()) };
  const ids = [await ctx.receive("JOB_CLOSED", "JOB-5")];
  await ctx.work(waiting, ids);
  assert.equal(calls, 2);
  assert.ok(waits.some((ms) => ms > 0), "it waited before asking again");
  assert.equal((await events(ctx.admin, ids))[0]!.state, "done");
  assert.equal((await completions(ctx.admin, ctx.businessId)).length, 1);
});

dbTest("Jobber answering 401: one refresh, then the event is applied with the new token", async (ctx) => {
  const fresh = await jobberAccessToken(new Date(Date.now() + 3600_000));
  const stub = jobber({
    token: () => jsonReply(200, { access_token: fresh, refresh_token: "refresh-2" }),
    Job: (call, v) => call.headers.get("authorization") === `Bearer ${fresh}`
      ? ok({ job: job(String(v.id), "CLIENT-6") })
      : jsonReply(401, { message: "Unauthorized" }),
  });
  const ids = [await ctx.receive("JOB_CLOSED", "JOB-6")];
  await ctx.work(ctx.runtime(stub), ids);
  assert.equal(stub.calls.filter((c) => c.url === TOKEN_URL).length, 1, "one refresh");
  assert.deepEqual(await storedTokens(ctx.admin, ctx.businessId), { access_token: fresh, refresh_token: "refresh-2" });
  assert.equal((await events(ctx.admin, ids))[0]!.state, "done");
  assert.equal((await completions(ctx.admin, ctx.businessId)).length, 1);
});

dbTest("Jobber saying the app was disconnected runs the routine: tokens gone, disconnected, the events ignored", async (ctx) => {
  const stub = jobber({ Job: () => jsonReply(401, { message: "User has disconnected this app from their account. Please delete this token" }) });
  const ids = [await ctx.receive("JOB_CLOSED", "JOB-7")];
  await ctx.work(ctx.runtime(stub), ids);
  const [event] = await events(ctx.admin, ids);
  assert.equal(event!.state, "ignored");
  assert.equal(event!.last_error, "Jobber says this app was disconnected from the account.");
  const [row] = await ctx.admin<{ connection_status: string; needs_reconnect: boolean; error_message: string }[]>`
    select connection_status, needs_reconnect, error_message from public.integrations_jobber where business_id = ${ctx.businessId}`;
  assert.equal(row!.connection_status, "disconnected");
  assert.equal(row!.needs_reconnect, true);
  assert.match(row!.error_message, /^Jobber says this app was disconnected from the Jobber account/);
  assert.deepEqual(await storedTokens(ctx.admin, ctx.businessId), { access_token: null, refresh_token: null });
  assert.equal(stub.calls.filter((c) => /appDisconnect/.test(c.body)).length, 0, "no appDisconnect call back");
});

dbTest("APP_DISCONNECT disconnects the business without calling Jobber", async (ctx) => {
  const stub = jobber({});
  const ids = [await ctx.receive("APP_DISCONNECT", ctx.accountId, new Date().toISOString())];
  await ctx.work(ctx.runtime(stub), ids);
  assert.equal(stub.calls.length, 0);
  assert.equal((await events(ctx.admin, ids))[0]!.state, "done");
  const [row] = await ctx.admin<{ connection_status: string; needs_reconnect: boolean }[]>`
    select connection_status, needs_reconnect from public.integrations_jobber where business_id = ${ctx.businessId}`;
  assert.deepEqual({ ...row }, { connection_status: "disconnected", needs_reconnect: true });
});

dbTest("a job Jobber sends in a shape Blipp cannot read is settled for a retry, with the reason", async (ctx) => {
  const stub = jobber({ Job: (_c, v) => ok({ job: { id: v.id, updatedAt: "not a date" } }) });
  const ids = [await ctx.receive("JOB_UPDATE", "JOB-8")];
  await ctx.work(ctx.runtime(stub), ids);
  const [event] = await events(ctx.admin, ids);
  assert.equal(event!.state, "pending");
  assert.equal(event!.attempts, 1);
  assert.match(event!.last_error!, /unexpected shape/);
});

dbTest("a worker whose events were taken over while it fetched applies nothing", async (ctx) => {
  let takeover: Promise<unknown> | null = null;
  const stub = jobber({
    Job: async (_c, v) => {
      // While Jobber answers, this worker's lease lapses and another worker claims the event.
      takeover = (async () => {
        await ctx.admin`update private.worker_leases set expires_at = now() - interval '1 second' where task = 'process_webhooks' and owner in (
          select lease_owner from private.jobber_webhook_events where account_id = ${ctx.accountId})`;
        const [other] = await ctx.admin<{ owner: string }[]>`select private.worker_lease_take('process_webhooks', 60000) as owner`;
        await ctx.admin`select * from private.jobber_claim_webhook_events(${other!.owner}, 10,
          array(select id from private.jobber_webhook_events where account_id = ${ctx.accountId}))`;
        await ctx.admin`select private.worker_lease_end(${other!.owner})`;
      })();
      await takeover;
      return ok({ job: job(String(v.id), "CLIENT-10") });
    },
  });
  const ids = [await ctx.receive("JOB_CLOSED", "JOB-10")];
  const rt = ctx.runtime(stub);
  const lease = await takeLease(rt, silentLogger, "process_webhooks", { leaseMs: 60_000, budgetMs: 100_000 });
  try {
    assert.equal(await processBatch(rt, silentLogger, lease, { eventIds: ids }), 1);
  } finally {
    await lease.end();
  }
  assert.equal((await ctx.admin`select 1 from public.jobs where business_id = ${ctx.businessId}`).length, 0, "no job applied");
  assert.equal((await completions(ctx.admin, ctx.businessId)).length, 0, "no completion recorded");
  assert.equal((await events(ctx.admin, ids))[0]!.state, "processing", "the event stays with the worker that took it over");
});

dbTest("events of a business that is no longer connected are ignored, not fetched", async (ctx) => {
  await ctx.admin`update public.integrations_jobber set connection_status = 'error', needs_reconnect = true where business_id = ${ctx.businessId}`;
  const stub = jobber({});
  const ids = [await ctx.receive("JOB_CLOSED", "JOB-11")];
  assert.equal(await ctx.work(ctx.runtime(stub), ids), 1, "claimed, and settled by the claim");
  assert.equal(stub.calls.length, 0);
  assert.deepEqual((await events(ctx.admin, ids)).map((e) => [e.state, e.last_error]), [["ignored", "The business is not connected to Jobber."]]);
});
