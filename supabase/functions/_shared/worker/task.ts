// The shape of a jobber-worker task: its name, the zod schema of its input (the request's fields
// other than `task`), and what it runs. Each task is one module in jobber-worker/tasks exporting
// one of these; jobber-worker/registry.ts lists them.
import type { z } from "zod";
import type { Runtime } from "../runtime.ts";
import type { Logger } from "../log.ts";

/** What a task reports; jobber-worker answers it as `{task, ...result}` and logs it. */
export type TaskResult = Record<string, unknown>;

export interface WorkerTask<Name extends string = string, Input extends z.ZodObject = z.ZodObject> {
  readonly name: Name;
  /** Validated (strictly: unknown fields are refused) before `run` is called. */
  readonly input: Input;
  run(rt: Runtime, log: Logger, input: z.output<Input>): Promise<TaskResult>;
}
