// Every 5 minutes from pg_cron (`{"task": "reconcile"}`): reconciles the connected businesses that
// are due - last reconciled an hour ago or more, never reconciled (the 30-day backfill), or with a
// run left unfinished. Woken with a business (`{"task": "reconcile", "business_id": ...}`: after a
// connection's first full sync, a hand-over, or by hand), it reconciles that one now. Runs go in
// the background under one lease within the invocation's time budget; _shared/reconcile/run.ts
// does the work.
import { z } from "zod";
import type { Runtime } from "../../_shared/runtime.ts";
import type { Logger } from "../../_shared/log.ts";
import { asService } from "../../_shared/db.ts";
import { runInBackground } from "../../_shared/background.ts";
import { takeLease } from "../../_shared/worker/lease.ts";
import type { TaskResult, WorkerTask } from "../../_shared/worker/task.ts";
import { type Reconcile, runReconcile } from "../../_shared/reconcile/run.ts";

const BUSINESSES_PER_INVOCATION = 3;

const input = z.object({ business_id: z.uuid().optional() });

async function run(rt: Runtime, log: Logger, { business_id }: z.output<typeof input>): Promise<TaskResult> {
  const lease = await takeLease(rt, log, "reconcile", {
    leaseMs: rt.tuning.syncLeaseMs,
    budgetMs: rt.tuning.syncTimeBudgetMs,
  });
  const runs = await asService(rt.sql, (tx) =>
    tx<Reconcile[]>`select business_id, window_start, window_end, source, phase, cursor
                    from private.jobber_claim_reconciles(${lease.owner}, ${business_id ? 1 : BUSINESSES_PER_INVOCATION},
                      ${business_id ?? null}::uuid, ${`${rt.tuning.reconcileIntervalMs} milliseconds`}::interval)`
  );
  if (runs.length === 0) {
    await lease.end();
  } else {
    for (const r of runs) {
      log.info("reconcile_claimed", {
        business_id: r.business_id,
        source: r.source,
        phase: r.phase,
        resumed: r.cursor !== null || r.phase !== "jobs",
        window_start: r.window_start,
        window_end: r.window_end,
      });
    }
    const work = Promise.all(runs.map((r) => runReconcile(rt, r, log, lease))).finally(() => lease.end());
    runInBackground(work, log, "reconcile");
  }
  return { claimed: runs.map((r) => r.business_id) };
}

export const reconcile = { name: "reconcile", input, run } as const satisfies WorkerTask;
