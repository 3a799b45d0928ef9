// Works through the webhook inbox (SPEC §9 "Processing"): claims due events in batches under the
// worker's lease (FOR UPDATE SKIP LOCKED, in SQL), re-fetches each object from Jobber through the
// business's rotation-safe client, and applies it per the topic table - then settles the events
// in the same transaction as the apply, through the lease guard. Events about the same object in
// one batch (JOB_CLOSED and the JOB_UPDATE after it) share one fetch. A failure settles the
// events for a retry (backoff in SQL; dead letter after 8); a business no longer connected makes
// them `ignored`.
import type { Runtime } from "../runtime.ts";
import type { Logger } from "../log.ts";
import { asService, type TransactionSql } from "../db.ts";
import { isAppError } from "../errors.ts";
import { jobberClientFor } from "../jobber/connection.ts";
import { jobberSaysDisconnected } from "../jobber/disconnected.ts";
import { JobberDisconnectedError } from "../jobber/errors.ts";
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
import { inParallel } from "../parallel.ts";
import { handOver, isLeaseLost, type Lease } from "../worker/lease.ts";
import { drainWoken } from "../worker/wake.ts";

/**
 * The topics the worker acts on; every other topic is stored `ignored` by the receiver. Must equal
 * SQL's private.jobber_webhook_topics() (process_test.ts checks).
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

type Kind = (typeof HANDLED_TOPICS)[keyof typeof HANDLED_TOPICS];

export const BATCH_SIZE = 25;
const CONCURRENCY = 4;
const COSTS = {
  client: computeQueryCost(CLIENT_QUERY),
  job: computeQueryCost(JOB_QUERY),
  visit: computeQueryCost(VISIT_QUERY),
} as const;

export interface ClaimedEvent {
  /** bigint, as the driver returns it. */
  id: string;
  business_id: string;
  account_id: string;
  topic: string;
  item_id: string;
  occurred_at: Date;
  attempts: number;
  /** processing: this worker's to handle; ignored / failed: settled by the claim itself. */
  state: "processing" | "ignored" | "failed";
}

/** Events about one object of one business, handled with one fetch. */
interface Group {
  businessId: string;
  kind: Kind;
  itemId: string;
  events: ClaimedEvent[];
}

/** What a fetch decided: settle the events so, applying (in the same transaction) what it found. */
interface Plan {
  outcome: "done" | "ignored";
  note?: string;
  apply?: (tx: TransactionSql) => Promise<unknown>;
  /** For the log: what was applied. */
  did: string;
}

function kindOf(topic: string): Kind | null {
  return (HANDLED_TOPICS as Record<string, Kind>)[topic] ?? null;
}

function groupEvents(events: ClaimedEvent[]): { groups: Group[]; unknown: ClaimedEvent[] } {
  const groups = new Map<string, Group>();
  const unknown: ClaimedEvent[] = [];
  for (const event of events) {
    const kind = kindOf(event.topic);
    if (!kind) {
      unknown.push(event);
      continue;
    }
    // APP_DISCONNECT is about the account, whatever its itemId.
    const itemId = kind === "disconnect" ? "" : event.item_id;
    const key = `${event.business_id}|${kind}|${itemId}`;
    const group = groups.get(key) ?? { businessId: event.business_id, kind, itemId, events: [] };
    group.events.push(event);
    groups.set(key, group);
  }
  return { groups: [...groups.values()], unknown };
}

interface Context {
  rt: Runtime;
  log: Logger;
  lease: Lease;
  clients: Map<string, JobberClient>;
  countries: Map<string, string>;
}

function clientOf(ctx: Context, businessId: string): JobberClient {
  let client = ctx.clients.get(businessId);
  if (!client) {
    client = jobberClientFor(ctx.rt, businessId, ctx.log);
    ctx.clients.set(businessId, client);
  }
  return client;
}

const applyWork = (businessId: string, items: WorkItem[]) => (tx: TransactionSql) =>
  tx`select * from private.jobber_apply_work(${businessId}, 'webhook', ${tx.json(items as never)}::jsonb)`;

/** Re-fetches the group's object and decides what to apply. Holds no database connection meanwhile. */
async function plan(ctx: Context, group: Group): Promise<Plan> {
  const { businessId, itemId } = group;
  const country = ctx.countries.get(businessId) ?? "US";
  switch (group.kind) {
    case "disconnect": {
      const latest = group.events.reduce((a, e) => (e.occurred_at > a ? e.occurred_at : a), group.events[0]!.occurred_at);
      const disconnected = await jobberSaysDisconnected(ctx.rt, businessId, ctx.log, {
        source: "app_disconnect",
        occurredAt: latest,
      });
      return {
        outcome: "done",
        did: disconnected ? "disconnected" : "already disconnected, or about an earlier connection",
      };
    }
    case "client": {
      const { data } = await clientOf(ctx, businessId).request(CLIENT_QUERY, { id: itemId }, clientResultSchema, {
        expectedCost: COSTS.client,
      });
      if (data.client === null || data.client === undefined) {
        return {
          outcome: "done",
          did: "client gone: customer removed",
          apply: (tx) => tx`select private.jobber_remove_customer(${businessId}, ${itemId})`,
        };
      }
      const { rows, errors } = mapClientsPage([data.client], country);
      if (rows.length === 0) throw new UnreadableObject(errors[0]?.message ?? "Jobber sent a client Blipp cannot read.");
      return {
        outcome: "done",
        did: "client applied",
        apply: (tx) => tx`select * from private.jobber_apply_client_page(${businessId}, ${tx.json(rows as never)}::jsonb, now())`,
      };
    }
    case "job": {
      const { data } = await clientOf(ctx, businessId).request(JOB_QUERY, { id: itemId }, jobResultSchema, {
        expectedCost: COSTS.job,
      });
      if (data.job === null) {
        return {
          outcome: "done",
          did: "job gone: marked deleted",
          apply: (tx) => tx`select private.jobber_mark_job_deleted(${businessId}, ${itemId})`,
        };
      }
      const { item, clientError } = mapJob(data.job, country);
      if (clientError) ctx.log.warn("webhook_client_unreadable", { business_id: businessId, item_id: itemId, error: clientError.message });
      return { outcome: "done", did: item.job.completed_at ? "closed job applied" : "job applied", apply: applyWork(businessId, [item]) };
    }
    case "visit": {
      const { data } = await clientOf(ctx, businessId).request(VISIT_QUERY, { id: itemId }, visitResultSchema, {
        expectedCost: COSTS.visit,
      });
      // A visit deleted since (with its job, or on its own) has nothing left to complete.
      if (data.visit === null) return { outcome: "done", did: "visit gone" };
      const { item, clientError } = mapJob(data.visit.job, country);
      if (clientError) ctx.log.warn("webhook_client_unreadable", { business_id: businessId, item_id: itemId, error: clientError.message });
      item.visits = [mapVisit(data.visit, item.job)];
      return {
        outcome: "done",
        did: item.visits[0]!.completed_at ? "completed visit applied" : "visit applied",
        apply: applyWork(businessId, [item]),
      };
    }
  }
}

/** Jobber sent an object we cannot read; retrying later may help (a fix on either side). */
class UnreadableObject extends Error {}

async function settle(ctx: Context, events: ClaimedEvent[], outcome: "done" | "ignored" | "retry", note: string | null, apply?: Plan["apply"]) {
  const ids = events.map((e) => e.id);
  await asService(ctx.rt.sql, async (tx) => {
    // The guard first: a worker that lost these events applies nothing.
    await tx`select private.jobber_settle_webhook_events(${ids}::bigint[], ${ctx.lease.owner}, ${outcome}, ${note})`;
    if (apply) await apply(tx);
  });
}

/** What a failed try says in the inbox (and on support's screen): never a secret, never a stack. */
function failureNote(err: unknown): string {
  if (err instanceof UnreadableObject) return err.message;
  if (isAppError(err)) return err.message;
  return "Blipp hit an unexpected error while applying this update; it will try again.";
}

async function handleGroup(ctx: Context, group: Group): Promise<void> {
  const fields = {
    business_id: group.businessId,
    topics: [...new Set(group.events.map((e) => e.topic))],
    item_id: group.itemId,
    events: group.events.length,
  };
  try {
    const decided = await plan(ctx, group);
    await settle(ctx, group.events, decided.outcome, decided.note ?? null, decided.apply);
    ctx.log.info("webhook_processed", { ...fields, result: decided.did });
  } catch (err) {
    if (isLeaseLost(err)) {
      ctx.log.warn("webhook_lease_lost", fields);
      return;
    }
    let outcome: "ignored" | "retry" = "retry";
    let note = failureNote(err);
    if (err instanceof JobberDisconnectedError) {
      // The client already ran "Jobber says disconnected"; nothing can be fetched any more.
      outcome = "ignored";
      note = "Jobber says this app was disconnected from the account.";
    } else if (isAppError(err) && err.code === "not_connected") {
      outcome = "ignored";
      note = `The business is not connected to Jobber: ${err.message}`;
    }
    const level = outcome === "retry" && !isAppError(err) && !(err instanceof UnreadableObject) ? "error" : "warn";
    ctx.log[level]("webhook_failed", { ...fields, outcome, attempts: Math.max(...group.events.map((e) => e.attempts)), error: level === "error" ? err : note });
    try {
      await settle(ctx, group.events, outcome, note);
    } catch (settleErr) {
      if (!isLeaseLost(settleErr)) throw settleErr;
      ctx.log.warn("webhook_lease_lost", fields);
    }
  }
}

export interface BatchOptions {
  /** Reuse one client per business across batches (its token and what it learnt of the bucket). */
  clients?: Map<string, JobberClient>;
  /** Claim only these events (when due). */
  eventIds?: string[];
}

/**
 * Claims one batch of due events and handles it. Returns how many events were claimed, including
 * those the claim settled itself (0: the inbox has nothing due).
 */
export async function processBatch(rt: Runtime, log: Logger, lease: Lease, options: BatchOptions = {}): Promise<number> {
  const clients = options.clients ?? new Map<string, JobberClient>();
  const claimed = await asService(rt.sql, (tx) =>
    tx<ClaimedEvent[]>`select * from private.jobber_claim_webhook_events(${lease.owner}, ${BATCH_SIZE},
                                                                         ${options.eventIds ?? null}::bigint[])`
  );
  const events = claimed.filter((e) => e.state === "processing");
  if (claimed.length > events.length) {
    log.info("webhooks_settled_at_claim", { ignored: claimed.filter((e) => e.state === "ignored").length, failed: claimed.filter((e) => e.state === "failed").length });
  }
  if (events.length === 0) return claimed.length;
  const businessIds = [...new Set(events.map((e) => e.business_id))];
  const countries = new Map(
    (await asService(rt.sql, (tx) =>
      tx<{ id: string; country: string }[]>`select id, country from public.businesses where id = any(${businessIds}::uuid[])`
    )).map((b) => [b.id, b.country]),
  );
  const ctx: Context = { rt, log, lease, clients, countries };
  const { groups, unknown } = groupEvents(events);
  // The receiver stores only handled topics as pending; anything else here is settled, not guessed at.
  if (unknown.length > 0) await settle(ctx, unknown, "ignored", "Blipp does not act on this topic.");
  await inParallel(groups, CONCURRENCY, (group) => handleGroup(ctx, group));
  return claimed.length;
}

export interface DrainResult {
  /** Events claimed and handled by this invocation. */
  processed: number;
  /** The time budget ran out with work perhaps left: a fresh invocation was woken to go on. */
  handed_over: boolean;
  /** Done / ignored events older than 7 days deleted on the way out. */
  pruned: number;
}

const PRUNE_BATCH = 1000;

/**
 * One invocation's work: batches until the inbox has nothing due (then the coalesced wake is
 * settled and the inbox looked at once more, so events that arrived meanwhile are not left for
 * the sweep), or until the lease is lost or the time budget is spent (then a fresh invocation is
 * woken to carry on: between batches nothing is held, so there is nothing to give back).
 */
export async function drainInbox(rt: Runtime, log: Logger, lease: Lease): Promise<DrainResult> {
  const clients = new Map<string, JobberClient>();
  const stop = () => lease.lost() || lease.budgetSpent();
  const processed = await drainWoken(rt, "process_webhooks", () => processBatch(rt, log, lease, { clients }), stop);
  let handedOver = false;
  if (!lease.lost() && lease.budgetSpent()) {
    await handOver(rt, log, "process_webhooks", {}, () => Promise.resolve());
    handedOver = true;
    log.info("webhooks_handed_over", { processed });
  }
  let pruned = 0;
  if (!lease.lost()) {
    const [row] = await asService(rt.sql, (tx) =>
      tx<{ pruned: number }[]>`select private.jobber_prune_webhook_events(${PRUNE_BATCH}) as pruned`
    );
    pruned = row?.pruned ?? 0;
  }
  return { processed, handed_over: handedOver, pruned };
}
