// Jobber GraphQL client: sends each document through the transport (graphql-request), paces it
// against the leaky bucket when its cost is known, waits out THROTTLED answers, retries network
// errors, 5xx and 429 within a budget, refreshes the token once after a 401, and checks the data
// against the caller's schema. Each of those is its own module; this one only puts them in order.
import type { z } from "zod";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { describeZodError } from "../validation.ts";
import { type Extensions, judge, RETRY_BASE_MS } from "./answers.ts";
import { requestBudget } from "./budget.ts";
import { excerpt, JobberAuthError, JobberGraphQLError } from "./errors.ts";
import { type Random, retryAfterMs, type Sleep } from "./retry.ts";
import { type Cost, type ObservedCost, pacingDelayMs, readCost, throttleWaitMs } from "./throttle.ts";
import { createTransport, TransportFailure } from "./transport.ts";

export interface JobberClientOptions {
  config: Pick<Config, "jobberGraphqlVersion" | "jobber">;
  /** The current access token (already refreshed ahead of expiry by the caller). */
  getAccessToken: () => Promise<string>;
  /** Called once after a 401: refresh the connection's tokens and return the new access token. */
  onUnauthorized: () => Promise<string>;
  fetch: typeof fetch;
  sleep: Sleep;
  now: () => Date;
  random: Random;
  logger: Logger;
  /** Retries for network errors, 5xx and 429 (throttle waits are counted separately). */
  maxRetries?: number;
  timeoutMs?: number;
  /** Upper bound on the total time spent waiting for throttling or pacing in one request. */
  maxThrottleWaitMs?: number;
}

export interface RequestOptions {
  /** The requested cost Jobber will compute (see cost.ts); enables waiting before sending. */
  expectedCost?: number;
}

export interface JobberClient {
  request<S extends z.ZodType>(
    document: string,
    variables: Record<string, unknown>,
    resultSchema: S,
    options?: RequestOptions,
  ): Promise<{ data: z.output<S>; cost: Cost | null }>;
}

export function createJobberClient(options: JobberClientOptions): JobberClient {
  const { config, sleep, now, random, logger } = options;
  const post = createTransport({ config, fetch: options.fetch, timeoutMs: options.timeoutMs ?? 30_000 });
  let observed: ObservedCost | null = null;
  let versionWarningLogged = false;

  // Every answer's cost report updates what pacing knows; a version nearing removal is logged once.
  const observe = (extensions: Extensions): Cost | null => {
    const cost = readCost(extensions?.cost);
    if (cost) observed = { ...cost, observedAt: now() };
    const warning = extensions?.versioning?.warning;
    if (typeof warning === "string" && warning && !versionWarningLogged) {
      versionWarningLogged = true;
      logger.warn("jobber_version_warning", { version: config.jobberGraphqlVersion, warning: excerpt(warning, 500) });
    }
    return cost;
  };

  async function request<S extends z.ZodType>(
    document: string,
    variables: Record<string, unknown>,
    resultSchema: S,
    { expectedCost }: RequestOptions = {},
  ): Promise<{ data: z.output<S>; cost: Cost | null }> {
    const budget = requestBudget({
      sleep,
      random,
      logger,
      maxRetries: options.maxRetries ?? 5,
      maxWaitMs: options.maxThrottleWaitMs ?? 120_000,
    });
    let token = await options.getAccessToken();
    let refreshed = false;
    while (true) {
      if (expectedCost !== undefined) await budget.wait(pacingDelayMs(observed, expectedCost, now()), "pacing");
      let verdict;
      try {
        verdict = judge(await post(document, variables, token));
      } catch (err) {
        if (!(err instanceof TransportFailure)) throw err;
        await budget.retry(err.reason, RETRY_BASE_MS, null, err);
        continue;
      }
      switch (verdict.kind) {
        case "retry":
          await budget.retry(verdict.reason, verdict.baseMs, retryAfterMs(verdict.retryAfter, now()));
          continue;
        case "unauthorized":
          if (refreshed) {
            throw new JobberAuthError("unauthorized", "Jobber refused the access token even after a refresh; connect Jobber again.");
          }
          refreshed = true;
          token = await options.onUnauthorized();
          continue;
        case "throttled":
          await budget.wait(throttleWaitMs(observe(verdict.extensions), random), "throttled");
          continue;
        case "ok": {
          const cost = observe(verdict.extensions);
          const result = resultSchema.safeParse(verdict.data);
          if (!result.success) {
            throw new JobberGraphQLError(`Jobber answered with an unexpected shape: ${describeZodError(result.error)}`);
          }
          return { data: result.data, cost };
        }
      }
    }
  }

  return { request };
}
