// The bodies of what the sandbox sends out, shaped as Twilio and Resend send them.
import type { MessagingSandbox } from "./context.ts";
import type { EmailRecord, SmsRecord } from "./store.ts";

/** A status callback's form parameters (Twilio: outbound message status callbacks). */
export function statusCallbackParams(sb: MessagingSandbox, m: SmsRecord): Record<string, string> {
  const params: Record<string, string> = {
    AccountSid: sb.options.accountSid,
    ApiVersion: "2010-04-01",
    From: m.from ?? m.senderNumber,
    MessageSid: m.sid,
    MessageStatus: m.status,
    SmsSid: m.sid,
    SmsStatus: m.status,
    To: m.to,
  };
  if (m.messagingServiceSid) params.MessagingServiceSid = m.messagingServiceSid;
  if (m.errorCode !== null) params.ErrorCode = String(m.errorCode);
  return params;
}

/** An inbound message's form parameters (Twilio: incoming message webhook, Advanced Opt-Out). */
export function inboundParams(
  sb: MessagingSandbox,
  m: SmsRecord,
  optOutType: "STOP" | "START" | "HELP" | null,
): Record<string, string> {
  const params: Record<string, string> = {
    AccountSid: sb.options.accountSid,
    ApiVersion: "2010-04-01",
    Body: m.body,
    From: m.from!,
    MessageSid: m.sid,
    NumMedia: "0",
    NumSegments: String(m.numSegments),
    SmsMessageSid: m.sid,
    SmsSid: m.sid,
    SmsStatus: "received",
    To: m.to,
  };
  if (m.messagingServiceSid) params.MessagingServiceSid = m.messagingServiceSid;
  if (optOutType) params.OptOutType = optOutType;
  return params;
}

/** A Resend webhook event (`{type, created_at, data: {email_id, …}}`). */
export function emailEvent(e: EmailRecord, type: string, at: number): Record<string, unknown> {
  const data: Record<string, unknown> = {
    created_at: new Date(e.createdAt).toISOString(),
    email_id: e.id,
    from: e.from,
    to: e.to,
    subject: e.subject,
    headers: Object.entries(e.headers).map(([name, value]) => ({ name, value })),
  };
  if (type === "email.bounced") {
    data.bounce = {
      message: "The recipient's mail server permanently rejected the email (sandbox scripted bounce).",
      subType: "General",
      type: "Permanent",
    };
  }
  return { type, created_at: new Date(at).toISOString(), data };
}

/** Twilio's JSON for one message resource. */
export function smsJson(sb: MessagingSandbox, m: SmsRecord) {
  const uri = `/2010-04-01/Accounts/${sb.options.accountSid}/Messages/${m.sid}`;
  return {
    account_sid: sb.options.accountSid,
    api_version: "2010-04-01",
    body: m.body,
    date_created: rfc(m.dateCreated),
    date_sent: m.dateSent === null ? null : rfc(m.dateSent),
    date_updated: rfc(m.dateUpdated),
    direction: m.direction,
    error_code: m.errorCode,
    error_message: m.errorMessage,
    from: m.from,
    messaging_service_sid: m.messagingServiceSid,
    num_media: "0",
    num_segments: String(m.numSegments),
    price: null,
    price_unit: "USD",
    sid: m.sid,
    status: m.status,
    subresource_uris: { media: `${uri}/Media.json` },
    to: m.to,
    uri: `${uri}.json`,
  };
}

function rfc(ms: number): string {
  return new Date(ms).toUTCString().replace("GMT", "+0000");
}
