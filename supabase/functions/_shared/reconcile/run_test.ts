// Reconciliation against the real database with Jobber stubbed: the first run imports the window's
// completed jobs and visits as backfill, page by page (cursor and completedAt window as asked) and
// moves the checkpoint; a run at its time budget hands over to a fresh invocation; Jobber failing
// gives the run back to retry later; Jobber saying the app was disconnected stops it.
import assert from "node:assert/strict";
import type postgres from "postgres";
import { silentLogger } from "../log.ts";
import type { Runtime } from "../runtime.ts";
import { jsonReply, stubFetch } from "../testing.ts";
import { APP_ORIGIN, dbTestFactory, env, GRAPHQL_URL, JOBBER, NO_DATABASE, stubbedRuntime } from "../testing_db.ts";
import { insertConnection } from "../../../../tests/support/jobber_fixtures.ts";
import { takeLease } from "../worker/lease.ts";
import { type Reconcile, runReconcile } from "./run.ts";

const vars = { ...env, APP_ORIGIN, JOBBER_API_BASE: JOBBER };

const client = (id: string) => ({
  id, name: `Client ${id}`, firstName: "Client", lastName: id, companyName: null, isCompany: false, isLead: false, isArchived: false,
  updatedAt: "2025-10-01T00:00:00Z", emails: [], phones: [], billingAddress: null, clientProperties: { nodes: [] },
});
const job = (id: string, completedAt: string | null) => ({
  id, jobNumber: 1, title: `Job ${id}`, jobStatus: completedAt ? "archived" : "today", jobType: "RECURRING", total: 100,
  completedAt, updatedAt: "2025-10-12T00:00:00Z", client: client(`C-${id}`), property: { address: null },
});
const visit = (id: string, jobId: string) => ({
  id, title: "Visit", startAt: "2025-10-11T14:00:00Z", endAt: "2025-10-11T16:00:00Z", completedAt: "2025-10-11T15:00:00Z",
  isLastScheduledVisit: false, assignedUsers: { nodes: [] }, job: job(jobId, null),
});
const page = (key: "jobs" | "visits", nodes: unknown[], endCursor: string | null) =>
  jsonReply(200, { data: { [key]: { nodes, pageInfo: { hasNextPage: endCursor !== null, endCursor } } } });

interface Ctx {
  admin: postgres.Sql;
  businessId: string;
  rt: (stub: typeof fetch) => Runtime;
  claim: (rt: Runtime, budgetMs?: number) => Promise<{ run: Reconcile; lease: Awaited<ReturnType<typeof takeLease>> }>;
}

const dbTest = (name: string, fn: (ctx: Ctx) => Promise<void>) =>
  dbTestFactory(({ admin, track, business }) => ({ admin, track, business }), { ignore: NO_DATABASE })(name, async ({ admin, track, business }) => {
    const { businessId } = await business();
    await insertConnection(admin, businessId, { accessToken: "access", refreshToken: "refresh", expiresAt: new Date(Date.now() + 3600_000) });
    await fn({
      admin,
      businessId,
      rt: (stub) => track(stubbedRuntime(vars, stub)),
      async claim(rt, budgetMs = 100_000) {
        const lease = await takeLease(rt, silentLogger, "reconcile", { leaseMs: 60_000, budgetMs });
        const [run] = await admin<Reconcile[]>`
          select business_id, window_start, window_end, source, phase, cursor
          from private.jobber_claim_reconciles(${lease.owner}, 1, ${businessId}::uuid)`;
        assert.ok(run, "the business's reconciliation was claimed");
        return { run, lease };
      },
    });
  });

const variablesOf = (body: string) => JSON.parse(body).variables as { first: number; after: string | null; filter: { completedAt: { after: string; before: string } } };

dbTest("the first run imports the window's completed jobs and visits as backfill, page by page, and sets the checkpoint", async ({ admin, businessId, rt, claim }) => {
  const stub = stubFetch((call) => {
    assert.equal(call.url, GRAPHQL_URL);
    const { query } = JSON.parse(call.body) as { query: string };
    const { after } = variablesOf(call.body);
    if (/query CompletedJobs/.test(query)) {
      return after === null ? page("jobs", [job("J1", "2025-10-10T10:00:00Z")], "cursor-1") : page("jobs", [job("J2", "2025-10-11T10:00:00Z")], null);
    }
    return page("visits", [visit("V1", "J3")], null);
  });
  const runtime = rt(stub);
  const { run, lease } = await claim(runtime);
  assert.equal(run.source, "backfill");
  try {
    assert.equal(await runReconcile(runtime, run, silentLogger, lease), "finished");
  } finally {
    await lease.end();
  }
  const asked = stub.calls.map((c) => ({ op: /query (\w+)/.exec(JSON.parse(c.body).query)![1], ...variablesOf(c.body) }));
  assert.deepEqual(asked.map((a) => [a.op, a.after, a.first]), [["CompletedJobs", null, 25], ["CompletedJobs", "cursor-1", 25], ["CompletedVisits", null, 25]]);
  for (const a of asked) {
    assert.deepEqual(a.filter.completedAt, { after: run.window_start.toISOString(), before: run.window_end.toISOString() });
  }
  assert.ok(Math.abs(run.window_end.getTime() - run.window_start.getTime() - 30 * 86_400_000) < 1000, "the backfill covers 30 days");

  const rows = await admin<{ kind: string; source: string; job: string }[]>`
    select c.kind, c.source, j.external_id as job from public.job_completions c join public.jobs j on j.id = c.job_id
    where c.business_id = ${businessId} order by j.external_id, c.kind`;
  assert.deepEqual(rows.map((r) => ({ ...r })), [
    { kind: "job_closed", source: "backfill", job: "J1" },
    { kind: "job_closed", source: "backfill", job: "J2" },
    { kind: "visit_completed", source: "backfill", job: "J3" },
  ]);
  const [decided] = await admin<{ reasons: string[] }[]>`
    select array_agg(distinct reason) as reasons from public.review_decisions where business_id = ${businessId}`;
  assert.deepEqual(decided!.reasons, ["automation_off"], "history was decided (not messaged)");
  const [connection] = await admin<{ last_job_sync_at: Date }[]>`select last_job_sync_at from public.integrations_jobber where business_id = ${businessId}`;
  assert.equal(connection!.last_job_sync_at.toISOString(), run.window_end.toISOString(), "the checkpoint is the end of the window");
  const [state] = await admin<{ window_start: Date | null; lease_owner: string | null; pages: number; completions: number }[]>`
    select window_start, lease_owner, pages, completions from private.jobber_reconciles where business_id = ${businessId}`;
  assert.deepEqual({ ...state }, { window_start: null, lease_owner: null, pages: 3, completions: 3 });
});

dbTest("at its time budget a run gives its place back and wakes a fresh invocation naming the business", async ({ admin, businessId, rt, claim }) => {
  const runtime = rt(stubFetch(() => { throw new Error("no page is fetched after the budget is spent"); }));
  const { run, lease } = await claim(runtime, 0);
  // The wake reaches the stack's real worker; with the business no longer connected it finds
  // nothing to take (and spends no made-up token at the sandbox).
  await admin`update public.integrations_jobber set connection_status = 'error', needs_reconnect = true where business_id = ${businessId}`;
  const [before] = await admin<{ n: string }[]>`select case when is_called then last_value else 0 end as n from net.http_request_queue_id_seq`;
  try {
    assert.equal(await runReconcile(runtime, run, silentLogger, lease), "handed_over");
  } finally {
    await lease.end();
  }
  const [after] = await admin<{ n: string }[]>`select case when is_called then last_value else 0 end as n from net.http_request_queue_id_seq`;
  assert.equal(Number(after!.n), Number(before!.n) + 1, "one wake was queued");
  const [state] = await admin<{ lease_owner: string | null; retry_at: Date | null; window_start: Date | null }[]>`
    select lease_owner, retry_at, window_start from private.jobber_reconciles where business_id = ${businessId}`;
  assert.equal(state!.lease_owner, null);
  assert.equal(state!.retry_at, null, "free to continue at once");
  assert.ok(state!.window_start, "with its window kept");
});

dbTest("Jobber failing gives the run back to retry in 5 minutes, from where it was", async ({ admin, businessId, rt, claim }) => {
  let calls = 0;
  const runtime = rt(stubFetch(() => ++calls === 1 ? page("jobs", [job("J1", "2025-10-10T10:00:00Z")], "cursor-1") : jsonReply(502, {})));
  const { run, lease } = await claim(runtime);
  try {
    assert.equal(await runReconcile(runtime, run, silentLogger, lease), "retry_later");
  } finally {
    await lease.end();
  }
  const [state] = await admin<{ cursor: string; attempts: number; last_error: string; retry_in: number }[]>`
    select cursor, attempts, last_error, round(extract(epoch from retry_at - now()))::int as retry_in
    from private.jobber_reconciles where business_id = ${businessId}`;
  assert.equal(state!.cursor, "cursor-1");
  assert.equal(state!.attempts, 1);
  assert.match(state!.last_error, /Jobber/);
  assert.ok(state!.retry_in >= 295 && state!.retry_in <= 300);
  assert.equal((await admin`select 1 from public.job_completions where business_id = ${businessId}`).length, 1, "the page before the failure stays applied");
});

dbTest("Jobber saying the app was disconnected stops the run and disconnects the business", async ({ admin, businessId, rt, claim }) => {
  const runtime = rt(stubFetch(() => jsonReply(401, { message: "User has disconnected this app from their account. Please delete this token" })));
  const { run, lease } = await claim(runtime);
  try {
    assert.equal(await runReconcile(runtime, run, silentLogger, lease), "stopped");
  } finally {
    await lease.end();
  }
  const [row] = await admin<{ connection_status: string; needs_reconnect: boolean }[]>`
    select connection_status, needs_reconnect from public.integrations_jobber where business_id = ${businessId}`;
  assert.deepEqual({ ...row }, { connection_status: "disconnected", needs_reconnect: true });
  assert.equal((await admin`select 1 from private.jobber_reconciles where business_id = ${businessId}`).length, 0);
});
