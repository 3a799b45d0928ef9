// Sending one message to the end: paced per sender, retried after 429s and provider errors, and
// never sent twice: after an answer that may hide an accepted message (5xx, timeout), the provider
// is asked (resolveUnknown) before anything is sent again. The review-message worker calls
// `deliver` for each message it has marked `sending`; the bench and `npm run send-test-message`
// use `deliverAll`.
import { backoffDelay, type Random, realSleep, type Sleep } from "../jobber/retry.ts";
import { PacerRegistry } from "./pacer.ts";
import type { ContactEffect, OutgoingMessage, Sender } from "./types.ts";

export type Delivery =
  | { kind: "accepted"; providerMessageId: string; status: string; attempts: number }
  | { kind: "refused"; code: string; reason: string; contactEffect: ContactEffect; attempts: number }
  | { kind: "unavailable"; reason: string; attempts: number }
  /** Gave up for now. When `maybeAccepted`, keep the message `sending` and resolve it later. */
  | { kind: "gave_up"; reason: string; maybeAccepted: boolean; retryAt: Date; attempts: number }
  /** The provider cannot say whether it took the message: never re-send it automatically. */
  | { kind: "undeterminable"; reason: string; attempts: number };

export interface DeliverOptions {
  pacers: PacerRegistry;
  now?: () => Date;
  sleep?: Sleep;
  random?: Random;
  /** Failed tries (errors, not 429s) before giving up. */
  maxFailures?: number;
  /** Overall bound on one message's time here, 429 waits included (Edge Functions cap wall time). */
  budgetMs?: number;
  /** When the message was marked `sending`; defaults to the first attempt. */
  attemptedAt?: Date;
  /** Start by asking the provider (a message found `sending` after a crash). */
  resolveFirst?: boolean;
}

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 10_000;

export async function deliver(sender: Sender, message: OutgoingMessage, options: DeliverOptions): Promise<Delivery> {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const maxFailures = options.maxFailures ?? 5;
  const deadline = now().getTime() + (options.budgetMs ?? 60_000);
  const pacer = options.pacers.for(sender.senderKey);
  let attemptedAt = options.attemptedAt ?? null;
  let mustResolve = options.resolveFirst === true;
  let failures = 0;
  let attempts = 0;

  const giveUp = (reason: string, retryAt: Date): Delivery => ({
    kind: "gave_up",
    reason,
    maybeAccepted: mustResolve,
    retryAt,
    attempts,
  });
  // Waits until `at`, or gives up when that is past the budget or too many tries failed.
  const waitOrGiveUp = async (at: Date, reason: string, failed: boolean): Promise<Delivery | null> => {
    if (failed) failures++;
    const backoff = failed ? backoffDelay(failures, random, BACKOFF_BASE_MS, BACKOFF_CAP_MS) : 0;
    const until = Math.max(at.getTime(), now().getTime() + backoff);
    if (failures >= maxFailures || until > deadline) return giveUp(reason, new Date(until));
    const ms = until - now().getTime();
    if (ms > 0) await sleep(ms);
    return null;
  };

  while (true) {
    attempts++;
    if (mustResolve) {
      const resolved = await sender.resolveUnknown(message, attemptedAt ?? now());
      switch (resolved.kind) {
        case "found":
          return { kind: "accepted", providerMessageId: resolved.providerMessageId, status: resolved.status, attempts };
        case "not_sent":
          mustResolve = false;
          break;
        case "refused":
          return { ...resolved, attempts };
        case "unavailable":
        case "undeterminable":
          return { ...resolved, attempts };
        case "retry": {
          const stop = await waitOrGiveUp(resolved.after, resolved.reason, true);
          if (stop) return stop;
          continue;
        }
      }
    }
    await pacer.acquire();
    attemptedAt ??= now();
    const outcome = await sender.send(message);
    switch (outcome.kind) {
      case "accepted":
        pacer.onAccepted();
        return { ...outcome, attempts };
      case "refused":
      case "unavailable":
        return { ...outcome, attempts };
      case "retry": {
        if (outcome.rateLimited) pacer.onRateLimited(outcome.after);
        if (outcome.maybeAccepted) mustResolve = true;
        // 429s are the provider pacing us, not failures; the pacer already waits for the next slot.
        const stop = outcome.rateLimited
          ? (now().getTime() > deadline ? giveUp(outcome.reason, outcome.after) : null)
          : await waitOrGiveUp(outcome.after, outcome.reason, true);
        if (stop) return stop;
        continue;
      }
    }
  }
}

/** Delivers many messages with `concurrency` in flight; results are in input order. */
export async function deliverAll(
  senderFor: (message: OutgoingMessage) => Sender,
  messages: readonly OutgoingMessage[],
  options: DeliverOptions & { concurrency?: number },
): Promise<Delivery[]> {
  const results: Delivery[] = new Array(messages.length);
  let next = 0;
  const worker = async () => {
    while (next < messages.length) {
      const index = next++;
      const message = messages[index]!;
      results[index] = await deliver(senderFor(message), message, options);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  return results;
}
