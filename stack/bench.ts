// `npm run bench`: numbers that describe what users feel. Not a test: nothing here passes or
// fails, and results vary with the machine. `--quick` runs smaller sizes for a fast look.
import postgres from "postgres";
import { readSettings } from "./settings.ts";
import { startStack } from "./stack.ts";
import { benchUpsert, benchSync } from "./bench_sync.ts";
import { benchDecisions } from "./bench_decisions.ts";
import { benchWebhooks } from "./bench_webhooks.ts";
import { benchJourney } from "./bench_journey.ts";

export async function runBenchmarks(args: string[]): Promise<void> {
  const quick = args.includes("--quick");
  const only = args.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
  const wants = (part: "sandbox" | "messaging" | "webhooks" | "upsert" | "sync" | "decisions" | "journey") => !only || only.includes(part);
  if (wants("sandbox")) {
    console.log("== Jobber sandbox ==");
    const { reportSandboxBench } = await import("./jobber-sandbox/bench.ts");
    await reportSandboxBench();
  }
  if (wants("messaging")) {
    console.log("\n== Messaging: sender interface to the messaging sandbox ==");
    const { reportMessagingBench } = await import("./messaging-sandbox/bench.ts");
    await reportMessagingBench();
  }
  if (!wants("webhooks") && !wants("upsert") && !wants("sync") && !wants("decisions") && !wants("journey")) return;

  const dataDir = await Deno.makeTempDir({ prefix: "blipp-bench-" });
  const settings = readSettings({ LOCAL_DATA_DIR: dataDir, DB_PORT: "0", GATEWAY_PORT: "0", SANDBOX_PORT: "0", MESSAGING_SANDBOX_PORT: "0", WEB_PORT: "0" });
  console.log("\nbench: starting a private stack");
  const stack = await startStack(settings, () => {});
  const admin = postgres(stack.info.adminDbUrl, { max: 1, onnotice: () => {} });
  try {
    if (wants("webhooks")) {
      console.log("\n== Jobber webhooks: acknowledgements, and job completed -> job_completions row ==");
      await benchWebhooks(stack, admin, quick ? { seconds: 5, concurrency: 50, completions: 40 } : { seconds: 20, concurrency: 50, completions: 200 });
    }
    if (wants("decisions")) {
      console.log("\n== Review decisions (the trigger on job_completions, private.review_decide) ==");
      await benchDecisions(admin, quick ? 2_000 : 10_000);
    }
    if (wants("journey")) {
      console.log("\n== Review journeys: job completed -> first text, and the chaos run ==");
      await benchJourney(stack, admin, quick ? { latencyJobs: 40, chaosCompletions: 1_000 } : { latencyJobs: 200, chaosCompletions: 10_000 });
    }
    if (wants("upsert")) {
      console.log("\n== Upsert SQL function (private.jobber_apply_client_page) ==");
      await benchUpsert(admin, quick ? 10_000 : 50_000);
    }
    if (!wants("sync")) return;

    console.log("\n== Full customer sync through the worker ==");
    const runs = quick
      ? [{ clients: 1_000, restoreRate: 500 }, { clients: 5_000, restoreRate: 5_000 }]
      : [{ clients: 10_000, restoreRate: 500 }, { clients: 50_000, restoreRate: 5_000 }];
    const results = [];
    for (const run of runs) results.push(await benchSync(stack, admin, run));
    const [small, large] = results;
    if (small && large) {
      const growth = (large.peakMemoryMb - small.peakMemoryMb) / small.peakMemoryMb;
      console.log(
        `sync: peak memory ${large.clients} clients vs ${small.clients}: ${large.peakMemoryMb.toFixed(1)} MB vs ` +
          `${small.peakMemoryMb.toFixed(1)} MB (${(growth * 100).toFixed(1)}%, target within 20%)`,
      );
    }
  } finally {
    await admin.end();
    await stack.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}
