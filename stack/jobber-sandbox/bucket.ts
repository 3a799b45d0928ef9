/**
 * Jobber's query-cost leaky bucket: `max` points, refilled continuously at `restoreRate`
 * points per second. Pure apart from the injected clock.
 */
export class CostBucket {
  private available: number;
  private at: number;

  constructor(private max: number, private restoreRate: number, private now: () => number) {
    this.available = max;
    this.at = now();
  }

  currentlyAvailable(): number {
    const t = this.now();
    this.available = Math.min(this.max, this.available + ((t - this.at) / 1000) * this.restoreRate);
    this.at = t;
    return this.available;
  }

  /** Charges may drive the bucket below zero; it simply takes longer to recover. */
  charge(points: number): void {
    this.currentlyAvailable();
    this.available -= points;
  }

  configure(max: number, restoreRate: number): void {
    this.currentlyAvailable();
    this.max = max;
    this.restoreRate = restoreRate;
    this.available = Math.min(this.available, max);
  }

  status(): { maximumAvailable: number; currentlyAvailable: number; restoreRate: number } {
    return {
      maximumAvailable: this.max,
      currentlyAvailable: Math.floor(this.currentlyAvailable()),
      restoreRate: this.restoreRate,
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
