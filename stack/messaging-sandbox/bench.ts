// Benchmark (not a test): dispatch through the sender interface to the messaging sandbox.
// 1. Limits raised: how many messages per second the sender + sandbox dispatch (target >= 100/s).
// 2. The default per-sender limit (10/s, burst 10): wall time over the limit's lower bound,
//    (N - burst) / rate, for a burst of N (target <= 1.10): how close the learned pacing gets.
// Run: deno run -A stack/messaging-sandbox/bench.ts
import { loadMessagingConfig } from "../../supabase/functions/_shared/messaging/config.ts";
import { deliverAll } from "../../supabase/functions/_shared/messaging/dispatch.ts";
import { PacerRegistry } from "../../supabase/functions/_shared/messaging/pacer.ts";
import { createSenders } from "../../supabase/functions/_shared/messaging/senders.ts";
import type { OutgoingMessage } from "../../supabase/functions/_shared/messaging/types.ts";
import { defaultFaults } from "./faults.ts";
import { LOCAL_MESSAGING } from "./options.ts";
import { startSandbox } from "./server.ts";

function batch(n: number, tag: string, callback: string): OutgoingMessage[] {
  return Array.from({ length: n }, (_, i) => ({
    channel: "sms" as const,
    id: `${tag}-${i}`,
    to: `+1555555${String(1000 + (i % 9000)).padStart(4, "0")}`,
    body: `Bench ${tag} ${i}: https://review.test/r?t=${i}`,
    statusCallbackUrl: callback,
  }));
}

export async function runMessagingBench(options: { raised?: number; limited?: number } = {}) {
  const raisedCount = options.raised ?? 2_000;
  const limitedCount = options.limited ?? 200;
  // Status callbacks go to a receiver in this process that answers at once, as sms-webhook would.
  const hook = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    return new Response(null, { status: 204 });
  });
  const callback = `http://127.0.0.1:${hook.addr.port}/sms-webhook`;
  const s = await startSandbox({ port: 0, quiet: true, smsInboundUrl: callback, emailWebhookUrl: callback });
  try {
    const config = loadMessagingConfig({
      TWILIO_API_BASE: s.url,
      TWILIO_ACCOUNT_SID: LOCAL_MESSAGING.twilioAccountSid,
      TWILIO_AUTH_TOKEN: LOCAL_MESSAGING.twilioAuthToken,
      TWILIO_FROM_NUMBER: LOCAL_MESSAGING.twilioFromNumber,
    }, "http://127.0.0.1:54321");
    const { sms } = createSenders(config, { fetch, now: () => new Date() });

    s.sandbox.faults.limits = { ...defaultFaults().limits, smsPerSecond: 1e6, smsBurst: 1e6 };
    const t0 = performance.now();
    const raised = await deliverAll(() => sms, batch(raisedCount, "raised", callback), {
      pacers: new PacerRegistry(),
      concurrency: 8,
      budgetMs: 600_000,
    });
    const raisedSeconds = (performance.now() - t0) / 1000;
    const raisedOk = raised.filter((r) => r.kind === "accepted").length;
    await s.sandbox.outbox.idle();

    s.sandbox.faults.limits = defaultFaults().limits;
    s.sandbox.smsLimits.clear();
    const { smsPerSecond, smsBurst } = s.sandbox.faults.limits;
    const pacers = new PacerRegistry();
    const t1 = performance.now();
    const limited = await deliverAll(() => sms, batch(limitedCount, "limited", callback), {
      pacers,
      concurrency: 8,
      budgetMs: 600_000,
    });
    const limitedSeconds = (performance.now() - t1) / 1000;
    const lowerBound = (limitedCount - smsBurst) / smsPerSecond;
    const stored = s.sandbox.store.sms.filter((m) => m.body.startsWith("Bench limited")).length;
    const pacer = pacers.for(sms.senderKey);
    return {
      raisedCount,
      raisedOk,
      raisedSeconds,
      raisedRate: raisedOk / raisedSeconds,
      limitedCount,
      limitedOk: limited.filter((r) => r.kind === "accepted").length,
      stored,
      limitedSeconds,
      lowerBound,
      ratio: limitedSeconds / lowerBound,
      smsPerSecond,
      smsBurst,
      rateLimited: pacer.stats.rateLimited,
      learnedRate: pacer.ratePerSecond,
    };
  } finally {
    await s.close();
    await hook.shutdown();
  }
}

/** Prints the messaging numbers (used by `npm run bench` and by `deno run`). */
export async function reportMessagingBench(): Promise<void> {
  const r = await runMessagingBench();
  console.log(
    `messaging: dispatch with limits raised: ${r.raisedOk}/${r.raisedCount} SMS in ${r.raisedSeconds.toFixed(2)} s = ` +
      `${r.raisedRate.toFixed(0)} messages/s (target >= 100/s)`,
  );
  console.log(
    `messaging: default per-sender limit (${r.smsPerSecond}/s, burst ${r.smsBurst}): ${r.limitedOk}/${r.limitedCount} SMS ` +
      `(${r.stored} stored, none twice) in ${r.limitedSeconds.toFixed(2)} s; lower bound ${r.lowerBound.toFixed(2)} s; ` +
      `ratio ${r.ratio.toFixed(3)} (target <= 1.10); ${r.rateLimited} answers 429, learned ${r.learnedRate.toFixed(1)}/s`,
  );
}

if (import.meta.main) await reportMessagingBench();
