// Every minute (and whenever someone asks for a sync): queue incremental runs for connected
// businesses whose last run is 15 minutes old, then take up to a few runs that are queued or
// whose lease lapsed, and run them in the background within this invocation's time budget.
import type { Runtime } from "../../_shared/runtime.ts";
import type { Logger } from "../../_shared/log.ts";
import { asService } from "../../_shared/db.ts";
import { runInBackground } from "../../_shared/background.ts";
import { kickWorker } from "../../_shared/worker_kick.ts";
import { runSync, type SyncRun } from "../../_shared/sync/run.ts";

const RUNS_PER_INVOCATION = 3;
const SCHEDULE_BATCH = 50;

export async function continueSyncsTask(rt: Runtime, log: Logger, input: { run_id?: string | undefined }) {
  // Queuing due runs is the cron tick's job; a hand-over or a just-requested run (run_id) only
  // needs that run taken.
  const [scheduled] = input.run_id ? [] : await asService(rt.sql, (tx) =>
    tx<{ count: number }[]>`select private.jobber_schedule_due_runs(
      ${`${rt.tuning.syncIntervalMs} milliseconds`}::interval, ${SCHEDULE_BATCH}) as count`
  );
  const leaseOwner = `worker:${crypto.randomUUID()}`;
  const runs = await asService(rt.sql, (tx) =>
    tx<SyncRun[]>`select id, business_id, kind, cursor, since, attempts
                  from private.jobber_claim_sync_runs(${leaseOwner}, ${rt.tuning.syncLeaseMs}, ${RUNS_PER_INVOCATION},
                                                      ${input.run_id ?? null})`
  );
  const deadline = rt.now().getTime() + rt.tuning.syncTimeBudgetMs;
  const handOver = (runId: string) => kickWorker(rt, log, { task: "continue_syncs", run_id: runId });
  for (const run of runs) {
    log.info("sync_claimed", { run_id: run.id, business_id: run.business_id, kind: run.kind, resumed: run.cursor !== null });
    runInBackground(runSync(rt, run, log, { leaseOwner, deadline, handOver }), log, "sync");
  }
  return { scheduled: scheduled?.count ?? 0, claimed: runs.map((r) => r.id) };
}
