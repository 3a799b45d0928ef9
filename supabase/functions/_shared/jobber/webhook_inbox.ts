// Records verified Jobber webhook events in the inbox (private.jobber_receive_webhooks), one SQL
// call per event - shared: deliveries that arrive while a call is in flight wait for it and then
// go together in the next one. An idle receiver sends each event at once; a busy one commits many
// per transaction, which is what lets one small database acknowledge thousands of deliveries a
// second well inside Jobber's one-second limit. Every delivery still learns its own outcome, and
// a failed call fails exactly the deliveries it carried (Jobber sends them again).
//
// No delivery waits longer than the deadline: Jobber gives up on a receiver after one second and
// may disable the webhooks of one that keeps it waiting. A delivery the database has not recorded
// by then (it is down, or restarting and the driver is waiting to reconnect) is answered 503 at
// once and never sent afterwards; a call still running at the deadline stops holding up the calls
// behind it. If such a call commits later, Jobber's retry is simply a duplicate.
import type { Sql } from "../db.ts";
import { asService } from "../db.ts";
import { isDatabaseUnavailable } from "../db_errors.ts";
import { serviceUnavailable } from "../errors.ts";
import type { WebhookEvent } from "./webhook.ts";

export interface InboxOutcome {
  /** The event was already in the inbox (Jobber delivered it before). */
  duplicate: boolean;
  /** The new row's state: pending (the worker will act on it) or ignored; null for a duplicate. */
  state: "pending" | "ignored" | null;
}

export interface WebhookInbox {
  record(event: WebhookEvent): Promise<InboxOutcome>;
}

export interface InboxOptions {
  /** Events per SQL call at most. */
  maxBatch?: number;
  /** SQL calls in flight at once. One keeps batches large under load and adds no wait when idle. */
  maxInFlight?: number;
  /** How long a delivery may wait for the database before it is answered 503 (default 800 ms). */
  deadlineMs?: number;
}

interface Waiting {
  event: WebhookEvent;
  /** Settled (answered, failed or timed out): later outcomes are ignored. */
  settled: boolean;
  timer: ReturnType<typeof setTimeout>;
  resolve: (outcome: InboxOutcome) => void;
  reject: (err: unknown) => void;
}

interface Row {
  ord: number;
  duplicate: boolean;
  state: "pending" | "ignored" | null;
}

const unavailable = () => serviceUnavailable("Blipp's database is unavailable right now; Jobber will send this update again.");

export function createWebhookInbox(sql: Sql, options: InboxOptions = {}): WebhookInbox {
  const maxBatch = options.maxBatch ?? 500;
  const maxInFlight = options.maxInFlight ?? 1;
  const deadlineMs = options.deadlineMs ?? 800;
  let queue: Waiting[] = [];
  let inFlight = 0;

  const settle = (waiting: Waiting, outcome: { ok: InboxOutcome } | { err: unknown }) => {
    if (waiting.settled) return;
    waiting.settled = true;
    clearTimeout(waiting.timer);
    if ("ok" in outcome) waiting.resolve(outcome.ok);
    else waiting.reject(outcome.err);
  };

  async function flush(batch: Waiting[]): Promise<void> {
    const events = batch.map(({ event }) => ({
      account_id: event.accountId,
      topic: event.topic,
      item_id: event.itemId,
      occurred_at: event.occurredAt.toISOString(),
      app_id: event.appId,
    }));
    const call = asService(sql, (tx) =>
      tx<Row[]>`select ord, duplicate, state from private.jobber_receive_webhooks(${tx.json(events as never)}::jsonb)`
    ).then((rows) => {
      const byOrd = new Map(rows.map((r) => [r.ord, r]));
      batch.forEach((waiting, i) => {
        const row = byOrd.get(i + 1);
        settle(waiting, row ? { ok: { duplicate: row.duplicate, state: row.state } } : { err: new Error("The inbox answered without this event.") });
      });
    }, (err) => {
      const failure = isDatabaseUnavailable(err) ? unavailable() : err;
      for (const waiting of batch) settle(waiting, { err: failure });
    });
    // The slot is free once the call ends or its deliveries' deadline has passed, whichever is first.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([call, new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)))]);
    clearTimeout(timer);
  }

  function pump(): void {
    while (inFlight < maxInFlight) {
      queue = queue.filter((w) => !w.settled);
      if (queue.length === 0) return;
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(maxBatch);
      inFlight++;
      flush(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  return {
    record(event) {
      return new Promise<InboxOutcome>((resolve, reject) => {
        const waiting: Waiting = {
          event,
          settled: false,
          timer: setTimeout(() => settle(waiting, { err: unavailable() }), deadlineMs),
          resolve,
          reject,
        };
        queue.push(waiting);
        pump();
      });
    },
  };
}
