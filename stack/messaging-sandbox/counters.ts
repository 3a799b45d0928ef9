/** What the sandbox has seen, for tests and the bench to assert on. */
export class Counters {
  twilio = { creates: 0, accepted: 0, rateLimited: 0, failed5xx: 0, lookups: 0, refused: {} as Record<string, number> };
  resend = { sends: 0, accepted: 0, replayed: 0, rateLimited: 0, failed5xx: 0, refused: {} as Record<string, number> };
  callbacks = { sent: 0, delivered: 0, failed: 0, dropped: 0 };

  reset(): void {
    const fresh = new Counters();
    this.twilio = fresh.twilio;
    this.resend = fresh.resend;
    this.callbacks = fresh.callbacks;
  }

  refusedTwilio(code: number): void {
    this.twilio.refused[code] = (this.twilio.refused[code] ?? 0) + 1;
  }

  refusedResend(name: string): void {
    this.resend.refused[name] = (this.resend.refused[name] ?? 0) + 1;
  }

  toJSON() {
    return { twilio: this.twilio, resend: this.resend, callbacks: this.callbacks };
  }
}
