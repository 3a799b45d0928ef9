// A worker invocation's lease on the work it claims (private.worker_leases). Take one before
// claiming rows (the claim writes lease.owner as each row's holder), write every row through a
// SQL function that calls private.worker_lease_guard, and end the lease when done. Meanwhile the
// lease heartbeats on its own; a heartbeat that finds the lease gone marks it lost. Hosted Edge
// Functions cap an invocation's wall time, so the lease also carries the invocation's time
// budget: once it is spent, give back what is left and hand it over to a fresh invocation
// (handOver), which the wake names by id.
import type { TaskInput, TaskName } from "../../jobber-worker/registry.ts";
import type { Runtime } from "../runtime.ts";
import type { Logger } from "../log.ts";
import { asService, type TransactionSql } from "../db.ts";
import { wakeWorker } from "./wake.ts";

/** Raised (as SQLSTATE BJ007) by the lease guard when another worker has taken the work over. */
export class LeaseLost extends Error {
  constructor() {
    super("This worker no longer holds its work; another worker has taken it over.");
    this.name = "LeaseLost";
  }
}

export const isLeaseLost = (err: unknown): boolean =>
  err instanceof LeaseLost || (err as { code?: unknown } | null)?.code === "BJ007";

export interface LeaseOptions {
  /** How long the lease lives without a heartbeat; heartbeats come every third of it. */
  leaseMs: number;
  /** How long this invocation may work before handing over. */
  budgetMs: number;
}

export interface Lease {
  readonly owner: string;
  readonly task: TaskName;
  /** When this invocation must hand its work over (epoch milliseconds, by rt.now()). */
  readonly deadline: number;
  budgetSpent(): boolean;
  /** True once a heartbeat found the lease gone: stop, and write nothing more. */
  lost(): boolean;
  /** Stops the heartbeat and deletes the lease: rows that still name it are claimable at once. */
  end(): Promise<void>;
}

export async function takeLease(rt: Runtime, log: Logger, task: TaskName, options: LeaseOptions): Promise<Lease> {
  const [row] = await asService(rt.sql, (tx) =>
    tx<{ owner: string }[]>`select private.worker_lease_take(${task}, ${options.leaseMs}) as owner`
  );
  const owner = row!.owner;
  const deadline = rt.now().getTime() + options.budgetMs;
  let lost = false;
  let ended = false;

  const timer = setInterval(() => {
    asService(rt.sql, (tx) =>
      tx<{ held: boolean }[]>`select private.worker_lease_heartbeat(${owner}, ${options.leaseMs}) as held`
    ).then(([beat]) => {
      if (beat?.held || ended) return;
      lost = true;
      clearInterval(timer);
      log.warn("lease_lost", { task, lease_owner: owner });
    }).catch((err) => log.warn("lease_heartbeat_failed", { task, error: err instanceof Error ? err.message : String(err) }));
  }, Math.max(1000, Math.floor(options.leaseMs / 3)));

  return {
    owner,
    task,
    deadline,
    budgetSpent: () => rt.now().getTime() >= deadline,
    lost: () => lost,
    async end() {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      await asService(rt.sql, (tx) => tx`select private.worker_lease_end(${owner})`);
    },
  };
}

/**
 * Hands work over to a fresh invocation of `task`: `release` gives the rows back (through the
 * guard) and the wake naming them is posted in the same transaction, so the fresh invocation is
 * woken exactly when the rows are free - and not at all if this worker had already lost them.
 */
export async function handOver<N extends TaskName>(
  rt: Runtime,
  log: Logger,
  task: N,
  input: TaskInput<N>,
  release: (tx: TransactionSql) => Promise<unknown>,
): Promise<void> {
  await asService(rt.sql, async (tx) => {
    await release(tx);
    await wakeWorker(rt, log, task, input, { tx });
  });
}
