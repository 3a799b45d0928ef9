// Pure mapping of Resend's answers to outcomes (SPEC §11), tested with recorded answers (fixtures/).
import { z } from "zod";
import type { SendOutcome } from "./types.ts";
import { DEFAULT_RATE_LIMIT_WAIT_MS, DEFAULT_SERVER_ERROR_WAIT_MS, laterFrom } from "./retry_after.ts";

/** Resend's error body: `{"statusCode": 422, "name": "validation_error", "message": "…"}`. */
export const resendErrorSchema = z.looseObject({
  statusCode: z.number().int().optional(),
  name: z.string(),
  message: z.string(),
});

export const resendSentSchema = z.looseObject({ id: z.string().min(1) });

/** Resend's answer carries only the id; the email is queued until `email.sent` arrives. */
export const RESEND_INITIAL_STATUS = "queued";

const CREDENTIAL_ERRORS = new Set(["missing_api_key", "invalid_api_key", "restricted_api_key"]);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Whether a validation error is about the recipient, so the address itself is unusable. */
export function isRecipientError(message: string): boolean {
  return /`to`|\bto\b (field|address)|recipient/i.test(message);
}

export function mapResendSend(status: number, text: string, headers: Headers, now: Date): SendOutcome {
  const body = parseJson(text);
  if (status >= 200 && status < 300) {
    const sent = resendSentSchema.safeParse(body);
    if (!sent.success) {
      return {
        kind: "retry",
        after: new Date(now.getTime() + DEFAULT_SERVER_ERROR_WAIT_MS),
        reason: `Resend answered ${status} without an email id`,
        // The same Idempotency-Key returns the original answer, so asking again is safe.
        maybeAccepted: true,
        rateLimited: false,
      };
    }
    return { kind: "accepted", providerMessageId: sent.data.id, status: RESEND_INITIAL_STATUS };
  }
  const error = resendErrorSchema.safeParse(body);
  const name = error.success ? error.data.name : null;
  const message = error.success ? error.data.message : "";
  if (status === 429 || name === "rate_limit_exceeded") {
    return {
      kind: "retry",
      after: laterFrom(headers, now, DEFAULT_RATE_LIMIT_WAIT_MS),
      reason: "Resend answered 429 rate_limit_exceeded",
      maybeAccepted: false,
      rateLimited: true,
    };
  }
  if (status === 409 && name === "concurrent_idempotent_requests") {
    return {
      kind: "retry",
      after: laterFrom(headers, now, DEFAULT_RATE_LIMIT_WAIT_MS),
      reason: "Resend is still processing an earlier request with this Idempotency-Key",
      maybeAccepted: true,
      rateLimited: false,
    };
  }
  if (status >= 500) {
    return {
      kind: "retry",
      after: laterFrom(headers, now, DEFAULT_SERVER_ERROR_WAIT_MS),
      reason: `Resend answered ${status}${name ? ` (${name})` : ""}`,
      maybeAccepted: true,
      rateLimited: false,
    };
  }
  if (status === 401 || (name !== null && CREDENTIAL_ERRORS.has(name))) {
    return { kind: "unavailable", reason: `Resend refused the API key (${name ?? status}); check RESEND_API_KEY` };
  }
  if (status === 422 && name === "validation_error" && isRecipientError(message)) {
    return {
      kind: "refused",
      code: "validation_error",
      reason: "Resend says the recipient address is not valid",
      contactEffect: "email_unusable",
    };
  }
  return {
    kind: "refused",
    code: name ?? `http_${status}`,
    reason: `Resend refused the email: ${message || `HTTP ${status}`}`.slice(0, 300),
    contactEffect: null,
  };
}
