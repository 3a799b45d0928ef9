// Asks jobber-worker to run now rather than at the next cron tick, through the same SQL helper the
// cron jobs use (pg_net posts it after this transaction commits). Best effort: the minute cron
// picks the work up anyway, so a failure here only costs latency.
import type { Runtime } from "./runtime.ts";
import type { Logger } from "./log.ts";
import { asService } from "./db.ts";

export async function kickWorker(rt: Runtime, log: Logger, body: Record<string, unknown>): Promise<void> {
  try {
    await asService(rt.sql, (tx) =>
      tx`select private.invoke_edge_function('jobber-worker', ${tx.json(body as never)}::jsonb, 10000)`
    );
  } catch (err) {
    log.warn("worker_kick_failed", { task: body.task, error: err instanceof Error ? err.message : String(err) });
  }
}
