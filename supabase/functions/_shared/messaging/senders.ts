// Builds one Sender per channel from the validated config. A channel without configuration gets a
// sender that reports itself unavailable: nothing is faked, nothing is sent.
import type { MessagingConfig } from "./config.ts";
import { createResendSender } from "./resend.ts";
import { createTwilioSender } from "./twilio.ts";
import type { Channel, ResolveOutcome, Sender, SenderDeps, SendOutcome } from "./types.ts";

export interface Senders {
  sms: Sender;
  email: Sender;
}

const VARIABLES: Record<Channel, string> = {
  sms: "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER",
  email: "RESEND_API_KEY, RESEND_WEBHOOK_SECRET and EMAIL_FROM",
};

export function unavailableSender(channel: Channel): Sender {
  const reason = `${channel === "sms" ? "SMS" : "Email"} is not configured (set ${VARIABLES[channel]})`;
  const outcome = { kind: "unavailable", reason } as const;
  return {
    channel,
    provider: null,
    available: false,
    senderKey: `${channel}:unconfigured`,
    send: (): Promise<SendOutcome> => Promise.resolve(outcome),
    resolveUnknown: (): Promise<ResolveOutcome> => Promise.resolve(outcome),
  };
}

export function createSenders(config: MessagingConfig, deps: SenderDeps): Senders {
  return {
    sms: config.twilio ? createTwilioSender(config.twilio, config, deps) : unavailableSender("sms"),
    email: config.resend ? createResendSender(config.resend, deps) : unavailableSender("email"),
  };
}

/** Which channels can send, for the card ("the card says which channels are configured"). */
export function availableChannels(config: MessagingConfig): Channel[] {
  return [...(config.twilio ? ["sms" as const] : []), ...(config.resend ? ["email" as const] : [])];
}
