// Waking the worker from TypeScript against the real stack: the wake goes through
// private.wake_worker and pg_net to jobber-worker, coalesces when asked, and drainWoken settles the
// wake before its last look.
import assert from "node:assert/strict";
import type postgres from "postgres";
import { silentLogger } from "../log.ts";
import { dbTestFactory, env, NO_DATABASE, noJobber, stubbedRuntime } from "../testing_db.ts";
import { asService } from "../db.ts";
import { drainWoken, wakeWorker } from "./wake.ts";

// The task whose coalescing mark these tests set and reset. The wakes that do go out name one run
// that does not exist, so the worker they reach does nothing (a refresh_tokens wake, say, could
// spend another test's made-up tokens).
const TASK = "continue_syncs";
const nothing = () => ({ run_ids: [crypto.randomUUID()] });

const dbTest = dbTestFactory(({ admin, track }) => ({ admin, rt: track(stubbedRuntime(env, noJobber())) }), {
  ignore: NO_DATABASE,
});

const pendingSince = async (admin: postgres.Sql) =>
  (await admin<{ at: Date | null }[]>`select wake_pending_since as at from private.worker_tasks where task = ${TASK}`)[0]!.at;

/** The id pg_net gave the last request queued, 0 before the first (requests leave the queue once performed). */
const lastRequestId = async (admin: postgres.Sql) =>
  Number((await admin<{ n: string }[]>`select case when is_called then last_value else 0 end as n from net.http_request_queue_id_seq`)[0]!.n);

async function responseTo(admin: postgres.Sql, id: number) {
  for (let i = 0; i < 150; i++) {
    const [row] = await admin<{ status_code: number | null; content: string | null }[]>`
      select status_code, content from net._http_response where id = ${id}`;
    if (row) return row;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`pg_net recorded no response to request ${id}`);
}

dbTest("wakeWorker posts the task with its typed input to jobber-worker, through wake_worker and pg_net", async ({ admin, rt }) => {
  const runId = crypto.randomUUID();
  assert.equal(await wakeWorker(rt, silentLogger, "continue_syncs", { run_ids: [runId] }), true);
  const response = await responseTo(admin, await lastRequestId(admin));
  assert.equal(response.status_code, 200);
  // The worker took the input it was given - that one run, which does not exist - and scheduled nothing.
  assert.deepEqual(JSON.parse(response.content!), { task: "continue_syncs", scheduled: 0, claimed: [] });
});

dbTest("wakeWorker with coalescing wakes once while the wake is in flight, and again once it is settled", async ({ admin, rt }) => {
  await admin`update private.worker_tasks set wake_pending_since = null where task = ${TASK}`;
  try {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => wakeWorker(rt, silentLogger, TASK, nothing(), { coalesceMs: 30_000 })),
    );
    assert.equal(results.filter(Boolean).length, 1, "twenty concurrent callers, one wake");
    assert.ok(await pendingSince(admin), "the wake is in flight");
    await asService(rt.sql, (tx) => tx`select private.settle_worker_wake(${TASK})`);
    assert.equal(await wakeWorker(rt, silentLogger, TASK, nothing(), { coalesceMs: 30_000 }), true, "after settling, the next caller wakes");
  } finally {
    await admin`update private.worker_tasks set wake_pending_since = null where task = ${TASK}`;
  }
});

dbTest("a coalescing wake is not skipped while a worker of the task is taking its lease", async ({ admin, rt }) => {
  // Taking a lease inserts a row referencing the task's, which key-share locks the task's row until
  // that transaction ends; a wake arriving in that moment must still go out (nothing is in flight).
  await admin`update private.worker_tasks set wake_pending_since = null where task = ${TASK}`;
  const rollback = new Error("rollback");
  let woke: boolean | null = null;
  try {
    await admin.begin(async (tx) => {
      await tx`select private.worker_lease_take(${TASK}, 60000)`;
      woke = await wakeWorker(rt, silentLogger, TASK, nothing(), { coalesceMs: 30_000 });
      throw rollback;
    }).catch((err) => {
      if (err !== rollback) throw err;
    });
    assert.equal(woke, true);
    assert.ok(await pendingSince(admin), "the wake is in flight");
  } finally {
    await admin`update private.worker_tasks set wake_pending_since = null where task = ${TASK}`;
  }
});

dbTest("drainWoken settles the wake before its last look, so work that came meanwhile is done", async ({ admin, rt }) => {
  await admin`update private.worker_tasks set wake_pending_since = now() where task = ${TASK}`;
  const looks: string[] = [];
  let backlog = 2;
  let lateArrivalSent = false;
  const done = await drainWoken(rt, TASK, async () => {
    const settled = (await pendingSince(admin)) === null;
    looks.push(settled ? "after settling" : "while in flight");
    if (backlog > 0) {
      backlog--;
      return 1;
    }
    if (!lateArrivalSent) {
      // A delivery lands as the worker runs dry; its caller saw the wake in flight and did not wake.
      lateArrivalSent = true;
      backlog = 1;
    }
    return 0;
  });
  assert.equal(done, 3, "the late delivery was done too");
  assert.equal(await pendingSince(admin), null, "the wake is settled");
  // Three batches while in flight (the third finds nothing), then the look after settling finds the
  // late delivery, and the drain goes round once more before it ends.
  assert.deepEqual(looks, ["while in flight", "while in flight", "while in flight", "after settling", "after settling", "after settling"]);
});

dbTest("drainWoken stopping for a hand-over leaves the wake in flight for the invocation that carries on", async ({ admin, rt }) => {
  await admin`update private.worker_tasks set wake_pending_since = now() where task = ${TASK}`;
  try {
    let batches = 0;
    const done = await drainWoken(rt, TASK, () => { batches++; return Promise.resolve(5); }, () => batches >= 2);
    assert.equal(done, 10);
    assert.ok(await pendingSince(admin), "still in flight");
  } finally {
    await admin`update private.worker_tasks set wake_pending_since = null where task = ${TASK}`;
  }
});
