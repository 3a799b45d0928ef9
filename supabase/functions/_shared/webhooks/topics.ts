// What each webhook topic does (SPEC §9's topic table): re-fetch the object the event names from
// Jobber - never trusting the payload, which carries ids only - and decide what to apply. The
// fetch holds no database connection; what it decides is applied by process.ts in the transaction
// that settles the events.
import type { Logger } from "../log.ts";
import type { Runtime } from "../runtime.ts";
import type { TransactionSql } from "../db.ts";
import { jobberSaysDisconnected } from "../jobber/disconnected.ts";
import type { JobberClient } from "../jobber/graphql.ts";
import { computeQueryCost } from "../jobber/cost.ts";
import {
  CLIENT_QUERY,
  clientResultSchema,
  JOB_QUERY,
  jobResultSchema,
  VISIT_QUERY,
  visitResultSchema,
} from "../jobber/queries.ts";
import { mapJob, mapVisit, type WorkItem } from "../jobber/work_mapping.ts";
import { mapClientsPage } from "../sync/page.ts";

/**
 * The topics the worker acts on, by the kind of object they name; every other topic is stored
 * `ignored` by the receiver. Must equal SQL's private.jobber_webhook_topics() (process_test.ts checks).
 */
export const HANDLED_TOPICS = {
  APP_DISCONNECT: "disconnect",
  CLIENT_CREATE: "client",
  CLIENT_UPDATE: "client",
  CLIENT_DESTROY: "client",
  JOB_CREATE: "job",
  JOB_UPDATE: "job",
  JOB_CLOSED: "job",
  JOB_DESTROY: "job",
  VISIT_COMPLETE: "visit",
} as const;

export type Kind = (typeof HANDLED_TOPICS)[keyof typeof HANDLED_TOPICS];

export function kindOf(topic: string): Kind | null {
  return (HANDLED_TOPICS as Record<string, Kind>)[topic] ?? null;
}

const COSTS = {
  client: computeQueryCost(CLIENT_QUERY),
  job: computeQueryCost(JOB_QUERY),
  visit: computeQueryCost(VISIT_QUERY),
} as const;

/** One object of one business that events named (several events about it share one fetch). */
export interface Subject {
  businessId: string;
  kind: Kind;
  /** The object's Jobber id ("" for APP_DISCONNECT, which is about the account). */
  itemId: string;
  /** The latest occurredAt among the events about it. */
  latestOccurredAt: Date;
}

/** What a fetch decided: settle the events so, applying (in the same transaction) what it found. */
export interface Plan {
  outcome: "done" | "ignored";
  apply?: (tx: TransactionSql) => Promise<unknown>;
  /** For the log: what was applied. */
  did: string;
}

export interface PlanContext {
  rt: Runtime;
  log: Logger;
  /** The business's GraphQL client (rotation-safe, paced, "Jobber says disconnected" built in). */
  jobber: JobberClient;
  /** The business's country, which the customer mapping normalises phone numbers with. */
  country: string;
}

/** Jobber sent an object we cannot read; trying again later may help (a fix on either side). */
export class UnreadableObject extends Error {}

const applyWork = (businessId: string, items: WorkItem[]) => (tx: TransactionSql) =>
  tx`select * from private.jobber_apply_work(${businessId}, 'webhook', ${tx.json(items as never)}::jsonb)`;

/** Re-fetches the subject from Jobber and decides what to apply. */
export async function plan(ctx: PlanContext, subject: Subject): Promise<Plan> {
  const { businessId, itemId } = subject;
  const clientUnreadable = (message: string) =>
    ctx.log.warn("webhook_client_unreadable", { business_id: businessId, item_id: itemId, error: message });
  switch (subject.kind) {
    case "disconnect": {
      const disconnected = await jobberSaysDisconnected(ctx.rt, businessId, ctx.log, {
        source: "app_disconnect",
        occurredAt: subject.latestOccurredAt,
      });
      return { outcome: "done", did: disconnected ? "disconnected" : "already disconnected, or about an earlier connection" };
    }
    case "client": {
      const { data } = await ctx.jobber.request(CLIENT_QUERY, { id: itemId }, clientResultSchema, { expectedCost: COSTS.client });
      if (data.client === null || data.client === undefined) {
        return {
          outcome: "done",
          did: "client gone: customer removed",
          apply: (tx) => tx`select private.jobber_remove_customer(${businessId}, ${itemId})`,
        };
      }
      const { rows, errors } = mapClientsPage([data.client], ctx.country);
      if (rows.length === 0) throw new UnreadableObject(errors[0]?.message ?? "Jobber sent a client Blipp cannot read.");
      return {
        outcome: "done",
        did: "client applied",
        apply: (tx) => tx`select * from private.jobber_apply_client_page(${businessId}, ${tx.json(rows as never)}::jsonb, now())`,
      };
    }
    case "job": {
      const { data } = await ctx.jobber.request(JOB_QUERY, { id: itemId }, jobResultSchema, { expectedCost: COSTS.job });
      if (data.job === null) {
        return {
          outcome: "done",
          did: "job gone: marked deleted",
          apply: (tx) => tx`select private.jobber_mark_job_deleted(${businessId}, ${itemId})`,
        };
      }
      const { item, clientError } = mapJob(data.job, ctx.country);
      if (clientError) clientUnreadable(clientError.message);
      return { outcome: "done", did: item.job.completed_at ? "closed job applied" : "job applied", apply: applyWork(businessId, [item]) };
    }
    case "visit": {
      const { data } = await ctx.jobber.request(VISIT_QUERY, { id: itemId }, visitResultSchema, { expectedCost: COSTS.visit });
      // A visit deleted since (with its job, or on its own) has nothing left to complete.
      if (data.visit === null) return { outcome: "done", did: "visit gone" };
      const { item, clientError } = mapJob(data.visit.job, ctx.country);
      if (clientError) clientUnreadable(clientError.message);
      item.visits = [mapVisit(data.visit, item.job)];
      return {
        outcome: "done",
        did: item.visits[0]!.completed_at ? "completed visit applied" : "visit applied",
        apply: applyWork(businessId, [item]),
      };
    }
  }
}
