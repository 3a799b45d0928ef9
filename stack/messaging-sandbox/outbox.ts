// Everything the sandbox sends on its own: status callbacks and inbound texts (form-encoded,
// X-Twilio-Signature) and Resend events (JSON, Svix headers), with the callback faults applied.
import { BackgroundSender } from "../background_sender.ts";
import type { Counters } from "./counters.ts";
import type { Faults } from "./faults.ts";
import type { Logger } from "./log.ts";
import { svixSignature, twilioSignature } from "./signing.ts";
import { type Delivery, randomHex } from "./store.ts";

/** Callbacks are answered within this long or count as failed (Twilio waits about 15 s). */
export const DELIVERY_TIMEOUT_MS = 5_000;
/** Svix retries failed deliveries; the sandbox does so sooner than Resend's minutes-long schedule. */
const SVIX_ATTEMPTS = 3;
const SVIX_RETRY_BASE_MS = 1_000;

export interface OutboxDeps {
  faults: () => Faults;
  authToken: () => string;
  webhookSecret: () => string;
  counters: Counters;
  log: Logger;
  now: () => number;
}

interface Pending {
  kind: "twilio" | "svix";
  url: string;
  /** Form parameters (twilio) or the JSON event (svix). */
  payload: Record<string, unknown>;
  record: { deliveries: Delivery[] };
  what: string;
}

export class Outbox {
  private background = new BackgroundSender();
  /** Per message, the callbacks a `reorder` fault is holding until the message's last one. */
  private held = new Map<string, Pending[]>();

  constructor(private deps: OutboxDeps) {}

  /** Runs `fn` after `ms` unless the sandbox is reset or closed first. */
  later(ms: number, fn: () => void): void {
    this.background.later(ms, fn);
  }

  /**
   * Queues one outgoing request for the record `key`. `last` marks a message's final callback:
   * under `reorder`, that is when the held ones go out, newest first.
   */
  emit(key: string, pending: Pending, last: boolean): void {
    const faults = this.deps.faults().callbacks;
    if (faults.drop) {
      pending.record.deliveries.push(this.entry(pending, "dropped", 1));
      this.deps.counters.callbacks.dropped++;
      return;
    }
    if (faults.reorder) {
      const list = this.held.get(key) ?? [];
      list.push(pending);
      this.held.set(key, list);
      if (!last) return;
      this.held.delete(key);
      this.background.track((async () => {
        for (const p of list.reverse()) await this.sendCopies(p);
      })());
      return;
    }
    const send = () => this.background.track(this.sendCopies(pending));
    if (faults.delayMs > 0) this.later(faults.delayMs, send);
    else send();
  }

  /** Sends a held message's callbacks when reordering is switched off. */
  flushHeld(): void {
    for (const [key, list] of this.held) {
      this.held.delete(key);
      this.background.track((async () => {
        for (const p of list.reverse()) await this.sendCopies(p);
      })());
    }
  }

  /** Sends one request now and returns its HTTP status (inbound replies show it on the page). */
  sendNow(pending: Pending): Promise<number> {
    return this.background.track(this.attempt(pending, 1));
  }

  private async sendCopies(pending: Pending): Promise<void> {
    const copies = this.deps.faults().callbacks.duplicate ? 2 : 1;
    await Promise.all(Array.from({ length: copies }, () => this.attempt(pending, 1)));
  }

  private entry(p: Pending, result: Delivery["result"], attempt: number): Delivery {
    return { what: p.what, url: p.url, result, attempt, at: new Date(this.deps.now()).toISOString() };
  }

  private async attempt(p: Pending, attempt: number): Promise<number> {
    const entry = this.entry(p, null, attempt);
    p.record.deliveries.push(entry);
    this.deps.counters.callbacks.sent++;
    const init = p.kind === "twilio" ? await this.twilioRequest(p) : await this.svixRequest(p);
    const status = await this.background.post(p.url, init, DELIVERY_TIMEOUT_MS);
    if (status === null) return 0;
    entry.result = status;
    const ok = status >= 200 && status < 300;
    if (ok) this.deps.counters.callbacks.delivered++;
    else this.deps.counters.callbacks.failed++;
    this.deps.log("callback", { what: p.what, status, attempt });
    if (!ok && p.kind === "svix" && attempt < SVIX_ATTEMPTS) {
      this.later(SVIX_RETRY_BASE_MS * 2 ** (attempt - 1), () => void this.background.track(this.attempt(p, attempt + 1)));
    }
    return status;
  }

  private async twilioRequest(p: Pending): Promise<RequestInit> {
    const params = p.payload as Record<string, string>;
    return {
      headers: {
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
        "user-agent": "TwilioProxy/1.1",
        "x-twilio-signature": await twilioSignature(this.deps.authToken(), p.url, params),
        "i-twilio-idempotency-token": crypto.randomUUID(),
      },
      body: new URLSearchParams(params).toString(),
    };
  }

  private async svixRequest(p: Pending): Promise<RequestInit> {
    const body = JSON.stringify(p.payload);
    const id = `msg_${randomHex(12)}`;
    const timestamp = Math.floor(this.deps.now() / 1000);
    return {
      headers: {
        "content-type": "application/json",
        "user-agent": "Svix-Webhooks/1.0",
        "svix-id": id,
        "svix-timestamp": String(timestamp),
        "svix-signature": await svixSignature(this.deps.webhookSecret(), id, timestamp, body),
      },
      body,
    };
  }

  /** Forgets everything scheduled; timers from before are abandoned. */
  reset(): void {
    this.background.reset();
    this.held.clear();
  }

  /** Resolves once nothing is scheduled or in flight (tests wait on it). */
  idle(): Promise<void> {
    return this.background.idle();
  }

  async close(): Promise<void> {
    this.held.clear();
    await this.background.close();
  }
}
