// POST {task, ...input}: the worker, called through pg_net (by pg_cron and by wakes from SQL and
// TypeScript) with the service-role key. It authenticates, finds the task in the registry,
// validates the input with that task's schema, and runs it; the tasks live in ./tasks.
import { z } from "zod";
import type { Runtime } from "../_shared/runtime.ts";
import { json, parseWith, readJsonBody, serveFunction } from "../_shared/http.ts";
import { verifyServiceRole } from "../_shared/auth.ts";
import { TASK_NAMES, taskNamed } from "./registry.ts";

const envelope = z.looseObject({ task: z.enum(TASK_NAMES) });
// pg_cron's documented pattern posts `time`; accepted and ignored.
const common = { task: z.string(), time: z.string().optional() };

export function createHandler(rt: Runtime) {
  const logger = rt.logger("jobber-worker");
  return serveFunction({ appOrigin: rt.config.appOrigin, methods: ["POST"], logger }, async (req, ctx) => {
    await verifyServiceRole(req, rt.config, { now: rt.now });
    const body = await readJsonBody(req, envelope);
    const task = taskNamed(body.task);
    const { task: _task, time: _time, ...input } = parseWith(task.input.extend(common).strict(), body, "The request body");
    const result = await task.run(rt, ctx.log, input as never);
    ctx.log.info("task_finished", { task: task.name, ...result });
    return json(200, { task: task.name, ...result });
  });
}
