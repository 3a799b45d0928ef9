import { z } from "zod";

export interface Faults {
  /** Added delay before GraphQL and token responses. */
  latencyMs: number;
  /** Probability that a GraphQL request answers 500, 502 or 503. */
  errorRate: number;
  /** Answer every GraphQL request 429, as if the DDoS guard tripped. */
  http429: boolean;
  /** Answer every GraphQL request THROTTLED regardless of the bucket. */
  throttle: boolean;
  /** When switched on, every access token issued so far counts as expired. */
  expireTokens: boolean;
  webhooks: {
    drop: boolean;
    duplicate: boolean;
    reorder: boolean;
    oldSpelling: boolean;
    /** First retry delay; later retries double it. */
    retryBaseMs: number;
    maxAttempts: number;
  };
  bucket: { max: number; restoreRate: number };
  /** Jobber's Rack::Attack guard: requests per window per app and account. */
  rateLimit: { requests: number; windowMs: number };
  failNext: { graphql5xx: number; token5xx: number; status: 500 | 502 | 503 };
}

export function defaultFaults(): Faults {
  return {
    latencyMs: 0,
    errorRate: 0,
    http429: false,
    throttle: false,
    expireTokens: false,
    webhooks: {
      drop: false,
      duplicate: false,
      reorder: false,
      oldSpelling: false,
      retryBaseMs: 1000,
      maxAttempts: 5,
    },
    bucket: { max: 10_000, restoreRate: 500 },
    rateLimit: { requests: 2_500, windowMs: 5 * 60 * 1000 },
    failNext: { graphql5xx: 0, token5xx: 0, status: 503 },
  };
}

const count = z.number().int().min(0);

export const FaultsPatchSchema = z.object({
  latencyMs: count.max(60_000).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  http429: z.boolean().optional(),
  throttle: z.boolean().optional(),
  expireTokens: z.boolean().optional(),
  webhooks: z.object({
    drop: z.boolean().optional(),
    duplicate: z.boolean().optional(),
    reorder: z.boolean().optional(),
    oldSpelling: z.boolean().optional(),
    retryBaseMs: count.max(600_000).optional(),
    maxAttempts: z.number().int().min(1).max(20).optional(),
  }).strict().optional(),
  bucket: z.object({
    max: z.number().int().min(1).optional(),
    restoreRate: z.number().min(0).optional(),
  }).strict().optional(),
  rateLimit: z.object({
    requests: z.number().int().min(1).optional(),
    windowMs: z.number().int().min(1).optional(),
  }).strict().optional(),
  failNext: z.object({
    graphql5xx: count.optional(),
    token5xx: count.optional(),
    status: z.union([z.literal(500), z.literal(502), z.literal(503)]).optional(),
  }).strict().optional(),
}).strict();

export type FaultsPatch = z.infer<typeof FaultsPatchSchema>;

type Defined<T> = { [K in keyof T]?: Exclude<T[K], undefined> };

function defined<T extends object>(patch: T | undefined): Defined<T> {
  return Object.fromEntries(Object.entries(patch ?? {}).filter(([, v]) => v !== undefined)) as Defined<T>;
}

/** Partial updates merge one level deep, so `{webhooks: {drop: true}}` keeps the other switches. */
export function mergeFaults(current: Faults, patch: FaultsPatch): Faults {
  const { webhooks, bucket, rateLimit, failNext, ...top } = patch;
  return {
    ...current,
    ...defined(top),
    webhooks: { ...current.webhooks, ...defined(webhooks) },
    bucket: { ...current.bucket, ...defined(bucket) },
    rateLimit: { ...current.rateLimit, ...defined(rateLimit) },
    failNext: { ...current.failNext, ...defined(failNext) },
  };
}
