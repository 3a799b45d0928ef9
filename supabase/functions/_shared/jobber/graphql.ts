// Jobber GraphQL client: version header, token refresh on 401, retries with backoff, throttle
// handling (Jobber throttles inside HTTP 200) and cost-aware pacing against the leaky bucket.
import { z } from "zod";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { describeZodError } from "../validation.ts";
import {
  excerpt,
  JobberAuthError,
  JobberDisconnectedError,
  JobberError,
  JobberGraphQLError,
  JobberUnavailableError,
} from "./errors.ts";
import { backoffDelay, isTimeout, retryAfterMs } from "./retry.ts";
import type { Random, Sleep } from "./retry.ts";

const throttleStatusSchema = z.object({
  maximumAvailable: z.number(),
  currentlyAvailable: z.number(),
  restoreRate: z.number(),
});

const costSchema = z.object({
  requestedQueryCost: z.number(),
  actualQueryCost: z.number().nullish(),
  throttleStatus: throttleStatusSchema,
});

export type ThrottleStatus = z.infer<typeof throttleStatusSchema>;

export interface Cost {
  requestedQueryCost: number;
  actualQueryCost: number | null;
  throttleStatus: ThrottleStatus;
}

export interface ObservedCost extends Cost {
  observedAt: Date;
}

const graphqlErrorSchema = z.looseObject({
  message: z.string().catch("(no message)"),
  extensions: z.looseObject({ code: z.unknown().optional() }).nullish().catch(null),
  path: z.array(z.union([z.string(), z.number()])).nullish().catch(null),
});

const responseSchema = z.looseObject({
  data: z.unknown().optional(),
  errors: z.array(graphqlErrorSchema).nullish(),
  extensions: z.looseObject({
    cost: z.unknown().optional(),
    versioning: z.looseObject({ version: z.unknown().optional(), warning: z.unknown().optional() }).nullish()
      .catch(null),
  }).nullish().catch(null),
});

export interface JobberClientOptions {
  config: Pick<Config, "jobberGraphqlVersion" | "jobber">;
  /** The current access token (already refreshed ahead of expiry by the caller). */
  getAccessToken: () => Promise<string>;
  /** Called once after a 401: refresh under the per-connection lock and return the new token. */
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
  lastCost(): ObservedCost | null;
}

const DISCONNECTED_PATTERN = /User has disconnected this app|This account is not active/i;
const RETRY_BASE_MS = 500;
const RATE_LIMIT_BASE_MS = 5_000;
const RETRY_CAP_MS = 30_000;
// Added to computed throttle waits so a rounding error does not buy one more THROTTLED answer.
const THROTTLE_MARGIN_MS = 250;

/** Points available now, extrapolating the last observation with the restore rate. */
export function availablePoints(observed: ObservedCost, now: Date): number {
  const { currentlyAvailable, maximumAvailable, restoreRate } = observed.throttleStatus;
  const elapsedSeconds = Math.max(0, (now.getTime() - observed.observedAt.getTime()) / 1000);
  return Math.min(maximumAvailable, currentlyAvailable + restoreRate * elapsedSeconds);
}

/** How long to wait before a query of `cost` points fits in the bucket (0 when it fits now). */
export function pacingDelayMs(observed: ObservedCost | null, cost: number, now: Date): number {
  if (!observed) return 0;
  const { maximumAvailable, restoreRate } = observed.throttleStatus;
  // A query dearer than the whole bucket can never run; let Jobber say so instead of waiting forever.
  if (cost > maximumAvailable || restoreRate <= 0) return 0;
  const missing = cost - availablePoints(observed, now);
  return missing <= 0 ? 0 : Math.ceil((missing / restoreRate) * 1000) + THROTTLE_MARGIN_MS;
}

export function createJobberClient(options: JobberClientOptions): JobberClient {
  const { config, fetch: fetchImpl, sleep, now, random, logger } = options;
  const maxRetries = options.maxRetries ?? 5;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxThrottleWaitMs = options.maxThrottleWaitMs ?? 120_000;
  let observed: ObservedCost | null = null;
  let versionWarningLogged = false;

  const remember = (raw: unknown): Cost | null => {
    const parsed = costSchema.safeParse(raw);
    if (!parsed.success) return null;
    const cost: Cost = { ...parsed.data, actualQueryCost: parsed.data.actualQueryCost ?? null };
    observed = { ...cost, observedAt: now() };
    return cost;
  };

  async function request<S extends z.ZodType>(
    document: string,
    variables: Record<string, unknown>,
    resultSchema: S,
    requestOptions: RequestOptions = {},
  ): Promise<{ data: z.output<S>; cost: Cost | null }> {
    const body = JSON.stringify({ query: document, variables });
    let token = await options.getAccessToken();
    let refreshed = false;
    let failures = 0;
    let waitedMs = 0;

    const waitFor = async (ms: number, reason: string) => {
      if (ms <= 0) return;
      waitedMs += ms;
      if (waitedMs > maxThrottleWaitMs) {
        throw new JobberUnavailableError(
          `Jobber kept rate-limiting us for over ${
            Math.round(maxThrottleWaitMs / 1000)
          } seconds; try again later.`,
        );
      }
      logger.info("jobber_wait", { reason, wait_ms: ms });
      await sleep(ms);
    };

    const retryOrThrow = async (
      reason: string,
      baseMs: number,
      retryAfter: number | null,
      cause?: unknown,
    ) => {
      failures++;
      if (failures > maxRetries) {
        throw new JobberUnavailableError(`Jobber could not be reached (${reason}); try again in a minute.`, {
          cause,
        });
      }
      const delay = Math.min(
        retryAfter ?? backoffDelay(failures, random, baseMs, RETRY_CAP_MS),
        RETRY_CAP_MS,
      );
      logger.warn("jobber_retry", { reason, attempt: failures, wait_ms: delay });
      await sleep(delay);
    };

    while (true) {
      if (requestOptions.expectedCost !== undefined) {
        await waitFor(pacingDelayMs(observed, requestOptions.expectedCost, now()), "pacing");
      }

      let res: Response;
      try {
        res = await fetchImpl(config.jobber.graphqlUrl, {
          method: "POST",
          headers: {
            "authorization": `Bearer ${token}`,
            "content-type": "application/json",
            "accept": "application/json",
            "x-jobber-graphql-version": config.jobberGraphqlVersion,
          },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        // Queries are read-only and safe to repeat. (Mutations we send — appDisconnect — are idempotent.)
        await retryOrThrow(isTimeout(err) ? "timeout" : "network error", RETRY_BASE_MS, null, err);
        continue;
      }

      const text = await res.text().catch(() => "");

      // Only error answers are searched: a 200 body holds client data, which could contain anything.
      if (res.status >= 400 && res.status < 500 && DISCONNECTED_PATTERN.test(text)) {
        throw new JobberDisconnectedError();
      }
      if (res.status === 401) {
        if (refreshed) {
          throw new JobberAuthError(
            "unauthorized",
            "Jobber refused the access token even after a refresh; connect Jobber again.",
          );
        }
        refreshed = true;
        token = await options.onUnauthorized();
        continue;
      }
      if (res.status === 429) {
        await retryOrThrow(
          "HTTP 429",
          RATE_LIMIT_BASE_MS,
          retryAfterMs(res.headers.get("retry-after"), now()),
        );
        continue;
      }
      if (res.status >= 500) {
        await retryOrThrow(`HTTP ${res.status}`, RETRY_BASE_MS, null);
        continue;
      }
      if (res.status !== 200) {
        throw new JobberError(`Jobber answered HTTP ${res.status}: ${JSON.stringify(excerpt(text))}`);
      }

      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new JobberError("Jobber answered with something that is not JSON.");
      }
      const envelope = responseSchema.safeParse(json);
      if (!envelope.success) {
        throw new JobberGraphQLError("Jobber answered with an unexpected shape: not a GraphQL response");
      }
      const { data, errors, extensions } = envelope.data;
      const cost = remember(extensions?.cost);

      const warning = extensions?.versioning?.warning;
      if (typeof warning === "string" && warning && !versionWarningLogged) {
        versionWarningLogged = true;
        logger.warn("jobber_version_warning", {
          version: config.jobberGraphqlVersion,
          warning: excerpt(warning, 500),
        });
      }

      if (errors && errors.length > 0) {
        if (errors.some((e) => e.extensions?.code === "THROTTLED")) {
          await waitFor(throttleWaitMs(cost), "throttled");
          continue;
        }
        if (errors.some((e) => DISCONNECTED_PATTERN.test(e.message))) throw new JobberDisconnectedError();
        const first = errors[0]?.message ?? "(no message)";
        throw new JobberGraphQLError(
          `Jobber answered with a GraphQL error: ${JSON.stringify(excerpt(first))}`,
          errors,
        );
      }

      const result = resultSchema.safeParse(data);
      if (!result.success) {
        throw new JobberGraphQLError(
          `Jobber answered with an unexpected shape: ${describeZodError(result.error)}`,
        );
      }
      return { data: result.data, cost };
    }
  }

  function throttleWaitMs(cost: Cost | null): number {
    if (!cost) return backoffDelay(1, random, 2_000, 2_000) + 1_000;
    const { requestedQueryCost } = cost;
    const { currentlyAvailable, maximumAvailable, restoreRate } = cost.throttleStatus;
    if (requestedQueryCost > maximumAvailable) {
      throw new JobberGraphQLError(
        `A Jobber query costing ${requestedQueryCost} points can never run (the bucket holds ${maximumAvailable}); ask for fewer records per page.`,
      );
    }
    if (restoreRate <= 0) return RATE_LIMIT_BASE_MS;
    const missing = Math.max(0, requestedQueryCost - currentlyAvailable);
    return Math.ceil((missing / restoreRate) * 1000) + THROTTLE_MARGIN_MS;
  }

  return { request, lastCost: () => observed };
}
