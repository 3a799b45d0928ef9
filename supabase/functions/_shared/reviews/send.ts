// Sending review messages (SPEC §10 "Sending", §11): the work of the send_review_messages task.
// Under one worker lease it claims due messages in batches (SKIP LOCKED), and for each:
//   1. the database-side checks (private.review_send_prepare: clicked, settings, connection,
//      opt-outs, contact and channel, send window) - anything but "send" is applied there;
//   2. is the job still done in Jobber? one GraphQL request per review request (reopened or
//      deleted -> the request is cancelled; Jobber unreachable -> the message waits);
//   3. render it, and mark it `sending` with exactly that content, after the same checks once more
//      under the row lock (private.review_send_start);
//   4. hand it to the provider through the sender and the per-sender pacer (deliver), and record
//      the answer (private.review_send_record).
// A message found `sending` with nobody holding it (its worker crashed, or the provider's answer
// was lost) is never sent again on a guess: the provider is asked (resolveUnknown) with the content
// that was handed over, and only a provider that has no trace of it lets it go back to scheduled,
// to be checked and sent afresh. Every time comes from rt.now(), so tests inject the clock.
import type { Runtime } from "../runtime.ts";
import type { Logger } from "../log.ts";
import { asService, type TransactionSql } from "../db.ts";
import { AppError } from "../errors.ts";
import { jobberClientFor } from "../jobber/connection.ts";
import { JobberDisconnectedError } from "../jobber/errors.ts";
import { deliver, type Delivery } from "../messaging/dispatch.ts";
import { PacerRegistry } from "../messaging/pacer.ts";
import { createSenders, type Senders } from "../messaging/senders.ts";
import { unsubscribeUrlFor } from "../messaging/config.ts";
import type { Channel, OutgoingMessage, ResolveOutcome } from "../messaging/types.ts";
import { drainWoken } from "../worker/wake.ts";
import { handOver, isLeaseLost, type Lease, takeLease } from "../worker/lease.ts";
import { inParallel } from "../parallel.ts";
import {
  type JobCheckData,
  jobCheckResultSchema,
  jobVerdict,
  REVIEW_JOB_CHECK_QUERY,
  REVIEW_VISIT_CHECK_QUERY,
  visitCheckResultSchema,
} from "./job_check.ts";
import { renderEmail, renderSms, type RenderValues, reviewLinkFor } from "./render.ts";

export const SEND_TASK = "send_review_messages";

const BATCH_SIZE = 20;
const CONCURRENCY = 4;
/** The worker waits for messages falling due this soon instead of leaving them to the next sweep. */
const LOOKAHEAD_MS = 60_000;
/** When Jobber cannot say whether a job is still done, the message waits this long. */
const JOBBER_RETRY_MS = 5 * 60_000;
/** One message's share of the provider's time (429 waits and retries included). */
const DELIVER_BUDGET_MS = 30_000;
/** How long one provider request may take before the sender gives up on its answer. */
const PROVIDER_TIMEOUT_MS = 15_000;
/**
 * A message left `sending` is looked up with the provider only this long after its attempt: by
 * then any request a crashed worker had in flight has finished, so the lookup sees its message.
 */
const SETTLE_MS = 2 * PROVIDER_TIMEOUT_MS;

export interface ClaimedMessage {
  message_id: string;
  request_id: string;
  business_id: string;
  step: number;
  channel: Channel;
  to_address: string;
  status: "scheduled" | "sending";
  attempted_at: Date | null;
  completion_kind: "job_closed" | "visit_completed";
  job_external_id: string;
  visit_external_id: string | null;
  job_deleted: boolean;
  content: OutgoingMessage | null;
}

interface RenderContext {
  step: number;
  first_name: string | null;
  business_name: string;
  technicians: string[];
  review_url: string | null;
  sms_template: string;
  email_subject: string;
  email_template: string;
  link_token: string;
  unsubscribe_token: string;
}

type Verdict =
  | { action: "send"; channel: Channel; to_address: string; render: RenderContext }
  | { action: "sending"; channel: Channel; to_address: string }
  | { action: "skip" | "cancel_message" | "cancel_request" | "fail" | "retime"; reason: string; retry_at?: string };

export interface SendStats {
  claimed: number;
  /** Handed to the provider and taken by it (`queued`). */
  queued: number;
  failed: number;
  cancelled: number;
  retimed: number;
  /** Back to scheduled for later: 429s, provider errors, Jobber unreachable. */
  later: number;
  /** `sending` messages settled by asking the provider. */
  resolved: number;
}

export interface SendOptions {
  /** Senders to use instead of the configured providers (tests). */
  senders?: Senders;
  pacers?: PacerRegistry;
  batchSize?: number;
  /** Take no lease of its own: run under this one (tests). */
  lease?: Lease;
}

// One pacer registry per runtime (per process in production): every invocation sending through a
// provider-side sender shares what was learned about its rate limit.
const pacersByRuntime = new WeakMap<Runtime, PacerRegistry>();

function pacersFor(rt: Runtime): PacerRegistry {
  let pacers = pacersByRuntime.get(rt);
  if (!pacers) {
    pacers = new PacerRegistry({ now: () => rt.now().getTime(), sleep: rt.sleep });
    pacersByRuntime.set(rt, pacers);
  }
  return pacers;
}

/**
 * Sends every due review message: batches until none is due, then waits for those falling due
 * within a minute, within the invocation's time budget; at the budget it hands over to a fresh
 * invocation. Returns what it did.
 */
export async function sendReviewMessages(rt: Runtime, log: Logger, options: SendOptions = {}): Promise<SendStats> {
  const stats: SendStats = { claimed: 0, queued: 0, failed: 0, cancelled: 0, retimed: 0, later: 0, resolved: 0 };
  const lease = options.lease ??
    await takeLease(rt, log, SEND_TASK, { leaseMs: rt.tuning.sendLeaseMs, budgetMs: rt.tuning.sendTimeBudgetMs });
  const senders = options.senders ?? createSenders(rt.messaging, { fetch: rt.fetch, now: rt.now, timeoutMs: PROVIDER_TIMEOUT_MS });
  const available = (["sms", "email"] as const).filter((c) => senders[c].available);
  const pacers = options.pacers ?? pacersFor(rt);
  let stopped = false;
  const stop = () => stopped || lease.lost() || lease.budgetSpent();

  const sql = <T>(fn: (tx: TransactionSql) => Promise<T>) => asService(rt.sql, fn);

  async function claim(): Promise<ClaimedMessage[]> {
    return await sql((tx) =>
      tx<ClaimedMessage[]>`select * from private.review_send_claim(${lease.owner}, ${rt.now()},
                                                                   ${options.batchSize ?? BATCH_SIZE}, ${SETTLE_MS})`
    );
  }

  // ---- one message ------------------------------------------------------------------------------

  async function record(
    m: ClaimedMessage,
    kind: string,
    fields: { provider?: string | null; id?: string | null; code?: string | null; reason?: string | null; effect?: string | null; retryAt?: Date | null } = {},
  ): Promise<void> {
    await sql((tx) =>
      tx`select private.review_send_record(${m.message_id}, ${lease.owner}, ${rt.now()}, ${kind}, ${fields.provider ?? null},
                                           ${fields.id ?? null}, ${fields.code ?? null}, ${fields.reason ?? null},
                                           ${fields.effect ?? null}, ${fields.retryAt ?? null})`
    );
  }

  function count(action: string): void {
    if (action === "cancel_message" || action === "cancel_request") stats.cancelled++;
    else if (action === "fail") stats.failed++;
    else if (action === "retime") stats.retimed++;
  }

  const jobChecks = new Map<string, Promise<"done" | "job_reopened" | "job_deleted" | "not_connected" | { unavailable: string }>>();

  /** One GraphQL request per review request, shared by its messages in this batch. */
  function jobStillDone(m: ClaimedMessage) {
    let check = jobChecks.get(m.request_id);
    if (!check) {
      check = (async () => {
        if (m.job_deleted) return "job_deleted" as const;
        try {
          const client = jobberClientFor(rt, m.business_id, log);
          let data: JobCheckData;
          if (m.completion_kind === "visit_completed" && m.visit_external_id) {
            const answer = await client.request(REVIEW_VISIT_CHECK_QUERY, {
              jobId: m.job_external_id,
              visitId: m.visit_external_id,
            }, visitCheckResultSchema);
            data = { kind: "visit_completed", data: answer.data };
          } else {
            const answer = await client.request(REVIEW_JOB_CHECK_QUERY, { jobId: m.job_external_id }, jobCheckResultSchema);
            data = { kind: "job_closed", data: answer.data };
          }
          return jobVerdict(data);
        } catch (err) {
          // Only Jobber itself saying the app is disconnected ends the request here. A token we
          // could not read or refresh is the connection's own business (it is flagged for
          // reconnecting, and the database check cancels once it is not connected): wait.
          if (err instanceof JobberDisconnectedError) return "not_connected" as const;
          return { unavailable: err instanceof AppError ? err.message : "Jobber could not be asked" };
        }
      })();
      jobChecks.set(m.request_id, check);
    }
    return check;
  }

  function outgoing(m: ClaimedMessage, channel: Channel, to: string, r: RenderContext): OutgoingMessage {
    const values: RenderValues = {
      firstName: r.first_name,
      businessName: r.business_name,
      technicians: r.technicians,
      link: reviewLinkFor(rt.messaging.reviewLinkBase, r.link_token),
    };
    if (channel === "sms") return { channel, id: m.message_id, to, body: renderSms(r.sms_template, values).body };
    const unsubscribeUrl = unsubscribeUrlFor(rt.messaging, r.unsubscribe_token);
    const email = renderEmail({ subject: r.email_subject, body: r.email_template }, values, unsubscribeUrl);
    return { channel, id: m.message_id, to, ...email, unsubscribeUrl };
  }

  async function recordDelivery(m: ClaimedMessage, provider: string | null, delivery: Delivery): Promise<void> {
    switch (delivery.kind) {
      case "accepted":
        stats.queued++;
        await record(m, "accepted", { provider, id: delivery.providerMessageId });
        log.info("review_message_queued", { message_id: m.message_id, provider, attempts: delivery.attempts });
        return;
      case "refused":
        stats.failed++;
        await record(m, "refused", { provider, code: delivery.code, reason: delivery.reason, effect: delivery.contactEffect });
        log.info("review_message_refused", { message_id: m.message_id, provider, error_code: delivery.code });
        return;
      case "unavailable":
        stats.failed++;
        await record(m, "unavailable", { reason: delivery.reason });
        log.warn("review_message_channel_unavailable", { message_id: m.message_id, provider, reason: delivery.reason });
        return;
      case "undeterminable":
        stats.failed++;
        await record(m, "undeterminable", { reason: delivery.reason });
        log.warn("review_message_unconfirmed", { message_id: m.message_id, provider, reason: delivery.reason });
        return;
      case "gave_up":
        stats.later++;
        await record(m, delivery.maybeAccepted ? "unknown" : "retry", {
          code: "provider_unavailable",
          reason: delivery.reason,
          retryAt: delivery.retryAt,
        });
        log.warn("review_message_later", {
          message_id: m.message_id,
          provider,
          maybe_accepted: delivery.maybeAccepted,
          retry_at: delivery.retryAt.toISOString(),
        });
        return;
    }
  }

  /** A `sending` message nobody holds: ask the provider what became of it. */
  async function resolve(m: ClaimedMessage): Promise<void> {
    stats.resolved++;
    const content = m.content;
    if (!content) {
      await record(m, "undeterminable", { reason: "What was handed to the provider was not recorded" });
      return;
    }
    const sender = senders[content.channel];
    const outcome: ResolveOutcome = await sender.resolveUnknown(content, m.attempted_at ?? rt.now());
    log.info("review_message_resolved", { message_id: m.message_id, provider: sender.provider, outcome: outcome.kind });
    switch (outcome.kind) {
      case "found":
        stats.queued++;
        return await record(m, "accepted", { provider: sender.provider, id: outcome.providerMessageId });
      case "not_sent":
        stats.later++;
        return await record(m, "not_sent", { reason: "The provider has no trace of it; it will be checked and sent again" });
      case "refused":
        stats.failed++;
        return await record(m, "refused", {
          provider: sender.provider,
          code: outcome.code,
          reason: outcome.reason,
          effect: outcome.contactEffect,
        });
      case "retry":
        stats.later++;
        return await record(m, "unknown", { code: "provider_unavailable", reason: outcome.reason, retryAt: outcome.after });
      case "undeterminable":
      case "unavailable":
        stats.failed++;
        return await record(m, "undeterminable", { reason: outcome.reason });
    }
  }

  async function send(m: ClaimedMessage): Promise<void> {
    const prepared = await sql((tx) =>
      tx<{ verdict: Verdict }[]>`select private.review_send_prepare(${m.message_id}, ${lease.owner}, ${rt.now()},
                                                                   ${available}::text[]) as verdict`
    );
    const verdict = prepared[0]!.verdict;
    if (verdict.action !== "send") {
      count(verdict.action);
      return;
    }

    const job = await jobStillDone(m);
    if (job !== "done") {
      if (typeof job === "object") {
        stats.later++;
        await sql((tx) =>
          tx`select private.review_send_postpone(${m.message_id}, ${lease.owner}, ${new Date(rt.now().getTime() + JOBBER_RETRY_MS)},
                                                 'jobber_unavailable', ${`Jobber could not confirm the job is still done: ${job.unavailable}`})`
        );
        log.warn("review_message_job_unverified", { message_id: m.message_id, business_id: m.business_id });
      } else {
        stats.cancelled++;
        await sql((tx) => tx`select private.review_send_cancel_request(${m.message_id}, ${lease.owner}, ${job})`);
        log.info("review_request_cancelled", { request_id: m.request_id, business_id: m.business_id, reason: job });
      }
      return;
    }

    const message = outgoing(m, verdict.channel, verdict.to_address, verdict.render);
    const attemptedAt = rt.now();
    const started = await sql((tx) =>
      tx<{ verdict: Verdict }[]>`select private.review_send_start(${m.message_id}, ${lease.owner}, ${attemptedAt},
        ${available}::text[], ${verdict.channel}, ${verdict.to_address}, ${tx.json(message as never)}) as verdict`
    );
    const start = started[0]!.verdict;
    if (start.action !== "sending") {
      count(start.action);
      return;
    }
    const sender = senders[verdict.channel];
    const budgetMs = Math.max(1_000, Math.min(DELIVER_BUDGET_MS, lease.deadline - rt.now().getTime()));
    const delivery = await deliver(sender, message, {
      pacers,
      now: rt.now,
      sleep: rt.sleep,
      random: rt.random,
      budgetMs,
      attemptedAt,
    });
    await recordDelivery(m, sender.provider, delivery);
  }

  async function one(m: ClaimedMessage): Promise<void> {
    if (stopped) return;
    try {
      if (m.status === "sending") await resolve(m);
      else await send(m);
    } catch (err) {
      if (isLeaseLost(err)) {
        stopped = true;
        log.warn("review_send_lease_lost", { message_id: m.message_id });
        return;
      }
      // Left held: once this invocation's lease ends the message is claimable again (a `sending`
      // one is then resolved with the provider, never re-sent blindly).
      log.error("review_message_failed", { message_id: m.message_id, error: err });
    }
  }

  async function batch(): Promise<number> {
    const claimed = await claim();
    stats.claimed += claimed.length;
    jobChecks.clear();
    await inParallel(claimed, CONCURRENCY, one);
    return claimed.length;
  }

  try {
    while (!stop()) {
      await drainWoken(rt, SEND_TASK, batch, stop);
      if (stop()) break;
      const now = rt.now();
      const [next] = await sql((tx) =>
        tx<{ at: Date | null }[]>`select private.review_send_next_due(${now}, ${new Date(now.getTime() + LOOKAHEAD_MS)},
                                                                        ${SETTLE_MS}) as at`
      );
      if (!next?.at || next.at.getTime() >= lease.deadline) break;
      // Postgres keeps microseconds, a Date milliseconds: wake a millisecond after, never before.
      await rt.sleep(Math.max(1, next.at.getTime() + 1 - rt.now().getTime()));
    }
    if (!options.lease && lease.budgetSpent() && !lease.lost()) {
      await handOver(rt, log, SEND_TASK, {}, () => Promise.resolve());
    }
  } finally {
    if (!options.lease) await lease.end();
  }
  return stats;
}
