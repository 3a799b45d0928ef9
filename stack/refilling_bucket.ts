/**
 * A bucket refilled continuously: at most `capacity`, `perSecond` added back as time passes, pure
 * apart from the injected clock. Both sandboxes' limits are one: Jobber's query-cost bucket
 * (jobber-sandbox/bucket.ts) and Twilio's per-sender send rate (messaging-sandbox/rate_limit.ts).
 */
export class RefillingBucket {
  private level: number;
  private at: number;

  constructor(protected capacity: number, protected perSecond: number, private readonly now: () => number) {
    this.level = capacity;
    this.at = now();
  }

  /** What is in the bucket now (below zero after an overdraft). */
  current(): number {
    const t = this.now();
    this.level = Math.min(this.capacity, this.level + ((t - this.at) / 1000) * this.perSecond);
    this.at = t;
    return this.level;
  }

  /** Takes `amount` out; it may overdraw the bucket, which then takes longer to recover. */
  spend(amount: number): void {
    this.current();
    this.level -= amount;
  }

  /** Milliseconds until the bucket holds `level` again (0 when it already does). */
  msUntil(level: number): number {
    const missing = level - this.current();
    return missing <= 0 ? 0 : Math.ceil((missing / this.perSecond) * 1000);
  }

  /** New limits; what the bucket holds is kept, up to the new capacity. */
  configure(capacity: number, perSecond: number): void {
    this.current();
    this.capacity = capacity;
    this.perSecond = perSecond;
    this.level = Math.min(this.level, capacity);
  }
}
