// Woken by jobber-webhook (coalesced: one wake in flight however many deliveries arrive), by
// jobber-replay, and swept every minute by pg_cron: works through the webhook inbox under one
// lease, in the background, until nothing is due or the invocation's time budget is spent (then
// it hands over to a fresh invocation). The work itself is _shared/webhooks/process.ts.
import { z } from "zod";
import type { Runtime } from "../../_shared/runtime.ts";
import type { Logger } from "../../_shared/log.ts";
import { runInBackground } from "../../_shared/background.ts";
import { takeLease } from "../../_shared/worker/lease.ts";
import type { TaskResult, WorkerTask } from "../../_shared/worker/task.ts";
import { drainInbox } from "../../_shared/webhooks/process.ts";

async function run(rt: Runtime, log: Logger): Promise<TaskResult> {
  const lease = await takeLease(rt, log, "process_webhooks", {
    leaseMs: rt.tuning.webhookLeaseMs,
    budgetMs: rt.tuning.syncTimeBudgetMs,
  });
  const work = drainInbox(rt, log, lease)
    .then((result) => log.info("webhooks_drained", { ...result }))
    .finally(() => lease.end());
  runInBackground(work, log, "process_webhooks");
  return { lease_owner: lease.owner };
}

export const processWebhooks = { name: "process_webhooks", input: z.object({}), run } as const satisfies WorkerTask;
