// The review journey's benchmarks (issue 10):
//  1. "job completed in the sandbox -> first message accepted by the SMS sandbox": `count` jobs closed
//     one after another across four connected sandbox accounts at Jobber's real rate limits and the
//     messaging sandbox's default per-sender limit, review requests on with no delay and an all-day
//     window; p50 / p99 from the close to the text's creation in the messaging sandbox (the same
//     machine's clock). The path is everything a real one is: webhook, worker (GraphQL fetch),
//     completion, decision trigger, the sender's wake, its GraphQL check that the job is still done,
//     rendering, Twilio's create.
//  2. the chaos run at full size (stack/chaos.ts): 10,000 completions.
// Nothing here passes or fails; the targets are printed beside the numbers, and the chaos run's
// violations (each must be 0) are printed and make the command exit non-zero.
import type postgres from "postgres";
import type { RunningStack } from "./stack.ts";
import { sandboxApp } from "./bench_webhooks.ts";
import { callJson as call, connectSandboxAccount } from "./sandbox_connect.ts";
import { runChaos } from "./chaos.ts";

type Sql = ReturnType<typeof postgres>;

async function firstTextLatency(stack: RunningStack, admin: Sql, count: number) {
  const ACCOUNTS = 4;
  const gapMs = 200;
  const jobber = <T>(method: string, path: string, body?: unknown) => call<T>(stack.info.sandboxUrl!, method, path, body);
  const businesses: string[] = [];
  const accounts: string[] = [];
  const jobs: { jobId: string; phone: string }[] = [];
  const areaOffset = Math.floor(Math.random() * 5000);
  try {
    for (let a = 0; a < ACCOUNTS; a++) {
      const account = await jobber<{ id: string; name: string }>("POST", "/_sandbox/accounts", { name: `Journey bench ${a + 1}` });
      accounts.push(account.id);
      const [business] = await admin<{ id: string }[]>`insert into public.businesses (name) values (${`Journey bench ${a + 1}`}) returning id`;
      businesses.push(business!.id);
      await admin`
        update public.review_settings set enabled = true, review_url = 'https://example.com/reviews/bench', delay_minutes = 0,
          channels = '{sms}', follow_ups = 0, send_window_start = '00:00', send_window_end = '23:59'
        where business_id = ${business!.id}`;
      await connectSandboxAccount(admin, sandboxApp(stack), business!.id, account);
    }
    for (let i = 0; i < count; i++) {
      const accountId = accounts[i % ACCOUNTS]!;
      const phone = `+1605555${2000 + ((areaOffset + i) % 7000)}`;
      const client = await jobber<{ id: string }>("POST", `/_sandbox/accounts/${encodeURIComponent(accountId)}/clients`, {
        firstName: "Bench",
        lastName: `Customer ${i}`,
        phones: [{ number: phone, primary: true }],
      });
      const job = await jobber<{ id: string }>("POST", `/_sandbox/accounts/${encodeURIComponent(accountId)}/jobs`, {
        clientId: client.id,
        title: `Journey bench job ${i}`,
        place: "chicago",
        total: 200,
      });
      jobs.push({ jobId: job.id, phone });
    }
    const closedAt = new Map<string, number>();
    for (const job of jobs) {
      closedAt.set(job.phone, Date.now());
      await jobber("POST", `/_sandbox/jobs/${encodeURIComponent(job.jobId)}/close`, {});
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    const textDeadline = Date.now() + 120_000;
    let firstText = new Map<string, number>();
    while (Date.now() < textDeadline) {
      const { messages } = await call<{ messages: { to: string; createdAt: string }[] }>(
        stack.info.messagingSandboxUrl!,
        "GET",
        "/_sandbox/messages?channel=sms&direction=outbound-api",
      );
      firstText = new Map();
      for (const m of messages) {
        if (closedAt.has(m.to) && !firstText.has(m.to)) firstText.set(m.to, Date.parse(m.createdAt));
      }
      if (firstText.size >= jobs.length) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const latencies = [...firstText].map(([phone, at]) => at - closedAt.get(phone)!).sort((x, y) => x - y);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
    console.log(
      `journey: job closed in the sandbox -> first text accepted by the SMS sandbox, delay 0, ${jobs.length} jobs (one every ${gapMs} ms ` +
        `across ${ACCOUNTS} accounts, Jobber's real rate limits, the default 10 texts/s per sender): p50 ${at(0.5).toFixed(0)} ms, ` +
        `p99 ${at(0.99).toFixed(0)} ms, max ${at(1).toFixed(0)} ms; ${latencies.length} of ${jobs.length} texted ` +
        `(targets p50 < 2000 ms, p99 < 5000 ms)`,
    );
  } finally {
    if (businesses.length > 0) await admin`delete from public.businesses where id = any(${businesses}::uuid[])`;
    if (accounts.length > 0) await admin`delete from private.jobber_webhook_events where account_id = any(${accounts})`;
  }
}

export async function benchJourney(stack: RunningStack, admin: Sql, options: { latencyJobs: number; chaosCompletions: number }) {
  await firstTextLatency(stack, admin, options.latencyJobs);
  const report = await runChaos({
    sql: admin,
    app: sandboxApp(stack),
    messagingSandboxUrl: stack.info.messagingSandboxUrl!,
    completions: options.chaosCompletions,
    killWorker: async () => {
      await stack.killFunctions();
      await stack.restartFunctions();
    },
    log: (line) => console.log(line),
  });
  const violated = Object.values(report.violations).filter((n) => n !== 0).length;
  if (violated > 0) {
    console.log(`chaos: ${violated} promise(s) broken (see VIOLATION above)`);
    Deno.exitCode = 1;
  }
}
