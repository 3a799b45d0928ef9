// Every task jobber-worker runs: one typed registry (name, input schema, run) that the dispatcher
// (handler.ts), every TypeScript kick (_shared/worker/wake.ts) and the SQL side
// (private.worker_tasks, which pg_cron and SQL wakes go through) all name tasks by. registry_test.ts
// fails when the SQL side and this list disagree.
//
// Adding a task: a module in ./tasks exporting its WorkerTask, its entry below, and in a migration
// `select private.register_worker_task('<name>', '<cron schedule>' or null);`.
import type { z } from "zod";
import { continueSyncs } from "./tasks/continue_syncs.ts";
import { processWebhooks } from "./tasks/process_webhooks.ts";
import { reconcile } from "./tasks/reconcile.ts";
import { refreshTokens } from "./tasks/refresh_tokens.ts";
import { sendReviewMessagesTask } from "./tasks/send_review_messages.ts";

export const TASKS = [refreshTokens, continueSyncs, sendReviewMessagesTask, processWebhooks, reconcile] as const;

export type Task = (typeof TASKS)[number];
export type TaskName = Task["name"];
/** What a caller passes when it wakes `N` (besides the task name). */
export type TaskInput<N extends TaskName> = z.input<Extract<Task, { name: N }>["input"]>;

export const TASK_NAMES = TASKS.map((t) => t.name) as [TaskName, ...TaskName[]];

export function taskNamed(name: TaskName): Task {
  return TASKS.find((t) => t.name === name)!;
}
