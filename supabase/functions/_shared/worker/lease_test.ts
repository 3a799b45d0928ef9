// The worker's lease against the real database: taken before claiming, heartbeaten on its own,
// reported lost once its row is gone, ended when the work is done; its time budget says when to
// hand over; and a hand-over wakes the fresh invocation only if giving the work back succeeded.
import assert from "node:assert/strict";
import type postgres from "postgres";
import { silentLogger } from "../log.ts";
import { manualClock } from "../testing.ts";
import { dbTestFactory, env, NO_DATABASE, noJobber, stubbedRuntime } from "../testing_db.ts";
import { insertConnection } from "../../../../tests/support/jobber_fixtures.ts";
import { handOver, isLeaseLost, takeLease } from "./lease.ts";

const dbTest = dbTestFactory(({ admin, track, business }) => ({ admin, track, business }), { ignore: NO_DATABASE });

const leaseRow = async (admin: postgres.Sql, owner: string) =>
  (await admin<{ task: string; expires_at: Date }[]>`select task, expires_at from private.worker_leases where owner = ${owner}`)[0];

const lastRequestId = async (admin: postgres.Sql) =>
  Number((await admin<{ n: string }[]>`select case when is_called then last_value else 0 end as n from net.http_request_queue_id_seq`)[0]!.n);

dbTest("a lease is taken for a task, lives while held and is gone once ended", async ({ admin, track }) => {
  const rt = track(stubbedRuntime(env, noJobber()));
  const lease = await takeLease(rt, silentLogger, "continue_syncs", { leaseMs: 60_000, budgetMs: 100_000 });
  try {
    assert.match(lease.owner, /^continue_syncs:[0-9a-f-]{36}$/);
    const row = await leaseRow(admin, lease.owner);
    assert.equal(row?.task, "continue_syncs");
    assert.ok(row!.expires_at.getTime() > Date.now() + 50_000, "it expires a lease length from now");
    assert.equal(lease.lost(), false);
  } finally {
    await lease.end();
  }
  assert.equal(await leaseRow(admin, lease.owner), undefined);
});

dbTest("a heartbeat that finds the lease gone marks it lost", async ({ admin, track }) => {
  const rt = track(stubbedRuntime(env, noJobber()));
  // Heartbeats come every third of the lease, and at least every second.
  const lease = await takeLease(rt, silentLogger, "continue_syncs", { leaseMs: 3_000, budgetMs: 100_000 });
  try {
    await admin`delete from private.worker_leases where owner = ${lease.owner}`;
    for (let i = 0; i < 100 && !lease.lost(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(lease.lost(), true);
  } finally {
    await lease.end();
  }
});

dbTest("the lease carries the invocation's time budget", async ({ track }) => {
  const clock = manualClock();
  const rt = track({ ...stubbedRuntime(env, noJobber()), now: clock.now });
  const lease = await takeLease(rt, silentLogger, "continue_syncs", { leaseMs: 60_000, budgetMs: 100_000 });
  try {
    assert.equal(lease.deadline, clock.now().getTime() + 100_000);
    clock.advance(99_999);
    assert.equal(lease.budgetSpent(), false);
    clock.advance(1);
    assert.equal(lease.budgetSpent(), true);
  } finally {
    await lease.end();
  }
});

async function runHeldBy(admin: postgres.Sql, businessId: string, owner: string) {
  await insertConnection(admin, businessId, { accessToken: "a", refreshToken: "r", expiresAt: new Date(Date.now() + 3600_000) });
  const [run] = await admin<{ id: string }[]>`
    insert into public.jobber_sync_runs (business_id, kind, state, lease_owner, started_at)
    values (${businessId}, 'full', 'running', ${owner}, now()) returning id`;
  return run!.id;
}

dbTest("a hand-over gives the run back and wakes a fresh invocation in the same transaction", async ({ admin, track, business }) => {
  const rt = track(stubbedRuntime(env, noJobber()));
  const { businessId } = await business();
  const lease = await takeLease(rt, silentLogger, "continue_syncs", { leaseMs: 60_000, budgetMs: 0 });
  try {
    const runId = await runHeldBy(admin, businessId, lease.owner);
    const before = await lastRequestId(admin);
    // The wake names a run that does not exist, so the invocation it reaches finds nothing to take.
    await handOver(rt, silentLogger, "continue_syncs", { run_ids: [crypto.randomUUID()] }, (tx) =>
      tx`select private.jobber_release_sync_run(${runId}, ${lease.owner}, 0, null)`);
    const [run] = await admin<{ state: string; lease_owner: string | null }[]>`
      select state, lease_owner from public.jobber_sync_runs where id = ${runId}`;
    assert.deepEqual({ ...run }, { state: "running", lease_owner: null });
    assert.equal(await lastRequestId(admin), before + 1, "one wake was queued for pg_net");
  } finally {
    await lease.end();
  }
});

dbTest("a worker that lost its run hands nothing over and wakes nobody", async ({ admin, track, business }) => {
  const rt = track(stubbedRuntime(env, noJobber()));
  const { businessId } = await business();
  const lease = await takeLease(rt, silentLogger, "continue_syncs", { leaseMs: 60_000, budgetMs: 0 });
  try {
    const runId = await runHeldBy(admin, businessId, "continue_syncs:someone-else");
    const before = await lastRequestId(admin);
    const err = await handOver(rt, silentLogger, "continue_syncs", { run_ids: [runId] }, (tx) =>
      tx`select private.jobber_release_sync_run(${runId}, ${lease.owner}, 0, null)`).then(() => null, (e) => e);
    assert.ok(isLeaseLost(err), `expected the lease guard's BJ007, got ${err}`);
    assert.equal(await lastRequestId(admin), before, "no wake was queued");
    const [run] = await admin<{ lease_owner: string | null }[]>`select lease_owner from public.jobber_sync_runs where id = ${runId}`;
    assert.equal(run!.lease_owner, "continue_syncs:someone-else", "the run stays with its holder");
  } finally {
    await lease.end();
  }
});
