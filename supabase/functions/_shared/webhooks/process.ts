// Works through the webhook inbox (SPEC §9 "Processing"): claims due events in batches under the
// worker's lease (FOR UPDATE SKIP LOCKED, in SQL), re-fetches each object from Jobber through the
// business's rotation-safe client, and applies it per the topic table - then settles the events
// in the same transaction as the apply, through the lease guard. Events about the same object in
// one batch (JOB_CLOSED and the JOB_UPDATE after it) share one fetch. A failure settles the
// events for a retry (backoff in SQL; dead letter after 8); a business no longer connected makes
// them `ignored`. What each topic fetches and applies is ./topics.ts.
import type { Runtime } from "../runtime.ts";
import type { Logger } from "../log.ts";
import { asService } from "../db.ts";
import { isAppError } from "../errors.ts";
import { jobberClientFor } from "../jobber/connection.ts";
import { JobberDisconnectedError } from "../jobber/errors.ts";
import type { JobberClient } from "../jobber/graphql.ts";
import { inParallel } from "../parallel.ts";
import { handOver, isLeaseLost, type Lease } from "../worker/lease.ts";
import { drainWoken } from "../worker/wake.ts";
import { kindOf, type Plan, plan, type Subject, UnreadableObject } from "./topics.ts";

export { HANDLED_TOPICS } from "./topics.ts";

export const BATCH_SIZE = 25;
const CONCURRENCY = 4;

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
  subject: Subject;
  events: ClaimedEvent[];
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
    const group = groups.get(key) ??
      { subject: { businessId: event.business_id, kind, itemId, latestOccurredAt: event.occurred_at }, events: [] };
    group.events.push(event);
    if (event.occurred_at > group.subject.latestOccurredAt) group.subject.latestOccurredAt = event.occurred_at;
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

async function settle(
  ctx: Context,
  events: ClaimedEvent[],
  outcome: "done" | "ignored" | "retry",
  note: string | null,
  apply?: Plan["apply"],
) {
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
  const { subject } = group;
  const fields = {
    business_id: subject.businessId,
    topics: [...new Set(group.events.map((e) => e.topic))],
    item_id: subject.itemId,
    events: group.events.length,
  };
  try {
    const decided = await plan({
      rt: ctx.rt,
      log: ctx.log,
      jobber: clientOf(ctx, subject.businessId),
      country: ctx.countries.get(subject.businessId) ?? "US",
    }, subject);
    await settle(ctx, group.events, decided.outcome, null, decided.apply);
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
