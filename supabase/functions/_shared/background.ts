// Work that continues after the response: on hosted Supabase, EdgeRuntime.waitUntil keeps the
// worker alive until the promise settles; under plain Deno (the local stack) the server process
// simply keeps running it. Failures are logged, never thrown into the void.
import type { Logger } from "./log.ts";

declare const EdgeRuntime: { waitUntil(promise: Promise<unknown>): void } | undefined;

export function runInBackground(work: Promise<unknown>, log: Logger, what: string): void {
  const guarded = work.catch((err) => log.error("background_task_failed", { task: what, error: err }));
  if (typeof EdgeRuntime !== "undefined") EdgeRuntime.waitUntil(guarded);
}
