// Jobber webhooks: HMAC check over the raw body, then the envelope (IDs only; we re-fetch data).
import { z } from "zod";
import { hmacSha256Base64, timingSafeEqual } from "../crypto.ts";
import type { BytesLike } from "../crypto.ts";
import { invalidRequest } from "../errors.ts";
import { describeZodError } from "../validation.ts";

export const SIGNATURE_HEADER = "X-Jobber-Hmac-SHA256";

/**
 * True when `header` is the Base64 HMAC-SHA256 of exactly these bytes, keyed with the app's
 * client secret. Hash the body as received (`await req.arrayBuffer()`), never re-serialised JSON.
 */
export async function verifyJobberSignature(
  rawBody: BytesLike,
  header: string | null | undefined,
  clientSecret: string,
): Promise<boolean> {
  const given = header?.trim();
  if (!given || !clientSecret) return false;
  const expected = await hmacSha256Base64(clientSecret, rawBody);
  return timingSafeEqual(given, expected);
}

const id = z.string().trim().min(1);
const timestamp = z.string().refine((v) => !Number.isNaN(Date.parse(v)), {
  error: "must be an ISO 8601 date-time",
});

const eventSchema = z.object({
  topic: z.string().trim().min(1),
  appId: id,
  accountId: id,
  itemId: id,
  // Apps created before Dec 2023 get the misspelt `occuredAt`; the schema type still uses it.
  occurredAt: timestamp.optional(),
  occuredAt: timestamp.optional(),
});

const envelopeSchema = z.object({ data: z.object({ webHookEvent: eventSchema }) });

export interface WebhookEvent {
  topic: string;
  appId: string;
  accountId: string;
  itemId: string;
  occurredAt: Date;
}

/** Validates the parsed JSON body; a bad envelope is a 400 invalid_request naming the field. */
export function parseWebhookEnvelope(json: unknown): WebhookEvent {
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) throw invalidRequest(`Invalid webhook payload: ${describeZodError(parsed.error)}`);
  const event = parsed.data.data.webHookEvent;
  const when = event.occurredAt ?? event.occuredAt;
  if (when === undefined) {
    throw invalidRequest("Invalid webhook payload: data.webHookEvent.occurredAt is required");
  }
  return {
    topic: event.topic,
    appId: event.appId,
    accountId: event.accountId,
    itemId: event.itemId,
    occurredAt: new Date(when),
  };
}
