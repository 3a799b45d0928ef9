// The one sending interface behind which Twilio (SMS) and Resend (email) sit. The review-message
// worker only ever sees these types: which provider answered, and how, is mapped into one outcome.

export type Channel = "sms" | "email";

export interface SmsMessage {
  channel: "sms";
  /** Our review_messages.id: the idempotency key, and the marker a crash lookup matches on. */
  id: string;
  /** E.164 phone number. */
  to: string;
  body: string;
  /** Where Twilio posts status callbacks; defaults to the configured sms-webhook URL. */
  statusCallbackUrl?: string;
}

export interface EmailMessage {
  channel: "email";
  /** Our review_messages.id, sent as Resend's Idempotency-Key. */
  id: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  /**
   * The review-unsubscribe URL for this message's request (RFC 8058 one-click). Review requests
   * always carry one; null only for messages that are not marketing (none today).
   */
  unsubscribeUrl: string | null;
  /** Extra headers; List-Unsubscribe and List-Unsubscribe-Post are set from unsubscribeUrl. */
  headers?: Record<string, string>;
  replyTo?: string;
}

export type OutgoingMessage = SmsMessage | EmailMessage;

/** What a permanent refusal says about the contact, so the caller can mark it once and for all. */
export type ContactEffect = "phone_unusable" | "email_unusable" | "opted_out" | null;

export type SendOutcome =
  /** The provider took the message; `status` is its own initial status (Twilio: queued / accepted). */
  | { kind: "accepted"; providerMessageId: string; status: string }
  /** Permanently refused: retrying the same message can never succeed. `code` is the provider's. */
  | { kind: "refused"; code: string; reason: string; contactEffect: ContactEffect }
  /**
   * Not sent now; try again at `after`. `maybeAccepted` is true when the provider may have taken
   * the message anyway (a 5xx or a lost answer): resolve it with `resolveUnknown` before sending
   * again, never blindly re-send.
   */
  | { kind: "retry"; after: Date; reason: string; maybeAccepted: boolean; rateLimited: boolean }
  /** The channel is not configured, or the provider refused our credentials. */
  | { kind: "unavailable"; reason: string };

export type ResolveOutcome =
  /** The provider has the message: record it as accepted, do not send again. */
  | { kind: "found"; providerMessageId: string; status: string }
  /** The provider has no trace of it: sending it (once) is safe. */
  | { kind: "not_sent" }
  /** Resend answered the idempotent re-POST with a refusal: the message was never accepted. */
  | { kind: "refused"; code: string; reason: string; contactEffect: ContactEffect }
  /** The provider could not be asked now; ask again at `after`. */
  | { kind: "retry"; after: Date; reason: string }
  /** The provider cannot tell (e.g. past Resend's 24-hour idempotency window): never re-send. */
  | { kind: "undeterminable"; reason: string }
  | { kind: "unavailable"; reason: string };

export interface Sender {
  readonly channel: Channel;
  /** "twilio" / "resend", or null for a channel without configuration. */
  readonly provider: "twilio" | "resend" | null;
  readonly available: boolean;
  /** Identifies the provider-side sender that rate limits apply to (From number, service, API key). */
  readonly senderKey: string;
  send(message: OutgoingMessage): Promise<SendOutcome>;
  /**
   * For a message left `sending` by a crash between marking it and the provider's answer:
   * asks the provider whether it took the message. `attemptedAt` is when it was marked sending.
   */
  resolveUnknown(message: OutgoingMessage, attemptedAt: Date): Promise<ResolveOutcome>;
}

/** The dependencies a sender takes, injected so tests use a stubbed fetch and a manual clock. */
export interface SenderDeps {
  fetch: typeof fetch;
  now: () => Date;
  /** Per request; a provider that does not answer in time is treated as "maybe accepted". */
  timeoutMs?: number;
}
