// Pacing per provider-side sender: a token bucket whose rate is learned from 429s. Providers do not
// publish their per-sender limit in the answer (Twilio sends no Retry-After), so the pacer sends
// freely until the first 429, estimates the limit from what was accepted, sends at that rate, and
// probes a little faster now and then so a raised limit is found again. A rejected request costs
// the provider no token, so pacing slightly above the limit still delivers at the limit; pacing
// below it is what loses time, hence the estimate is only ever taken over busy periods.
import type { Sleep } from "../jobber/retry.ts";

export interface PacerOptions {
  now?: () => number;
  sleep?: Sleep;
  /** A known limit (messages per second) to start from; null learns it from the first 429. */
  initialRatePerSecond?: number | null;
}

/** The estimate looks at most this far back, so it follows a limit that changes. */
const WINDOW_MS = 2_000;
/** Before this much time has passed since the first 429, accepts are mostly the initial burst. */
const MIN_ESTIMATE_MS = 500;
/** A quiet spell this long ends a busy period: the next 429 starts a fresh estimate. */
const IDLE_RESET_MS = 2_000;
/** Without a 429 for this long, try 10% faster. */
const PROBE_EVERY_MS = 1_000;
const PROBE_FACTOR = 1.1;
/** The pace after a 429 when nothing was accepted yet to estimate from. */
const UNKNOWN_INTERVAL_MS = 50;
/** Never wait longer than this between two sends because of the estimate alone. */
const MAX_INTERVAL_MS = 10_000;

export class Pacer {
  private readonly now: () => number;
  private readonly sleep: Sleep;
  /** Milliseconds between two sends; 0 = no limit known. */
  private interval: number;
  private nextAt = 0;
  private accepts: number[] = [];
  private first429At: number | null = null;
  private last429At = -Infinity;
  private lastProbeAt = -Infinity;
  private lastActivity = -Infinity;
  /** Counters for benchmarks and logs. */
  readonly stats = { sent: 0, rateLimited: 0 };

  constructor(options: PacerOptions = {}) {
    this.now = options.now ?? (() => performance.timeOrigin + performance.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, Math.max(0, ms))));
    this.interval = options.initialRatePerSecond ? 1000 / options.initialRatePerSecond : 0;
  }

  /** The current pace in messages per second (Infinity while no limit is known). */
  get ratePerSecond(): number {
    return this.interval === 0 ? Infinity : 1000 / this.interval;
  }

  /** Waits for this sender's next slot. Concurrent callers get consecutive slots. */
  async acquire(): Promise<void> {
    const now = this.now();
    if (now - this.lastActivity > IDLE_RESET_MS) {
      this.first429At = null;
      this.accepts = [];
    }
    const slot = Math.max(now, this.nextAt);
    this.nextAt = slot + this.interval;
    this.lastActivity = slot;
    this.stats.sent++;
    if (slot > now) await this.sleep(slot - now);
  }

  /** The provider took the message. */
  onAccepted(): void {
    const now = this.now();
    this.lastActivity = Math.max(this.lastActivity, now);
    this.accepts.push(now);
    this.trim(now);
    if (this.interval > 0 && now - this.last429At > PROBE_EVERY_MS && now - this.lastProbeAt > PROBE_EVERY_MS) {
      this.interval /= PROBE_FACTOR;
      this.lastProbeAt = now;
    }
  }

  /** The provider answered 429; `retryAt` is its Retry-After, when it gave one. */
  onRateLimited(retryAt?: Date | null): void {
    const now = this.now();
    this.stats.rateLimited++;
    this.lastActivity = Math.max(this.lastActivity, now);
    this.last429At = now;
    this.trim(now);
    const estimate = this.estimate(now);
    if (estimate !== null) this.interval = Math.min(MAX_INTERVAL_MS, 1000 / estimate);
    else if (this.interval === 0) this.interval = UNKNOWN_INTERVAL_MS;
    const wait = Math.max(this.interval, retryAt ? retryAt.getTime() - now : 0);
    this.nextAt = Math.max(this.nextAt, now + wait);
  }

  /** Accepted messages per second over the busy period, or null when there is nothing to go on. */
  private estimate(now: number): number | null {
    if (this.first429At === null) {
      // First 429 of a busy period: what was accepted in the last second is the provider's burst
      // allowance, which for the usual bucket (capacity = one second of rate) is the rate itself.
      // Too high only costs some extra 429s until the busy-period estimate below takes over.
      this.first429At = now;
      const count = this.accepts.filter((t) => t > now - 1000).length;
      return count > 0 ? count : null;
    }
    const elapsed = now - this.first429At;
    if (elapsed < MIN_ESTIMATE_MS) return null;
    const since = Math.max(this.first429At, now - WINDOW_MS);
    const count = this.accepts.filter((t) => t >= since).length;
    return count > 0 ? (count * 1000) / (now - since) : null;
  }

  private trim(now: number): void {
    while (this.accepts.length > 0 && this.accepts[0]! < now - WINDOW_MS) this.accepts.shift();
  }
}

/** One pacer per provider-side sender, shared by everyone sending through it in this process. */
export class PacerRegistry {
  private readonly pacers = new Map<string, Pacer>();
  constructor(private readonly options: PacerOptions = {}) {}

  for(senderKey: string): Pacer {
    let pacer = this.pacers.get(senderKey);
    if (!pacer) {
      pacer = new Pacer(this.options);
      this.pacers.set(senderKey, pacer);
    }
    return pacer;
  }
}
