// POST from Resend (SPEC §11): email events, Svix-signed. Nothing is read or stored before the
// signature over the raw body checks out and its timestamp is within 5 minutes of now. Each
// delivery is recorded by its svix-id, so a retry or a replay changes nothing; sent / delivered /
// delayed move the email forward only, a bounce makes the address unusable, a complaint opts it out.
// Answers 200 {"received": true, "duplicate": bool}; a failure answers an error, and Svix retries.
import type { Runtime } from "../_shared/runtime.ts";
import { invalidRequest, invalidSignature } from "../_shared/errors.ts";
import { json, parseWith, readBodyBytes, serveFunction } from "../_shared/http.ts";
import { asService } from "../_shared/db.ts";
import {
  eventTime,
  resendEventReport,
  resendEventSchema,
  resendVerifier,
  svixHeaders,
  verifyResendWebhook,
} from "../_shared/messaging/resend_webhook.ts";

/** Resend's events carry the email's metadata, not its content. */
const MAX_BODY_BYTES = 256 * 1024;

type EventOutcome = "duplicate" | "ignored" | "moved" | "unchanged" | "parked";

export function createHandler(rt: Runtime) {
  const logger = rt.logger("email-webhook");
  const verifier = rt.messaging.resend ? resendVerifier(rt.messaging.resend.webhookSecret) : null;
  return serveFunction({ appOrigin: rt.config.appOrigin, methods: ["POST"], logger }, async (req, ctx) => {
    const bytes = await readBodyBytes(req, MAX_BODY_BYTES);
    if (verifier === null) {
      throw invalidSignature("Email is not configured here, so no Resend signature can be verified.");
    }
    let body: string;
    try {
      body = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      // Resend sends UTF-8 JSON; other bytes cannot be what it signed.
      throw invalidSignature("The webhook body is not what Resend signs (it is not UTF-8).");
    }
    const headers = svixHeaders(req.headers);
    verifyResendWebhook(verifier, body, headers);

    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      throw invalidRequest("The event is not valid JSON.");
    }
    const event = parseWith(resendEventSchema, value, "The event");
    const report = resendEventReport(event);
    const at = eventTime(event) ?? rt.now();
    const outcome = await asService(rt.sql, async (tx) => {
      const [row] = await tx<{ outcome: EventOutcome }[]>`
        select private.review_email_event(${headers!.id}, ${event.data.email_id}, ${report?.status ?? null}, ${at},
          ${report?.errorCode ?? null}, ${report?.errorMessage ?? null}, ${report?.contactEffect ?? null},
          ${report?.effectSource ?? null}) as outcome`;
      return row!.outcome;
    });
    ctx.log.info("email_event", {
      svix_id: headers!.id,
      type: event.type,
      email_id: event.data.email_id,
      contact_effect: report?.contactEffect ?? null,
      outcome,
    });
    return json(200, { received: true, duplicate: outcome === "duplicate" });
  });
}
