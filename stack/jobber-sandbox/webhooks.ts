import { BackgroundSender } from "../background_sender.ts";
import type { Counters } from "./counters.ts";
import { type Faults, switchedOn } from "./faults.ts";
import { isoSeconds } from "./ids.ts";
import type { Logger } from "./log.ts";
import { APP_UUID } from "./options.ts";
import { type FiredTopic, WEBHOOK_TOPICS } from "./topics.ts";

/** Jobber expects an answer within one second; slower counts as a failed delivery. */
export const DELIVERY_TIMEOUT_MS = 1000;
const MAX_EVENTS = 500;

export interface WebhookEvent {
  seq: number;
  topic: FiredTopic;
  accountId: string;
  itemId: string;
  occurredAt: string;
  url: string | null;
  attempts: number;
  lastStatus: number | null;
  state: "pending" | "delivered" | "failed" | "dropped" | "unsubscribed";
}

export async function signBody(body: string, secret: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return btoa(String.fromCharCode(...mac));
}

interface Deps {
  secret: () => string;
  faults: () => Faults;
  counters: Counters;
  log: Logger;
  now: () => number;
}

/** Sends webhook events like Jobber: JSON body, HMAC header, retries in the background. */
export class WebhookDispatcher {
  subscriptions = new Map<FiredTopic, string>();
  events: WebhookEvent[] = [];
  private seq = 0;
  /** Retries and held events from before a reset are abandoned with it. */
  private background = new BackgroundSender();
  private held: WebhookEvent[] = [];
  private heldTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private deps: Deps) {}

  subscribeAll(url: string): void {
    this.subscriptions.clear();
    for (const topic of WEBHOOK_TOPICS) this.subscriptions.set(topic, url);
  }

  reset(defaultUrl: string): void {
    this.background.reset();
    this.held = [];
    this.heldTimer = null;
    this.events = [];
    this.subscribeAll(defaultUrl);
  }

  /** `at` is when the change happened (the record's updatedAt); it becomes `occurredAt`. */
  fire(topic: FiredTopic, accountId: string, itemId: string, at: number = this.deps.now()): WebhookEvent {
    const url = this.subscriptions.get(topic) ?? null;
    const faults = this.deps.faults().webhooks;
    const event: WebhookEvent = {
      seq: ++this.seq,
      topic,
      accountId,
      itemId,
      occurredAt: isoSeconds(at),
      url,
      attempts: 0,
      lastStatus: null,
      state: url === null ? "unsubscribed" : switchedOn(faults.drop, topic) ? "dropped" : "pending",
    };
    this.events.push(event);
    if (this.events.length > MAX_EVENTS) this.events.shift();
    this.deps.log("webhook_fired", { topic, accountId, itemId, state: event.state });
    if (event.state !== "pending") return event;
    if (faults.reorder) {
      this.held.push(event);
      this.heldTimer ??= this.background.later(faults.reorderWindowMs, () => this.flushHeld());
    } else {
      void this.send(event);
    }
    return event;
  }

  /**
   * Sends whatever `reorder` is holding, newest first, one after another so the receiver
   * really sees them in reverse (parallel sends could arrive in any order).
   */
  flushHeld(): void {
    if (this.heldTimer !== null) {
      this.background.cancel(this.heldTimer);
      this.heldTimer = null;
    }
    const batch = this.held.reverse();
    this.held = [];
    void this.background.track((async () => {
      for (const event of batch) await Promise.all(this.send(event));
    })());
  }

  private send(event: WebhookEvent): Promise<void>[] {
    const copies = switchedOn(this.deps.faults().webhooks.duplicate, event.topic) ? 2 : 1;
    return Array.from({ length: copies }, () => this.attempt(event, 1));
  }

  private attempt(event: WebhookEvent, attempt: number): Promise<void> {
    if (event.url === null) return Promise.resolve();
    return this.background.track(this.deliver(event, attempt));
  }

  private async deliver(event: WebhookEvent, attempt: number): Promise<void> {
    const faults = this.deps.faults().webhooks;
    const timeKey = faults.oldSpelling ? "occuredAt" : "occurredAt";
    const body = JSON.stringify({
      data: {
        webHookEvent: {
          topic: event.topic,
          appId: APP_UUID,
          accountId: event.accountId,
          itemId: event.itemId,
          [timeKey]: event.occurredAt,
        },
      },
    });
    const signature = await signBody(body, this.deps.secret());
    event.attempts++;
    this.deps.counters.webhooks.sent++;
    let status = await this.background.post(
      event.url!,
      { headers: { "content-type": "application/json", "x-jobber-hmac-sha256": signature }, body },
      DELIVERY_TIMEOUT_MS,
    );
    if (status === null) return;
    // A slow receiver's answer arrives after Jobber stopped waiting: no status, a failed attempt.
    if (switchedOn(faults.slow, event.topic)) status = 0;
    event.lastStatus = status;
    this.deps.counters.recordResponse({ topic: event.topic, status, attempt });
    const ok = status >= 200 && status < 300;
    this.deps.log("webhook_attempt", { topic: event.topic, accountId: event.accountId, attempt, status });
    if (ok) {
      event.state = "delivered";
      this.deps.counters.webhooks.delivered++;
      return;
    }
    this.deps.counters.webhooks.failed++;
    if (attempt >= faults.maxAttempts) {
      if (event.state !== "delivered") event.state = "failed";
      return;
    }
    this.background.later(faults.retryBaseMs * 2 ** (attempt - 1), () => void this.attempt(event, attempt + 1));
  }

  /** Resolves once nothing is queued or in flight (tests use it to wait for deliveries). */
  idle(): Promise<void> {
    return this.background.idle();
  }

  close(): Promise<void> {
    return this.background.close();
  }
}
