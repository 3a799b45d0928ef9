// Runs one claimed customer-sync run until it finishes, fails, or its invocation's time budget
// runs out (then it hands over at once to a fresh invocation, naming the run). Every page commits
// with the run's cursor and counters, through the lease guard, so whatever happens between pages -
// a crash, a kill, Jobber down, another worker taking the run over - the next holder resumes from
// the last committed page and no client is lost or applied twice. Leases, heartbeats and the
// hand-over itself are the worker's shared pieces (_shared/worker/lease.ts).
import type { Runtime } from "../runtime.ts";
import type { Logger } from "../log.ts";
import { asService, type TransactionSql } from "../db.ts";
import { isAppError } from "../errors.ts";
import { jobberClientFor } from "../jobber/connection.ts";
import { JobberDisconnectedError, JobberGraphQLError } from "../jobber/errors.ts";
import { CLIENTS_PAGE_QUERY, clientsPageCost, clientsPageVariables } from "../jobber/queries.ts";
import { handOver, isLeaseLost, type Lease, LeaseLost } from "../worker/lease.ts";
import { type ClientError, type CustomerRow, lenientClientsPageSchema, mapClientsPage } from "./page.ts";

export const PAGE_SIZE = 100;
const PAGE_COST = clientsPageCost(PAGE_SIZE);
const RETRY_AFTER_FAILURE_MS = 30_000;

export interface SyncRun {
  id: string;
  business_id: string;
  kind: "full" | "incremental";
  cursor: string | null;
  since: Date | null;
}

export type RunResult = "succeeded" | "failed" | "handed_over" | "retry_later" | "lost";

/** Data errors (class 22) and constraint violations (class 23) come from a client's values. */
const isDataError = (err: unknown) => /^2[23]/.test(String((err as { code?: unknown })?.code ?? ""));

function recordPage(
  tx: TransactionSql,
  run: SyncRun,
  lease: Lease,
  page: { rows: CustomerRow[]; errors: ClientError[]; nextCursor: string | null; total: number | null; points: number },
) {
  return tx`select private.jobber_record_sync_page(${run.id}, ${lease.owner},
              ${tx.json(page.rows as never)}::jsonb, ${tx.json(page.errors as never)}::jsonb,
              ${page.nextCursor}, ${page.total}, ${page.points})`;
}

/**
 * A page whose batch upsert fails on one client's values is retried client by client (each a
 * dry run inside a savepoint) to find the bad ones; they become run errors, the rest lands.
 */
async function isolateBadRows(rt: Runtime, businessId: string, rows: CustomerRow[]) {
  const good: CustomerRow[] = [];
  const bad: ClientError[] = [];
  await asService(rt.sql, async (tx) => {
    for (const row of rows) {
      try {
        await tx.savepoint(async (sp) => {
          await sp`select * from private.jobber_apply_client_page(${businessId}, ${sp.json([row] as never)}::jsonb, now())`;
          throw new Error("dry run");
        });
      } catch (err) {
        if (err instanceof Error && err.message === "dry run") good.push(row);
        else bad.push({ external_id: row.external_id, message: `Could not store this client: ${(err as Error).message}` });
      }
    }
  });
  return { good, bad };
}

export async function runSync(rt: Runtime, run: SyncRun, log: Logger, lease: Lease): Promise<RunResult> {
  const [business] = await asService(rt.sql, (tx) =>
    tx<{ country: string }[]>`select country from public.businesses where id = ${run.business_id}`
  );
  const country = business?.country ?? "US";
  const jobber = jobberClientFor(rt, run.business_id, log);
  let cursor = run.cursor;

  const release = async (retryAfterMs: number, error: string | null) => {
    const [row] = await asService(rt.sql, (tx) =>
      tx<{ outcome: string }[]>`select private.jobber_release_sync_run(${run.id}, ${lease.owner},
                                  ${retryAfterMs}, ${error}) as outcome`
    );
    return row?.outcome;
  };

  try {
    while (true) {
      if (lease.lost()) throw new LeaseLost();
      if (lease.budgetSpent()) {
        await handOver(rt, log, "continue_syncs", { run_ids: [run.id] }, (tx) =>
          tx`select private.jobber_release_sync_run(${run.id}, ${lease.owner}, 0, null)`);
        log.info("sync_handed_over", { run_id: run.id, business_id: run.business_id });
        return "handed_over";
      }

      const variables = clientsPageVariables(PAGE_SIZE, cursor, run.since ?? undefined);
      const { data, cost } = await jobber.request(CLIENTS_PAGE_QUERY, variables, lenientClientsPageSchema, {
        expectedCost: PAGE_COST,
      });
      const { nodes, pageInfo, totalCount } = data.clients;
      const mapped = mapClientsPage(nodes, country);
      const nextCursor = pageInfo.hasNextPage ? (pageInfo.endCursor ?? null) : null;
      if (pageInfo.hasNextPage && !nextCursor) {
        throw new JobberGraphQLError("Jobber said more clients follow but gave no cursor to fetch them.");
      }
      const page = {
        ...mapped,
        nextCursor: nextCursor ?? cursor,
        total: totalCount ?? null,
        points: cost?.actualQueryCost ?? cost?.requestedQueryCost ?? 0,
      };
      try {
        await asService(rt.sql, (tx) => recordPage(tx, run, lease, page));
      } catch (err) {
        if (!isDataError(err)) throw err;
        const { good, bad } = await isolateBadRows(rt, run.business_id, mapped.rows);
        await asService(rt.sql, (tx) => recordPage(tx, run, lease, { ...page, rows: good, errors: [...page.errors, ...bad] }));
      }

      if (!nextCursor) {
        await asService(rt.sql, (tx) => tx`select private.jobber_finish_sync_run(${run.id}, ${lease.owner})`);
        log.info("sync_succeeded", { run_id: run.id, business_id: run.business_id, kind: run.kind });
        return "succeeded";
      }
      cursor = nextCursor;
    }
  } catch (err) {
    if (isLeaseLost(err)) {
      log.warn("sync_lease_lost", { run_id: run.id });
      return "lost";
    }
    try {
      // Jobber says the connection is gone, or sent something we cannot page through: retrying
      // cannot help. Customers that already landed stay.
      if (err instanceof JobberDisconnectedError || err instanceof JobberGraphQLError || (isAppError(err) && err.code === "not_connected")) {
        const message = `Sync stopped: ${(err as Error).message}`;
        await asService(rt.sql, (tx) => tx`select private.jobber_fail_sync_run(${run.id}, ${lease.owner}, ${message})`);
        log.warn("sync_failed", { run_id: run.id, business_id: run.business_id, error: message });
        return "failed";
      }
      const message = isAppError(err) ? err.message : "The sync hit an unexpected error; it will retry shortly.";
      const outcome = await release(RETRY_AFTER_FAILURE_MS, message);
      log.warn("sync_will_retry", { run_id: run.id, business_id: run.business_id, outcome, error: err instanceof Error ? err.message : String(err) });
      return outcome === "failed" ? "failed" : "retry_later";
    } catch (giveBackErr) {
      if (!isLeaseLost(giveBackErr)) throw giveBackErr;
      if (err instanceof JobberDisconnectedError) {
        // "Jobber says disconnected" (run by the client before the error got here) cancelled
        // this run along with the connection.
        log.warn("sync_cancelled_disconnected", { run_id: run.id, business_id: run.business_id });
        return "failed";
      }
      log.warn("sync_lease_lost", { run_id: run.id });
      return "lost";
    }
  }
}
