// Records verified Jobber webhook events in the inbox (private.jobber_receive_webhooks), one SQL
// call per event - shared: deliveries that arrive while a call is in flight wait for it and then
// go together in the next one. An idle receiver sends each event at once; a busy one commits many
// per transaction, which is what lets one small database acknowledge thousands of deliveries a
// second well inside Jobber's one-second limit. Every delivery still learns its own outcome, and
// a failed call fails exactly the deliveries it carried (Jobber sends them again).
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
}

interface Waiting {
  event: WebhookEvent;
  resolve: (outcome: InboxOutcome) => void;
  reject: (err: unknown) => void;
}

interface Row {
  ord: number;
  duplicate: boolean;
  state: "pending" | "ignored" | null;
}

export function createWebhookInbox(sql: Sql, options: InboxOptions = {}): WebhookInbox {
  const maxBatch = options.maxBatch ?? 500;
  const maxInFlight = options.maxInFlight ?? 1;
  let queue: Waiting[] = [];
  let inFlight = 0;

  async function flush(batch: Waiting[]): Promise<void> {
    const events = batch.map(({ event }) => ({
      account_id: event.accountId,
      topic: event.topic,
      item_id: event.itemId,
      occurred_at: event.occurredAt.toISOString(),
      app_id: event.appId,
    }));
    try {
      const rows = await asService(sql, (tx) =>
        tx<Row[]>`select ord, duplicate, state from private.jobber_receive_webhooks(${tx.json(events as never)}::jsonb)`
      );
      const byOrd = new Map(rows.map((r) => [r.ord, r]));
      batch.forEach((waiting, i) => {
        const row = byOrd.get(i + 1);
        if (row) waiting.resolve({ duplicate: row.duplicate, state: row.state });
        else waiting.reject(new Error("The inbox answered without this event."));
      });
    } catch (err) {
      const failure = isDatabaseUnavailable(err)
        ? serviceUnavailable("Blipp's database is unavailable right now; Jobber will send this update again.")
        : err;
      for (const waiting of batch) waiting.reject(failure);
    }
  }

  function pump(): void {
    while (inFlight < maxInFlight && queue.length > 0) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
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
        queue.push({ event, resolve, reject });
        pump();
      });
    },
  };
}
