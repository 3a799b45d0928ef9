// Pure mapping of Twilio's Messages API answers to outcomes (SPEC §11). Tested with recorded answers
// shaped exactly like Twilio's JSON (fixtures/).
import { z } from "zod";
import type { ContactEffect, SendOutcome } from "./types.ts";
import { DEFAULT_RATE_LIMIT_WAIT_MS, DEFAULT_SERVER_ERROR_WAIT_MS, laterFrom } from "./retry_after.ts";

/** Twilio's error body: `{"code": 21211, "message": "…", "more_info": "…", "status": 400}`. */
export const twilioErrorSchema = z.looseObject({
  code: z.number().int(),
  message: z.string(),
  more_info: z.string().optional(),
  status: z.number().int().optional(),
});

export const twilioMessageSchema = z.looseObject({
  sid: z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/),
  status: z.string(),
  to: z.string(),
  from: z.string().nullable(),
  body: z.string(),
  date_created: z.string(),
  error_code: z.number().int().nullable(),
  messaging_service_sid: z.string().nullable().optional(),
  direction: z.string().optional(),
});

export type TwilioMessage = z.infer<typeof twilioMessageSchema>;

export const twilioListSchema = z.looseObject({
  messages: z.array(twilioMessageSchema),
  next_page_uri: z.string().nullable(),
});

/** Codes that are permanent for this recipient, and what they mean for the contact. */
const REFUSALS: Record<number, { effect: ContactEffect; reason: string }> = {
  21211: { effect: "phone_unusable", reason: "Twilio says the number is not a valid phone number" },
  21614: { effect: "phone_unusable", reason: "Twilio says the number is not a mobile number and cannot receive texts" },
  21610: { effect: "opted_out", reason: "The recipient replied STOP to this sender" },
  21612: { effect: "phone_unusable", reason: "Twilio cannot route a text to this number" },
  21408: { effect: null, reason: "Texting this number's region is not enabled on the Twilio account" },
};

/** Twilio's delivery error codes that mean the number will never receive texts (SPEC §11). */
export function contactEffectOfDeliveryError(code: number | null): ContactEffect {
  if (code === 30006 || code === 30005) return "phone_unusable";
  return null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Maps the answer to a create-message POST. */
export function mapTwilioCreate(status: number, text: string, headers: Headers, now: Date): SendOutcome {
  const body = parseJson(text);
  if (status >= 200 && status < 300) {
    const message = twilioMessageSchema.safeParse(body);
    // Twilio took it but the answer is unreadable: the message exists, so find it, don't re-send.
    if (!message.success) {
      return {
        kind: "retry",
        after: new Date(now.getTime() + DEFAULT_SERVER_ERROR_WAIT_MS),
        reason: `Twilio answered ${status} without a readable message`,
        maybeAccepted: true,
        rateLimited: false,
      };
    }
    return { kind: "accepted", providerMessageId: message.data.sid, status: message.data.status };
  }
  const error = twilioErrorSchema.safeParse(body);
  const code = error.success ? error.data.code : null;
  if (status === 429 || code === 20429) {
    return {
      kind: "retry",
      after: laterFrom(headers, now, DEFAULT_RATE_LIMIT_WAIT_MS),
      reason: "Twilio answered 429 Too Many Requests (20429)",
      maybeAccepted: false,
      rateLimited: true,
    };
  }
  if (status >= 500) {
    return {
      kind: "retry",
      after: laterFrom(headers, now, DEFAULT_SERVER_ERROR_WAIT_MS),
      reason: `Twilio answered ${status}${code ? ` (${code})` : ""}`,
      // A 5xx may come after the message was created; the caller resolves before sending again.
      maybeAccepted: true,
      rateLimited: false,
    };
  }
  if (status === 401 || status === 403) {
    return {
      kind: "unavailable",
      reason: `Twilio refused the account credentials (${code ?? status}); check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN`,
    };
  }
  if (code !== null) {
    const known = REFUSALS[code];
    const message = error.success ? error.data.message : "";
    return {
      kind: "refused",
      code: String(code),
      reason: known ? known.reason : `Twilio refused the message: ${message}`.slice(0, 300),
      contactEffect: known ? known.effect : null,
    };
  }
  return {
    kind: "refused",
    code: `http_${status}`,
    reason: `Twilio answered ${status} without an error code`,
    contactEffect: null,
  };
}

/** Twilio dates are RFC 2822 (`Thu, 24 Aug 2023 05:01:45 +0000`). */
export function parseTwilioDate(value: string): Date | null {
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : new Date(t);
}

/** Clocks differ between us and Twilio; a match may be created this much before our attempt time. */
export const LOOKUP_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * The message among `listed` that is ours: outbound, same body (our marker: each review message's
 * body carries its request's own link), created no earlier than the attempt (minus clock skew).
 * Follow-ups repeat a body, but days apart, so the time bound tells them apart.
 */
export function findOurMessage(
  listed: readonly TwilioMessage[],
  marker: { to: string; body: string },
  attemptedAt: Date,
): TwilioMessage | null {
  const earliest = attemptedAt.getTime() - LOOKUP_CLOCK_SKEW_MS;
  const matches = listed.filter((m) => {
    const created = parseTwilioDate(m.date_created);
    return m.to === marker.to && m.body === marker.body && (m.direction ?? "outbound-api").startsWith("outbound") &&
      created !== null && created.getTime() >= earliest;
  });
  // Oldest first: if a bug ever sent twice, the first one is the one we meant.
  matches.sort((a, b) => (parseTwilioDate(a.date_created)!.getTime() - parseTwilioDate(b.date_created)!.getTime()));
  return matches[0] ?? null;
}

/** True once a page holds only messages created before the lookup window: older pages cannot match. */
export function pageIsOlderThan(listed: readonly TwilioMessage[], attemptedAt: Date): boolean {
  const earliest = attemptedAt.getTime() - LOOKUP_CLOCK_SKEW_MS;
  return listed.length > 0 && listed.every((m) => {
    const created = parseTwilioDate(m.date_created);
    return created !== null && created.getTime() < earliest;
  });
}
