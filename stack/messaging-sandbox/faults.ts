import { z } from "zod";
import { definedFields } from "../sandbox_http.ts";

/** Everything a test or a person can switch; `PUT /_sandbox/faults` merges partial updates. */
export interface Faults {
  /** Added before every Twilio / Resend API answer. */
  latencyMs: number;
  /** Answer every API request 429 (20429 / rate_limit_exceeded), whatever the limits. */
  http429: boolean;
  twilio: {
    /** The next N creates answer `status` without creating anything. */
    failNext: number;
    /** The next N creates create (and deliver) the message, then answer 500: a lost answer. */
    failAfterCreate: number;
    status: 500 | 502 | 503;
  };
  resend: { failNext: number; failAfterCreate: number; status: 500 | 502 | 503 };
  callbacks: {
    drop: boolean;
    duplicate: boolean;
    /** Holds callbacks for a moment and sends them newest first (`delivered` before `sent`). */
    reorder: boolean;
    delayMs: number;
  };
  /** Per-sender token buckets: a Twilio From number or Messaging Service, a Resend API key. */
  limits: { smsPerSecond: number; smsBurst: number; emailPerSecond: number; emailBurst: number };
  /** When a message moves on, counted from its creation. */
  lifecycle: { sentAfterMs: number; deliveredAfterMs: number };
}

/** Twilio queues per sender (10/s here); Resend's documented default is 2 requests/s per team. */
export function defaultFaults(): Faults {
  return {
    latencyMs: 0,
    http429: false,
    twilio: { failNext: 0, failAfterCreate: 0, status: 500 },
    resend: { failNext: 0, failAfterCreate: 0, status: 500 },
    callbacks: { drop: false, duplicate: false, reorder: false, delayMs: 0 },
    limits: { smsPerSecond: 10, smsBurst: 10, emailPerSecond: 2, emailBurst: 2 },
    lifecycle: { sentAfterMs: 300, deliveredAfterMs: 1_200 },
  };
}

const count = z.number().int().min(0);
const status = z.union([z.literal(500), z.literal(502), z.literal(503)]);
const provider = z.object({ failNext: count.optional(), failAfterCreate: count.optional(), status: status.optional() })
  .strict();

export const FaultsPatchSchema = z.object({
  latencyMs: count.max(60_000).optional(),
  http429: z.boolean().optional(),
  twilio: provider.optional(),
  resend: provider.optional(),
  callbacks: z.object({
    drop: z.boolean().optional(),
    duplicate: z.boolean().optional(),
    reorder: z.boolean().optional(),
    delayMs: count.max(600_000).optional(),
  }).strict().optional(),
  limits: z.object({
    smsPerSecond: z.number().positive().optional(),
    smsBurst: z.number().int().min(1).optional(),
    emailPerSecond: z.number().positive().optional(),
    emailBurst: z.number().int().min(1).optional(),
  }).strict().optional(),
  lifecycle: z.object({ sentAfterMs: count.max(600_000).optional(), deliveredAfterMs: count.max(600_000).optional() })
    .strict().optional(),
}).strict();

export type FaultsPatch = z.infer<typeof FaultsPatchSchema>;


export function mergeFaults(current: Faults, patch: FaultsPatch): Faults {
  const { twilio, resend, callbacks, limits, lifecycle, ...top } = patch;
  const merged: Faults = {
    ...current,
    ...definedFields(top),
    twilio: { ...current.twilio, ...definedFields(twilio) },
    resend: { ...current.resend, ...definedFields(resend) },
    callbacks: { ...current.callbacks, ...definedFields(callbacks) },
    limits: { ...current.limits, ...definedFields(limits) },
    lifecycle: { ...current.lifecycle, ...definedFields(lifecycle) },
  };
  if (merged.lifecycle.deliveredAfterMs < merged.lifecycle.sentAfterMs) {
    merged.lifecycle.deliveredAfterMs = merged.lifecycle.sentAfterMs;
  }
  return merged;
}
