// Every minute (and whenever a sync is asked for or handed over): queue incremental runs for
// connected businesses whose last run is 15 minutes old, then take up to a few runs that are
// queued or whose holder's lease lapsed, and run them in the background under one lease within
// this invocation's time budget. Given run_ids (a hand-over, a just-requested or just-connected
// run), it takes those runs only and leaves scheduling to the tick.
import { z } from "zod";
import type { Runtime } from "../../_shared/runtime.ts";
import type { Logger } from "../../_shared/log.ts";
import { asService } from "../../_shared/db.ts";
import { runInBackground } from "../../_shared/background.ts";
import { takeLease } from "../../_shared/worker/lease.ts";
import type { TaskResult, WorkerTask } from "../../_shared/worker/task.ts";
import { runSync, type SyncRun } from "../../_shared/sync/run.ts";

const RUNS_PER_INVOCATION = 3;
const SCHEDULE_BATCH = 50;

const input = z.object({
  run_ids: z.array(z.uuid()).min(1).max(RUNS_PER_INVOCATION).optional(),
});

async function run(rt: Runtime, log: Logger, { run_ids }: z.output<typeof input>): Promise<TaskResult> {
  const [scheduled] = run_ids ? [] : await asService(rt.sql, (tx) =>
    tx<{ count: number }[]>`select private.jobber_schedule_due_runs(
      ${`${rt.tuning.syncIntervalMs} milliseconds`}::interval, ${SCHEDULE_BATCH}) as count`
  );
  const lease = await takeLease(rt, log, "continue_syncs", {
    leaseMs: rt.tuning.syncLeaseMs,
    budgetMs: rt.tuning.syncTimeBudgetMs,
  });
  const runs = await asService(rt.sql, (tx) =>
    tx<SyncRun[]>`select id, business_id, kind, cursor, since
                  from private.jobber_claim_sync_runs(${lease.owner}, ${RUNS_PER_INVOCATION}, ${run_ids ?? null}::uuid[])`
  );
  if (runs.length === 0) {
    await lease.end();
  } else {
    for (const r of runs) {
      log.info("sync_claimed", { run_id: r.id, business_id: r.business_id, kind: r.kind, resumed: r.cursor !== null });
    }
    const work = Promise.all(runs.map((r) => runSync(rt, r, log, lease))).finally(() => lease.end());
    runInBackground(work, log, "sync");
  }
  return { scheduled: scheduled?.count ?? 0, claimed: runs.map((r) => r.id) };
}

export const continueSyncs = { name: "continue_syncs", input, run } as const satisfies WorkerTask;
