// Jobber webhooks: HMAC check over the raw body, then the envelope (IDs only; we re-fetch data).
import { z } from "zod";
import { bytesToBase64, timingSafeEqual, toBytes } from "../crypto.ts";
import type { BytesLike } from "../crypto.ts";
import { invalidRequest } from "../errors.ts";
import { describeZodError } from "../validation.ts";

export const SIGNATURE_HEADER = "X-Jobber-Hmac-SHA256";
/** SPEC §9: a larger body is refused (413) before anything else is looked at. */
export const MAX_WEBHOOK_BYTES = 256 * 1024;

export type SignatureVerifier = (rawBody: BytesLike, header: string | null | undefined) => Promise<boolean>;

/**
 * A verifier for one client secret: true when `header` is the Base64 HMAC-SHA256 of exactly these
 * bytes, keyed with the app's client secret, compared in constant time. Hash the body as received
 * (`await req.arrayBuffer()`), never re-serialised JSON. The key is imported once, not per request.
 */
export function createSignatureVerifier(clientSecret: string): SignatureVerifier {
  const key = clientSecret
    ? crypto.subtle.importKey("raw", toBytes(clientSecret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
    : null;
  return async (rawBody, header) => {
    const given = header?.trim();
    if (!given || !key) return false;
    const mac = await crypto.subtle.sign("HMAC", await key, toBytes(rawBody));
    return timingSafeEqual(given, bytesToBase64(new Uint8Array(mac)));
  };
}

/** One-off form of createSignatureVerifier. */
export function verifyJobberSignature(
  rawBody: BytesLike,
  header: string | null | undefined,
  clientSecret: string,
): Promise<boolean> {
  return createSignatureVerifier(clientSecret)(rawBody, header);
}

// Bounded like the inbox's columns, so an absurd value is a 400 rather than a failed insert.
const id = z.string().trim().min(1).max(200);
const timestamp = z.string().refine((v) => !Number.isNaN(Date.parse(v)), {
  error: "must be an ISO 8601 date-time",
});

// Not .strict(): this is Jobber's payload, not a request of ours, and Jobber adds fields over
// time; an unknown field must never turn a genuine delivery into a 400 that Jobber retries.
const eventSchema = z.object({
  topic: z.string().trim().min(1).max(100),
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

/** Parses the raw body as JSON; anything that is not JSON text is a 400. */
export function parseWebhookJson(rawBody: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(rawBody));
  } catch {
    throw invalidRequest("The webhook body is not valid JSON.");
  }
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
