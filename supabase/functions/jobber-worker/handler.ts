// POST {task}: scheduled work, called by pg_cron through pg_net with the service-role key.
// Each task is its own module in ./tasks; this file only authenticates and dispatches.
import { z } from "zod";
import type { Runtime } from "../_shared/runtime.ts";
import { json, readJsonBody, serveFunction } from "../_shared/http.ts";
import { verifyServiceRole } from "../_shared/auth.ts";
import { refreshTokensTask } from "./tasks/refresh_tokens.ts";

const TASKS = {
  refresh_tokens: refreshTokensTask,
} as const;

const workerRequest = z.object({
  task: z.enum(Object.keys(TASKS) as [keyof typeof TASKS, ...(keyof typeof TASKS)[]]),
  // pg_cron's documented pattern posts `time`; accepted and ignored.
  time: z.string().optional(),
}).strict();

export function createHandler(rt: Runtime) {
  const logger = rt.logger("jobber-worker");
  return serveFunction({ name: "jobber-worker", appOrigin: rt.config.appOrigin, methods: ["POST"], logger }, async (req, ctx) => {
    await verifyServiceRole(req, rt.config, { now: rt.now });
    const { task } = await readJsonBody(req, workerRequest);
    const result = await TASKS[task](rt, ctx.log);
    ctx.log.info("task_finished", { task, ...result });
    return json(200, { task, ...result });
  });
}
