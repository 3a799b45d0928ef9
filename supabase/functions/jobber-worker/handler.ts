// POST {task}: scheduled work, called by pg_cron through pg_net with the service-role key.
// Each task is its own module in ./tasks; this file only authenticates and dispatches.
import { z } from "zod";
import type { Runtime } from "../_shared/runtime.ts";
import { json, readJsonBody, serveFunction } from "../_shared/http.ts";
import { verifyServiceRole } from "../_shared/auth.ts";
import type { Logger } from "../_shared/log.ts";
import { refreshTokensTask } from "./tasks/refresh_tokens.ts";
import { continueSyncsTask } from "./tasks/continue_syncs.ts";

const workerRequest = z.object({
  task: z.enum(["refresh_tokens", "continue_syncs"]),
  /** continue_syncs: take this run now (a hand-over or a just-requested sync). */
  run_id: z.uuid({ error: "run_id must be a UUID" }).optional(),
  // pg_cron's documented pattern posts `time`; accepted and ignored.
  time: z.string().optional(),
}).strict();

type WorkerInput = z.output<typeof workerRequest>;

const TASKS: Record<WorkerInput["task"], (rt: Runtime, log: Logger, input: WorkerInput) => Promise<object>> = {
  refresh_tokens: (rt, log) => refreshTokensTask(rt, log),
  continue_syncs: (rt, log, input) => continueSyncsTask(rt, log, input),
};

export function createHandler(rt: Runtime) {
  const logger = rt.logger("jobber-worker");
  return serveFunction({ appOrigin: rt.config.appOrigin, methods: ["POST"], logger }, async (req, ctx) => {
    await verifyServiceRole(req, rt.config, { now: rt.now });
    const input = await readJsonBody(req, workerRequest);
    const { task } = input;
    const result = await TASKS[task](rt, ctx.log, input);
    ctx.log.info("task_finished", { task, ...result });
    return json(200, { task, ...result });
  });
}
