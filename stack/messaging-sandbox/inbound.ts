// What a person does on the sandbox's phones and inboxes: reply to a text (STOP / START / HELP are
// Twilio's keywords: remembered per sender, confirmed by Twilio's own reply, reported as OptOutType),
// and press an email's Unsubscribe (the RFC 8058 one-click POST a mailbox provider makes).
import type { MessagingSandbox } from "./context.ts";
import { inboundParams } from "./events.ts";
import { KEYWORD_REPLIES, keywordOf } from "./scripted.ts";
import { type EmailRecord, newSmsSid, segmentsOf, type SmsRecord } from "./store.ts";

export interface ReplyResult {
  message: SmsRecord;
  keyword: "STOP" | "START" | "HELP" | null;
  /** The HTTP status the inbound webhook answered (0: no answer). */
  webhookStatus: number;
  autoReply: SmsRecord | null;
}

/** The number a phone is talking to: the one that last texted it, else our first number. */
export function senderFor(sb: MessagingSandbox, phone: string): string {
  const last = sb.store.sms.filter((m) => m.direction !== "inbound" && m.to === phone).at(-1);
  return last?.senderNumber ?? sb.options.numbers[0]!;
}

function record(sb: MessagingSandbox, fields: Pick<SmsRecord, "direction" | "from" | "to" | "body" | "senderNumber" | "status">): SmsRecord {
  const now = sb.now();
  const m: SmsRecord = {
    sid: newSmsSid(),
    messagingServiceSid: null,
    errorCode: null,
    errorMessage: null,
    dateCreated: now,
    dateSent: now,
    dateUpdated: now,
    statusCallback: null,
    numSegments: segmentsOf(fields.body),
    history: [{ status: fields.status, at: now }],
    deliveries: [],
    ...fields,
  };
  sb.store.sms.push(m);
  return m;
}

export async function reply(sb: MessagingSandbox, from: string, to: string | null, body: string): Promise<ReplyResult> {
  const ours = to ?? senderFor(sb, from);
  const message = record(sb, { direction: "inbound", from, to: ours, body, senderNumber: ours, status: "received" });
  const usesService = sb.store.sms.some((m) => m.direction === "outbound-api" && m.senderNumber === ours && m.messagingServiceSid);
  if (usesService) message.messagingServiceSid = sb.options.messagingServiceSid;
  const keyword = keywordOf(body);
  const stopKey = `${ours}|${from}`;
  if (keyword === "STOP") sb.store.stops.add(stopKey);
  if (keyword === "START") sb.store.stops.delete(stopKey);
  const webhookStatus = await sb.outbox.sendNow({
    kind: "twilio",
    url: sb.webhooks.smsInbound,
    payload: inboundParams(sb, message, keyword),
    record: message,
    what: "inbound",
  });
  const autoReply = keyword
    ? record(sb, { direction: "outbound-reply", from: ours, to: from, body: KEYWORD_REPLIES[keyword], senderNumber: ours, status: "delivered" })
    : null;
  sb.log("sms_received", { sid: message.sid, keyword, webhookStatus });
  return { message, keyword, webhookStatus, autoReply };
}

/** The List-Unsubscribe URL of an email, when it offers RFC 8058 one-click. */
export function oneClickUrl(e: EmailRecord): string | null {
  const entry = Object.entries(e.headers);
  const list = entry.find(([k]) => k.toLowerCase() === "list-unsubscribe")?.[1];
  const post = entry.find(([k]) => k.toLowerCase() === "list-unsubscribe-post")?.[1];
  if (!list || post?.trim() !== "List-Unsubscribe=One-Click") return null;
  const https = /<(https?:\/\/[^>]+)>/i.exec(list);
  return https ? https[1]! : null;
}

/** POSTs `List-Unsubscribe=One-Click` to the email's URL, as Gmail or Yahoo would. */
export async function unsubscribe(sb: MessagingSandbox, e: EmailRecord): Promise<number | null> {
  const url = oneClickUrl(e);
  if (url === null) return null;
  let status = 0;
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
      redirect: "manual",
      signal: AbortSignal.timeout(5_000),
    });
    status = res.status;
    await res.body?.cancel();
  } catch {
    status = 0;
  }
  e.unsubscribes.push({ url, status, at: new Date(sb.now()).toISOString() });
  sb.log("email_unsubscribe", { id: e.id, status });
  return status;
}
