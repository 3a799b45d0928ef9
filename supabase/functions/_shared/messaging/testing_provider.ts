// A simulated provider for pacing and dispatch tests: a per-sender token bucket on a manual clock,
// counting every message it accepts so a test can prove none was accepted twice.
import type { OutgoingMessage, ResolveOutcome, Sender, SendOutcome } from "./types.ts";

export function simulatedClock(start = Date.parse("2025-10-12T03:00:00Z")) {
  let t = start;
  return {
    nowMs: () => t,
    now: () => new Date(t),
    sleep: (ms: number) => {
      t += Math.max(0, ms);
      return Promise.resolve();
    },
    advance: (ms: number) => {
      t += ms;
    },
  };
}

export interface SimulatedProvider extends Sender {
  accepted: Map<string, number>;
  calls: number;
  rejected429: number;
  /** Scripted answers for the next sends, before the bucket is consulted. */
  script: Array<"5xx_lost" | "5xx_after_accept" | "refused">;
}

/** Capacity `burst`, refilled at `rate` per second; each send costs `latencyMs` of clock. */
export function simulatedProvider(
  clock: ReturnType<typeof simulatedClock>,
  opts: { rate: number; burst: number; latencyMs?: number; senderKey?: string },
): SimulatedProvider {
  let tokens = opts.burst;
  let at = clock.nowMs();
  const accepted = new Map<string, number>();
  const provider: SimulatedProvider = {
    channel: "sms",
    provider: "twilio",
    available: true,
    senderKey: opts.senderKey ?? "+15005550006",
    accepted,
    calls: 0,
    rejected429: 0,
    script: [],
    send(message: OutgoingMessage): Promise<SendOutcome> {
      provider.calls++;
      clock.advance(opts.latencyMs ?? 2);
      const now = clock.nowMs();
      tokens = Math.min(opts.burst, tokens + ((now - at) / 1000) * opts.rate);
      at = now;
      const scripted = provider.script.shift();
      const take = () => accepted.set(message.id, (accepted.get(message.id) ?? 0) + 1);
      if (scripted === "refused") {
        return Promise.resolve({ kind: "refused", code: "21610", reason: "opted out", contactEffect: "opted_out" });
      }
      if (scripted === "5xx_after_accept") take();
      if (scripted === "5xx_lost" || scripted === "5xx_after_accept") {
        return Promise.resolve({ kind: "retry", after: new Date(now + 100), reason: "500", maybeAccepted: true, rateLimited: false });
      }
      if (tokens < 1) {
        provider.rejected429++;
        return Promise.resolve({ kind: "retry", after: new Date(now + 1000), reason: "429", maybeAccepted: false, rateLimited: true });
      }
      tokens -= 1;
      take();
      return Promise.resolve({ kind: "accepted", providerMessageId: `SM-${message.id}`, status: "queued" });
    },
    resolveUnknown(message: OutgoingMessage): Promise<ResolveOutcome> {
      return Promise.resolve(
        accepted.has(message.id)
          ? { kind: "found", providerMessageId: `SM-${message.id}`, status: "sent" }
          : { kind: "not_sent" },
      );
    },
  };
  return provider;
}

export function smsBatch(n: number, prefix = "m"): OutgoingMessage[] {
  return Array.from({ length: n }, (_, i) => ({ channel: "sms" as const, id: `${prefix}-${i}`, to: "+15555550123", body: `hello ${i}` }));
}
