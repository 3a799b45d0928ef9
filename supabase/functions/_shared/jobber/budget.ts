// What one request may spend before it gives up: failures it retries with jittered backoff
// (network errors, 5xx, 429), and the total time it waits on Jobber's rate limits (pacing and
// THROTTLED answers, which do not count as failures). Both end in jobber_unavailable.
import type { Logger } from "../log.ts";
import { JobberUnavailableError } from "./errors.ts";
import { backoffDelay, type Random, type Sleep } from "./retry.ts";

export const RETRY_CAP_MS = 30_000;

export interface BudgetOptions {
  sleep: Sleep;
  random: Random;
  logger: Logger;
  maxRetries: number;
  maxWaitMs: number;
}

export interface RequestBudget {
  /** Counts a failure and sleeps before the retry (Retry-After when given); throws past maxRetries. */
  retry(reason: string, baseMs: number, retryAfterMs: number | null, cause?: unknown): Promise<void>;
  /** Sleeps `ms` for the rate limits; throws once the request has waited more than maxWaitMs in all. */
  wait(ms: number, reason: string): Promise<void>;
}

export function requestBudget({ sleep, random, logger, maxRetries, maxWaitMs }: BudgetOptions): RequestBudget {
  let failures = 0;
  let waitedMs = 0;
  return {
    async retry(reason, baseMs, retryAfterMs, cause) {
      failures++;
      if (failures > maxRetries) {
        throw new JobberUnavailableError(`Jobber could not be reached (${reason}); try again in a minute.`, { cause });
      }
      const delay = Math.min(retryAfterMs ?? backoffDelay(failures, random, baseMs, RETRY_CAP_MS), RETRY_CAP_MS);
      logger.warn("jobber_retry", { reason, attempt: failures, wait_ms: delay });
      await sleep(delay);
    },
    async wait(ms, reason) {
      if (ms <= 0) return;
      waitedMs += ms;
      if (waitedMs > maxWaitMs) {
        throw new JobberUnavailableError(
          `Jobber kept rate-limiting us for over ${Math.round(maxWaitMs / 1000)} seconds; try again later.`,
        );
      }
      logger.info("jobber_wait", { reason, wait_ms: ms });
      await sleep(ms);
    },
  };
}
