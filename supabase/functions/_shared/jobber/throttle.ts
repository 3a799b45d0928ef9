// Jobber's leaky bucket as we see it: the cost report every answer carries, how many points the
// bucket holds now (extrapolated with its restore rate), how long to wait before a query of known
// cost fits (pacing), and how long to wait after Jobber answered THROTTLED.
import { z } from "zod";
import { JobberGraphQLError } from "./errors.ts";
import { backoffDelay, type Random } from "./retry.ts";

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

// Added to computed waits so a rounding error does not buy one more THROTTLED answer.
export const THROTTLE_MARGIN_MS = 250;
/** Waited when Jobber throttles without a usable restore rate. */
export const RATE_LIMIT_BASE_MS = 5_000;

/** The `extensions.cost` of an answer, or null when it has none we can read. */
export function readCost(raw: unknown): Cost | null {
  const parsed = costSchema.safeParse(raw);
  if (!parsed.success) return null;
  return { ...parsed.data, actualQueryCost: parsed.data.actualQueryCost ?? null };
}

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

/** How long to wait after a THROTTLED answer carrying `cost` before asking again. */
export function throttleWaitMs(cost: Cost | null, random: Random): number {
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
