// Resend's webhook events (SPEC §11): Svix-signed JSON. The signature is checked with the maintained
// `standardwebhooks` package - the Standard Webhooks reference implementation, which Svix's own
// `svix` package delegates to - over the raw body, with its 5-minute timestamp tolerance; then the
// event is read with zod (loose: Resend adds fields) and mapped to a report about our email.
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { z } from "zod";
import { invalidSignature } from "../errors.ts";
import type { ProviderReport } from "./reports.ts";

/** Svix names its headers svix-*; Standard Webhooks names the same values webhook-*. */
export interface SvixHeaders {
  id: string;
  timestamp: string;
  signature: string;
}

export function svixHeaders(headers: Headers): SvixHeaders | null {
  const id = headers.get("svix-id") ?? headers.get("webhook-id");
  const timestamp = headers.get("svix-timestamp") ?? headers.get("webhook-timestamp");
  const signature = headers.get("svix-signature") ?? headers.get("webhook-signature");
  if (!id || !timestamp || !signature) return null;
  return { id, timestamp, signature };
}

/**
 * Throws 401 invalid_signature unless `body` (the raw text) was signed with the verifier's secret
 * under these headers, with a timestamp within 5 minutes of now (older: a possible replay).
 */
export function verifyResendWebhook(verifier: Webhook, body: string, headers: SvixHeaders | null): void {
  if (headers === null) throw invalidSignature("The svix-id, svix-timestamp and svix-signature headers are required.");
  if (!/^\d{1,12}$/.test(headers.timestamp)) throw invalidSignature("The svix-timestamp header is not a Unix time.");
  try {
    verifier.verify(body, {
      "webhook-id": headers.id,
      "webhook-timestamp": headers.timestamp,
      "webhook-signature": headers.signature,
    }, { jsonParse: false });
  } catch (err) {
    if (err instanceof WebhookVerificationError && /timestamp too (old|new)/i.test(err.message)) {
      throw invalidSignature("The webhook's timestamp is more than 5 minutes from now; it may be a replay.");
    }
    throw invalidSignature("The webhook signature does not match.");
  }
}

export function resendVerifier(webhookSecret: string): Webhook {
  return new Webhook(webhookSecret);
}

export const resendEventSchema = z.looseObject({
  type: z.string().regex(/^[a-z_]+(\.[a-z_]+)+$/, "type must be a Resend event type"),
  created_at: z.string(),
  data: z.looseObject({
    email_id: z.string().min(1).max(200),
    bounce: z.looseObject({
      message: z.string().optional(),
      type: z.string().optional(),
      subType: z.string().optional(),
    }).optional(),
    failed: z.looseObject({ reason: z.string().optional() }).optional(),
  }),
});

export type ResendEvent = z.infer<typeof resendEventSchema>;

/**
 * What an event means for our email. Delivery events move it forward; a bounce makes the address
 * unusable (Resend sends email.bounced for permanent rejections; one it marks Transient does not);
 * a complaint proves delivery and opts the address out; opens, clicks and anything new say nothing
 * about delivery (null).
 */
export function resendEventReport(event: ResendEvent): ProviderReport | null {
  const base = { errorCode: null, errorMessage: null, contactEffect: null, effectSource: null } as const;
  switch (event.type) {
    case "email.sent":
    case "email.delivery_delayed":
      // Delayed: Resend has it and keeps trying; it is at least sent.
      return { ...base, status: "sent" };
    case "email.delivered":
      return { ...base, status: "delivered" };
    case "email.bounced": {
      const transient = event.data.bounce?.type?.toLowerCase() === "transient";
      return {
        status: "undelivered",
        errorCode: "email_bounced",
        errorMessage: event.data.bounce?.message?.slice(0, 1000) ?? "The recipient's mail server rejected the email.",
        contactEffect: transient ? null : "email_unusable",
        effectSource: null,
      };
    }
    case "email.complained":
      return { status: "delivered", errorCode: null, errorMessage: null, contactEffect: "opted_out", effectSource: "email_complaint" };
    case "email.failed":
      return {
        ...base,
        status: "failed",
        errorCode: "email_failed",
        errorMessage: event.data.failed?.reason?.slice(0, 1000) ?? "Resend could not send the email.",
      };
    default:
      return null;
  }
}

/** The event's own time (when it happened at Resend); null when unreadable. */
export function eventTime(event: ResendEvent): Date | null {
  const t = Date.parse(event.created_at);
  return Number.isNaN(t) ? null : new Date(t);
}
