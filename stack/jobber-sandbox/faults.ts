import { z } from "zod";
import { type FiredTopic, WEBHOOK_TOPICS } from "./topics.ts";
import { definedFields } from "../sandbox_http.ts";

/** A webhook fault switch: off, on for every topic, or on for the listed topics only. */
export type TopicSwitch = boolean | FiredTopic[];

export function switchedOn(value: TopicSwitch, topic: FiredTopic): boolean {
  return value === true || (Array.isArray(value) && value.includes(topic));
}

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
    /** Never sent (as if Jobber lost them); reconciliation must find the change. */
    drop: TopicSwitch;
    /** Sent twice, concurrently. */
    duplicate: TopicSwitch;
    /**
     * Delivered, but answered as if the receiver took longer than Jobber's one second: the
     * receiver handles each attempt, the sandbox counts it failed (status 0) and retries.
     */
    slow: TopicSwitch;
    /** Held, then sent newest first once `reorderWindowMs` has passed or the switch goes off. */
    reorder: boolean;
    reorderWindowMs: number;
    /** `occuredAt`, as Jobber spells it for apps created before 8 Dec 2023. */
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
      slow: false,
      reorder: false,
      reorderWindowMs: 200,
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
const topicSwitch = z.union([
  z.boolean(),
  z.array(z.enum(WEBHOOK_TOPICS as unknown as [FiredTopic, ...FiredTopic[]])).max(WEBHOOK_TOPICS.length),
]);

export const FaultsPatchSchema = z.object({
  latencyMs: count.max(60_000).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  http429: z.boolean().optional(),
  throttle: z.boolean().optional(),
  expireTokens: z.boolean().optional(),
  webhooks: z.object({
    drop: topicSwitch.optional(),
    duplicate: topicSwitch.optional(),
    slow: topicSwitch.optional(),
    reorder: z.boolean().optional(),
    reorderWindowMs: count.max(600_000).optional(),
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


/** Partial updates merge one level deep, so `{webhooks: {drop: true}}` keeps the other switches. */
export function mergeFaults(current: Faults, patch: FaultsPatch): Faults {
  const { webhooks, bucket, rateLimit, failNext, ...top } = patch;
  return {
    ...current,
    ...definedFields(top),
    webhooks: { ...current.webhooks, ...definedFields(webhooks) },
    bucket: { ...current.bucket, ...definedFields(bucket) },
    rateLimit: { ...current.rateLimit, ...definedFields(rateLimit) },
    failNext: { ...current.failNext, ...definedFields(failNext) },
  };
}
