// Twilio Programmable Messaging over plain fetch (no SDK: Edge Functions have no Node built-ins).
import { bytesToBase64, toBytes } from "../crypto.ts";
import type { MessagingConfig, TwilioConfig } from "./config.ts";
import { call } from "./http.ts";
import { findOurMessage, mapTwilioCreate, pageIsOlderThan, twilioListSchema } from "./twilio_mapping.ts";
import { DEFAULT_SERVER_ERROR_WAIT_MS } from "./retry_after.ts";
import type { OutgoingMessage, ResolveOutcome, Sender, SenderDeps, SendOutcome, SmsMessage } from "./types.ts";

/** A crash lookup reads at most this many pages of 50 before giving up (never guessing "not sent"). */
const LOOKUP_MAX_PAGES = 20;
const PAGE_SIZE = 50;

function assertSms(message: OutgoingMessage): SmsMessage {
  if (message.channel !== "sms") throw new TypeError(`The Twilio sender sends SMS, not ${message.channel}`);
  return message;
}

export function createTwilioSender(
  twilio: TwilioConfig,
  messaging: Pick<MessagingConfig, "smsWebhookUrl">,
  deps: SenderDeps,
): Sender {
  const accountPath = `${twilio.apiBase}/2010-04-01/Accounts/${encodeURIComponent(twilio.accountSid)}`;
  const authorization = `Basic ${bytesToBase64(toBytes(`${twilio.accountSid}:${twilio.authToken}`))}`;
  const senderKey = twilio.messagingServiceSid ?? twilio.fromNumber!;

  const lostAnswer = (reason: string, reachedProvider: boolean): SendOutcome => ({
    kind: "retry",
    after: new Date(deps.now().getTime() + DEFAULT_SERVER_ERROR_WAIT_MS),
    reason: `Twilio could not be reached: ${reason}`,
    maybeAccepted: reachedProvider,
    rateLimited: false,
  });

  async function send(message: OutgoingMessage): Promise<SendOutcome> {
    const sms = assertSms(message);
    const form = new URLSearchParams({ To: sms.to, Body: sms.body });
    if (twilio.messagingServiceSid) form.set("MessagingServiceSid", twilio.messagingServiceSid);
    else form.set("From", twilio.fromNumber!);
    form.set("StatusCallback", sms.statusCallbackUrl ?? messaging.smsWebhookUrl);
    const answer = await call(deps.fetch, `${accountPath}/Messages.json`, {
      method: "POST",
      headers: {
        authorization,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: form,
    }, deps.timeoutMs);
    if (!answer.ok) return lostAnswer(answer.reason, answer.reachedProvider);
    return mapTwilioCreate(answer.status, answer.text, answer.headers, deps.now());
  }

  /**
   * Lists messages to the number, newest first, and matches ours (findOurMessage). No DateSent
   * filter: Twilio sets date_sent only once the carrier has it, so a filter on it would miss a
   * message still queued, and we would send it twice.
   */
  async function resolveUnknown(message: OutgoingMessage, attemptedAt: Date): Promise<ResolveOutcome> {
    const sms = assertSms(message);
    const query = new URLSearchParams({ To: sms.to, PageSize: String(PAGE_SIZE) });
    let url: string | null = `${accountPath}/Messages.json?${query}`;
    for (let page = 0; url !== null && page < LOOKUP_MAX_PAGES; page++) {
      const answer = await call(deps.fetch, url, { method: "GET", headers: { authorization, accept: "application/json" } }, deps.timeoutMs);
      const later = new Date(deps.now().getTime() + DEFAULT_SERVER_ERROR_WAIT_MS);
      if (!answer.ok) return { kind: "retry", after: later, reason: `Twilio could not be reached: ${answer.reason}` };
      if (answer.status === 401 || answer.status === 403) {
        return { kind: "unavailable", reason: "Twilio refused the account credentials while looking the message up" };
      }
      if (answer.status !== 200) {
        return { kind: "retry", after: later, reason: `Twilio answered ${answer.status} to the message lookup` };
      }
      let parsed;
      try {
        parsed = twilioListSchema.safeParse(JSON.parse(answer.text));
      } catch {
        parsed = null;
      }
      if (!parsed?.success) return { kind: "retry", after: later, reason: "Twilio's message list was unreadable" };
      const ours = findOurMessage(parsed.data.messages, sms, attemptedAt);
      if (ours) return { kind: "found", providerMessageId: ours.sid, status: ours.status };
      if (pageIsOlderThan(parsed.data.messages, attemptedAt)) return { kind: "not_sent" };
      // next_page_uri is a path on the API's origin (`/2010-04-01/Accounts/…&PageToken=…`).
      url = parsed.data.next_page_uri ? new URL(parsed.data.next_page_uri, twilio.apiBase).href : null;
    }
    if (url !== null) {
      return { kind: "undeterminable", reason: `More than ${LOOKUP_MAX_PAGES * PAGE_SIZE} messages to this number since the attempt` };
    }
    return { kind: "not_sent" };
  }

  return { channel: "sms", provider: "twilio", available: true, senderKey, send, resolveUnknown };
}
