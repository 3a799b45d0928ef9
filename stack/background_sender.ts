/**
 * How a sandbox sends in the background, as a provider does (Jobber's webhooks, Twilio's status
 * callbacks, Resend's events): timers and requests it can wait for (tests call `idle()`), forgets
 * on `reset()` (timers from before are abandoned, and answers to requests from before are nobody's),
 * and aborts on `close()`.
 */
export class BackgroundSender {
  private epoch = 0;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private inflight = new Set<Promise<unknown>>();
  private closing = new AbortController();

  /** Runs `fn` after `ms` unless the sandbox is reset or closed first; the handle cancels it. */
  later(ms: number, fn: () => void): ReturnType<typeof setTimeout> {
    const epoch = this.epoch;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (epoch === this.epoch && !this.closing.signal.aborted) fn();
    }, Math.max(0, ms));
    this.timers.add(timer);
    return timer;
  }

  cancel(timer: ReturnType<typeof setTimeout>): void {
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /** Keeps `task` counted as in flight until it settles; hands it back unchanged. */
  track<T>(task: Promise<T>): Promise<T> {
    const settled: Promise<unknown> = task.then(() => {}, () => {}).finally(() => this.inflight.delete(settled));
    this.inflight.add(settled);
    return task;
  }

  /**
   * POSTs and answers the HTTP status: 0 when no answer came within `timeoutMs` (or the request
   * failed), null when the sandbox was reset or closed meanwhile (the outcome is nobody's now).
   */
  async post(url: string, init: RequestInit, timeoutMs: number): Promise<number | null> {
    const epoch = this.epoch;
    let status = 0;
    try {
      const res = await fetch(url, {
        ...init,
        method: "POST",
        redirect: "manual",
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.closing.signal]),
      });
      status = res.status;
      await res.body?.cancel();
    } catch {
      status = 0;
    }
    return this.closing.signal.aborted || epoch !== this.epoch ? null : status;
  }

  /** Forgets everything scheduled: timers from before are abandoned. */
  reset(): void {
    this.epoch++;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Resolves once nothing is scheduled or in flight. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0 || this.timers.size > 0) {
      if (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
      else await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    this.closing.abort();
    this.reset();
    await Promise.allSettled([...this.inflight]);
  }
}
