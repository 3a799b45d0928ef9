import { RefillingBucket } from "../refilling_bucket.ts";

/**
 * Jobber's query-cost leaky bucket: its capacity is Jobber's `maximumAvailable` points, refilled
 * continuously at `restoreRate` (perSecond) points a second. A charge may drive it below zero; it
 * simply takes longer to recover.
 */
export class CostBucket extends RefillingBucket {
  currentlyAvailable(): number {
    return this.current();
  }

  charge(points: number): void {
    this.spend(points);
  }

  status(): { maximumAvailable: number; currentlyAvailable: number; restoreRate: number } {
    return {
      maximumAvailable: this.capacity,
      currentlyAvailable: Math.floor(this.current()),
      restoreRate: this.perSecond,
    };
  }
}

/** Fixed-window request counter for the DDoS guard (Rack::Attack style). */
export class RequestWindow {
  private windowStart = 0;
  private count = 0;

  constructor(private now: () => number) {}

  /** Counts the request and says whether it is still within the limit. */
  hit(limit: number, windowMs: number): boolean {
    const t = this.now();
    if (t - this.windowStart >= windowMs) {
      this.windowStart = t;
      this.count = 0;
    }
    this.count++;
    return this.count <= limit;
  }
}
