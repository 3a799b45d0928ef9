// Runs one business's reconciliation (SPEC §9): Jobber's jobs, then visits, completed within the
// run's window, paged and cost-paced like the customer sync, each page applied through the
// webhook worker's apply path (private.jobber_apply_work) with the run's source ('reconcile', or
// 'backfill' on the first run) and committed together with the run's position. A crash, a kill or
// a lost lease between pages loses nothing: the next holder continues from the last committed
// page, and a page applied twice records nothing twice. At the invocation's time budget the run
// hands over to a fresh invocation, naming the business.
import type { Runtime } from "../runtime.ts";
import type { Logger } from "../log.ts";
import { asService } from "../db.ts";
import { isAppError } from "../errors.ts";
import { jobberClientFor } from "../jobber/connection.ts";
import { computeQueryCost } from "../jobber/cost.ts";
import { JobberDisconnectedError, JobberGraphQLError } from "../jobber/errors.ts";
import {
  COMPLETED_JOBS_QUERY,
  COMPLETED_VISITS_QUERY,
  completedJobsPageSchema,
  completedVisitsPageSchema,
  completedWithinVariables,
  jobNodeSchema,
  visitWithJobSchema,
} from "../jobber/queries.ts";
import { mapJob, mapVisit, type WorkItem } from "../jobber/work_mapping.ts";
import { describeZodError } from "../validation.ts";
import { handOver, isLeaseLost, type Lease, LeaseLost } from "../worker/lease.ts";

export const PAGE_SIZE = 25;
const JOBS_PAGE_COST = computeQueryCost(COMPLETED_JOBS_QUERY, { first: PAGE_SIZE });
const VISITS_PAGE_COST = computeQueryCost(COMPLETED_VISITS_QUERY, { first: PAGE_SIZE });
const RETRY_AFTER_FAILURE_MS = 5 * 60_000;

export type Phase = "jobs" | "visits";

/** A claimed reconciliation (private.jobber_reconciles). */
export interface Reconcile {
  business_id: string;
  window_start: Date;
  window_end: Date;
  source: "reconcile" | "backfill";
  phase: Phase;
  cursor: string | null;
}

export type ReconcileResult = "finished" | "handed_over" | "retry_later" | "stopped" | "lost";

interface Page {
  items: WorkItem[];
  skipped: number;
  nextCursor: string | null;
}

/** Maps a page's nodes one by one: a node Jobber sent that we cannot read is logged and skipped. */
function mapNodes(nodes: unknown[], phase: Phase, country: string, log: Logger, businessId: string): { items: WorkItem[]; skipped: number } {
  const items: WorkItem[] = [];
  let skipped = 0;
  for (const node of nodes) {
    if (phase === "jobs") {
      const parsed = jobNodeSchema.safeParse(node);
      if (!parsed.success) {
        skipped++;
        log.warn("reconcile_node_unreadable", { business_id: businessId, phase, error: describeZodError(parsed.error) });
        continue;
      }
      items.push(mapJob(parsed.data, country).item);
    } else {
      const parsed = visitWithJobSchema.safeParse(node);
      if (!parsed.success) {
        skipped++;
        log.warn("reconcile_node_unreadable", { business_id: businessId, phase, error: describeZodError(parsed.error) });
        continue;
      }
      const { item } = mapJob(parsed.data.job, country);
      item.visits = [mapVisit(parsed.data, item.job)];
      items.push(item);
    }
  }
  return { items, skipped };
}

export async function runReconcile(rt: Runtime, run: Reconcile, log: Logger, lease: Lease): Promise<ReconcileResult> {
  const businessId = run.business_id;
  const fields = { business_id: businessId, source: run.source };
  const [business] = await asService(rt.sql, (tx) =>
    tx<{ country: string }[]>`select country from public.businesses where id = ${businessId}`
  );
  const country = business?.country ?? "US";
  const jobber = jobberClientFor(rt, businessId, log);
  const window = { from: run.window_start, to: run.window_end };
  let phase = run.phase;
  let cursor = run.cursor;

  const release = (retryAfterMs: number, error: string | null) =>
    asService(rt.sql, (tx) => tx`select private.jobber_release_reconcile(${businessId}, ${lease.owner}, ${retryAfterMs}, ${error})`);

  const fetchPage = async (): Promise<Page> => {
    const variables = completedWithinVariables(PAGE_SIZE, cursor, window);
    const { nodes, pageInfo } = phase === "jobs"
      ? (await jobber.request(COMPLETED_JOBS_QUERY, variables, completedJobsPageSchema, { expectedCost: JOBS_PAGE_COST })).data.jobs
      : (await jobber.request(COMPLETED_VISITS_QUERY, variables, completedVisitsPageSchema, { expectedCost: VISITS_PAGE_COST })).data.visits;
    const nextCursor = pageInfo.hasNextPage ? (pageInfo.endCursor ?? null) : null;
    if (pageInfo.hasNextPage && !nextCursor) {
      throw new JobberGraphQLError(`Jobber said more completed ${phase} follow but gave no cursor to fetch them.`);
    }
    return { ...mapNodes(nodes, phase, country, log, businessId), nextCursor };
  };

  try {
    while (true) {
      if (lease.lost()) throw new LeaseLost();
      if (lease.budgetSpent()) {
        await handOver(rt, log, "reconcile", { business_id: businessId }, (tx) =>
          tx`select private.jobber_release_reconcile(${businessId}, ${lease.owner}, 0, null)`);
        log.info("reconcile_handed_over", { ...fields, phase });
        return "handed_over";
      }
      const page = await fetchPage();
      const last = page.nextCursor === null && phase === "visits";
      const nextPhase: Phase = page.nextCursor === null ? "visits" : phase;
      const [recorded] = await asService(rt.sql, async (tx) => {
        const rows = await tx<{ items: number; completions: number }[]>`
          select items, completions from private.jobber_record_reconcile_page(${businessId}, ${lease.owner},
            ${tx.json(page.items as never)}::jsonb, ${nextPhase}, ${page.nextCursor})`;
        if (last) await tx`select private.jobber_finish_reconcile(${businessId}, ${lease.owner})`;
        return rows;
      });
      if (page.skipped > 0) log.warn("reconcile_page_skipped_nodes", { ...fields, phase, skipped: page.skipped });
      if (last) {
        log.info("reconcile_finished", {
          ...fields,
          window_start: run.window_start,
          window_end: run.window_end,
          items: recorded?.items ?? 0,
          completions: recorded?.completions ?? 0,
        });
        return "finished";
      }
      phase = nextPhase;
      cursor = page.nextCursor;
    }
  } catch (err) {
    if (isLeaseLost(err)) {
      log.warn("reconcile_lease_lost", fields);
      return "lost";
    }
    const message = isAppError(err) ? err.message : "Reconciliation hit an unexpected error; it will try again.";
    try {
      await release(RETRY_AFTER_FAILURE_MS, message);
    } catch (releaseErr) {
      if (!isLeaseLost(releaseErr)) throw releaseErr;
      // "Jobber says disconnected" dropped this run along with the connection.
      log.warn(err instanceof JobberDisconnectedError ? "reconcile_stopped_disconnected" : "reconcile_lease_lost", fields);
      return err instanceof JobberDisconnectedError ? "stopped" : "lost";
    }
    if (isAppError(err)) log.warn("reconcile_will_retry", { ...fields, error: message });
    else log.error("reconcile_will_retry", { ...fields, error: err });
    return "retry_later";
  }
}
