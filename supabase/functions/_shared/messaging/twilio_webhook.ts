// What Twilio posts to sms-webhook (SPEC §11): status callbacks for our messages and inbound texts,
// form-encoded. Pure parsing and mapping, tested with recorded payloads (fixtures/twilio_*). The
// schemas are loose on purpose: Twilio adds parameters without notice, and the signature already
// covers every one of them.
import { z } from "zod";
import { contactEffectOfDeliveryError } from "./twilio_mapping.ts";
import type { ProviderReport } from "./reports.ts";

const messageSid = z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/, "MessageSid must be a Twilio message SID");
const phone = z.string().min(1).max(64);

export const twilioStatusCallbackSchema = z.looseObject({
  MessageSid: messageSid,
  MessageStatus: z.string().regex(/^[a-z_]{1,40}$/, "MessageStatus must be a Twilio message status"),
  ErrorCode: z.string().regex(/^\d{1,10}$/, "ErrorCode must be a number").optional(),
  AccountSid: z.string().optional(),
});

export const twilioInboundSchema = z.looseObject({
  MessageSid: messageSid,
  From: phone,
  To: phone,
  Body: z.string().max(10_000).default(""),
  AccountSid: z.string().optional(),
  /** Advanced Opt-Out: Twilio's own reading of the text (it honours custom keywords too). */
  OptOutType: z.string().optional(),
});

export type TwilioStatusCallback = z.infer<typeof twilioStatusCallbackSchema>;
export type TwilioInbound = z.infer<typeof twilioInboundSchema>;

export type TwilioRequest =
  | { kind: "status"; callback: TwilioStatusCallback }
  | { kind: "inbound"; message: TwilioInbound };

/**
 * A status callback names the status of a message we sent (MessageStatus); an inbound text has
 * none, or says `received` (SmsStatus / MessageStatus).
 */
export function classifyTwilioRequest(params: Record<string, string>): { kind: "status" | "inbound" } {
  const status = params.MessageStatus ?? params.SmsStatus;
  if (status === "received" || status === "receiving" || (params.MessageStatus === undefined && "Body" in params)) {
    return { kind: "inbound" };
  }
  return { kind: "status" };
}

// Twilio's statuses (twilio-node's MessageStatus) in review_messages' order. `sending` on Twilio's
// side means the carrier has not confirmed yet: the message is with the provider, i.e. queued.
const STATUS: Record<string, ProviderReport["status"]> = {
  accepted: "queued",
  scheduled: "queued",
  queued: "queued",
  sending: "queued",
  sent: "sent",
  delivered: "delivered",
  read: "delivered",
  undelivered: "undelivered",
  failed: "failed",
  canceled: "failed",
};

// Twilio's descriptions of the delivery errors we see (its error dictionary); status callbacks
// carry only the code.
const DELIVERY_ERRORS: Record<string, string> = {
  "30001": "Queue overflow",
  "30002": "Account suspended",
  "30003": "Unreachable destination handset",
  "30004": "Message blocked",
  "30005": "Unknown destination handset",
  "30006": "Landline or unreachable carrier",
  "30007": "Message filtered by the carrier",
  "30008": "Unknown error",
};

/** The report a status callback makes, or null for a status that says nothing about delivery. */
export function twilioStatusReport(callback: TwilioStatusCallback): ProviderReport | null {
  const status = STATUS[callback.MessageStatus];
  if (!status) return null;
  const failed = status === "failed" || status === "undelivered";
  const code = failed ? (callback.ErrorCode ?? (callback.MessageStatus === "canceled" ? "canceled" : null)) : null;
  const effect = failed && callback.ErrorCode ? contactEffectOfDeliveryError(Number(callback.ErrorCode)) : null;
  return {
    status,
    errorCode: code,
    errorMessage: code === null
      ? null
      : (DELIVERY_ERRORS[code] ?? (code === "canceled" ? "Twilio canceled the message" : `Twilio error ${code}`)),
    contactEffect: effect,
    effectSource: null,
  };
}

// Twilio's default opt-out and opt-in keywords for long codes (reference/messaging-providers.md).
const STOP_WORDS = new Set(["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"]);
const START_WORDS = new Set(["START", "UNSTOP", "YES"]);

export type InboundIntent = "stop" | "start" | "reply";

/**
 * STOP / START when the whole text, trimmed, is one of the keywords in any case (SPEC §10), or
 * when Twilio's Advanced Opt-Out says so; anything else ("Stop please", HELP) is a reply.
 */
export function inboundIntent(message: Pick<TwilioInbound, "Body" | "OptOutType">): InboundIntent {
  const optOut = message.OptOutType?.trim().toUpperCase();
  if (optOut === "STOP") return "stop";
  if (optOut === "START") return "start";
  const word = message.Body.trim().toUpperCase();
  if (STOP_WORDS.has(word)) return "stop";
  if (START_WORDS.has(word)) return "start";
  return "reply";
}

/** Empty TwiML: no reply of our own (Twilio answers STOP / START / HELP itself). */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
