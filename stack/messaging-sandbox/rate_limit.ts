import { RefillingBucket } from "../refilling_bucket.ts";

/**
 * A per-sender token bucket (capacity `burst` tokens, refilled at `perSecond`). The lower bound for sending N
 * messages from a full bucket is therefore (N - burst) / perSecond seconds (used by the bench).
 */
export class TokenBucket extends RefillingBucket {
  /** Takes a token when one is there; otherwise says how long until one is. */
  take(): { ok: true } | { ok: false; waitMs: number } {
    if (this.current() >= 1) {
      this.spend(1);
      return { ok: true };
    }
    return { ok: false, waitMs: this.msUntil(1) };
  }
}

export class RateLimiter {
  private buckets = new Map<string, TokenBucket>();
  constructor(private limits: () => { perSecond: number; burst: number }, private now: () => number) {}

  take(key: string) {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      const { perSecond, burst } = this.limits();
      bucket = new TokenBucket(burst, perSecond, this.now);
      this.buckets.set(key, bucket);
    }
    return bucket.take();
  }

  reconfigure(): void {
    const { perSecond, burst } = this.limits();
    for (const bucket of this.buckets.values()) bucket.configure(burst, perSecond);
  }

  clear(): void {
    this.buckets.clear();
  }
}
