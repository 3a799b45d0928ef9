/**
 * A per-sender token bucket: `burst` tokens, refilled at `perSecond`. The lower bound for sending N
 * messages from a full bucket is therefore (N - burst) / perSecond seconds (used by the bench).
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(private perSecond: number, private burst: number, private now: () => number) {
    this.tokens = burst;
    this.at = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.at) / 1000) * this.perSecond);
    this.at = t;
  }

  /** Takes a token when one is there; otherwise says how long until one is. */
  take(): { ok: true } | { ok: false; waitMs: number } {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, waitMs: Math.ceil(((1 - this.tokens) / this.perSecond) * 1000) };
  }

  configure(perSecond: number, burst: number): void {
    this.refill();
    this.perSecond = perSecond;
    this.burst = burst;
    this.tokens = Math.min(this.tokens, burst);
  }
}

export class RateLimiter {
  private buckets = new Map<string, TokenBucket>();
  constructor(private limits: () => { perSecond: number; burst: number }, private now: () => number) {}

  take(key: string) {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      const { perSecond, burst } = this.limits();
      bucket = new TokenBucket(perSecond, burst, this.now);
      this.buckets.set(key, bucket);
    }
    return bucket.take();
  }

  reconfigure(): void {
    const { perSecond, burst } = this.limits();
    for (const bucket of this.buckets.values()) bucket.configure(perSecond, burst);
  }

  clear(): void {
    this.buckets.clear();
  }
}
