// Waking jobber-worker from TypeScript: the same SQL helper that pg_cron and SQL callers use,
// private.wake_worker, so every wake goes through pg_net after the transaction that asked for it
// commits. Task names and inputs are typed by the worker's registry, so a kick cannot name a task
// the worker lacks or pass an input it would refuse.
import type { TaskInput, TaskName } from "../../jobber-worker/registry.ts";
import type { Runtime } from "../runtime.ts";
import type { Logger } from "../log.ts";
import { asService, type TransactionSql } from "../db.ts";

export interface WakeOptions {
  /**
   * Coalesce: skip this wake while an earlier coalescing wake of the task is in flight (posted
   * and not yet settled), counting it in flight for at most this long. For callers that fire far
   * more often than the worker needs waking. 0 (the default) always wakes.
   */
  coalesceMs?: number;
  /** Post as part of this transaction: the wake then leaves only if it commits. */
  tx?: TransactionSql;
}

/**
 * Asks jobber-worker to run `task` with `input` now. Returns false when the wake was coalesced
 * away or (outside a caller's transaction) could not be queued: the task's pg_cron sweep, where
 * it has one, picks the work up anyway, so a failure here costs latency and is only logged.
 */
export async function wakeWorker<N extends TaskName>(
  rt: Runtime,
  log: Logger,
  task: N,
  input: TaskInput<N>,
  options: WakeOptions = {},
): Promise<boolean> {
  const post = async (tx: TransactionSql) => {
    const [row] = await tx<{ request_id: string | null }[]>`
      select private.wake_worker(${task}, ${tx.json(input as never)}::jsonb, ${options.coalesceMs ?? 0}) as request_id`;
    return row?.request_id != null;
  };
  if (options.tx) return await post(options.tx);
  try {
    return await asService(rt.sql, post);
  } catch (err) {
    log.warn("worker_wake_failed", { task, error: err instanceof Error ? err.message : String(err) });
    return false;
  }
}

/**
 * For a task woken with coalescing: runs `batch` until it reports no work done (or `stop()` says
 * this invocation must end), then settles the task's wake and runs `batch` once more, so work that
 * arrived while the wake was in flight - whose callers skipped waking - is not left for the sweep.
 * Returns the number of items `batch` reported in all.
 */
export async function drainWoken(
  rt: Runtime,
  task: TaskName,
  batch: () => Promise<number>,
  stop: () => boolean = () => false,
): Promise<number> {
  let done = 0;
  while (true) {
    let found = 0;
    while (!stop() && (found = await batch()) > 0) done += found;
    // Stopping early (a hand-over) leaves the wake in flight for the invocation that carries on.
    if (stop()) return done;
    await asService(rt.sql, (tx) => tx`select private.settle_worker_wake(${task})`);
    const late = await batch();
    if (late === 0) return done;
    done += late;
  }
}
