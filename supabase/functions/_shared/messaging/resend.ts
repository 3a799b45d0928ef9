// Resend's POST /emails over plain fetch, with the message id as Idempotency-Key and RFC 8058
// one-click unsubscribe headers.
import type { ResendConfig } from "./config.ts";
import { call } from "./http.ts";
import { mapResendSend } from "./resend_mapping.ts";
import { DEFAULT_SERVER_ERROR_WAIT_MS } from "./retry_after.ts";
import type { EmailMessage, OutgoingMessage, ResolveOutcome, Sender, SenderDeps, SendOutcome } from "./types.ts";

/** Resend keeps an Idempotency-Key's answer for 24 hours; we stop trusting it an hour earlier. */
export const IDEMPOTENCY_WINDOW_MS = 23 * 60 * 60_000;
const MAX_KEY_LENGTH = 256;

function assertEmail(message: OutgoingMessage): EmailMessage {
  if (message.channel !== "email") throw new TypeError(`The Resend sender sends email, not ${message.channel}`);
  return message;
}

/** RFC 8058: the URL in angle brackets plus the one-click marker; mailbox providers POST to it. */
export function listUnsubscribeHeaders(unsubscribeUrl: string): Record<string, string> {
  const url = new URL(unsubscribeUrl);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new TypeError("The unsubscribe URL must be an http(s) URL");
  }
  return { "List-Unsubscribe": `<${url.href}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" };
}

export function resendPayload(config: ResendConfig, email: EmailMessage): Record<string, unknown> {
  const headers: Record<string, string> = { ...email.headers };
  if (email.unsubscribeUrl !== null) Object.assign(headers, listUnsubscribeHeaders(email.unsubscribeUrl));
  return {
    from: config.from,
    to: [email.to],
    subject: email.subject,
    html: email.html,
    text: email.text,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(email.replyTo ? { reply_to: email.replyTo } : {}),
  };
}

export function createResendSender(config: ResendConfig, deps: SenderDeps): Sender {
  const post = async (email: EmailMessage): Promise<SendOutcome> => {
    if (email.id.length === 0 || email.id.length > MAX_KEY_LENGTH) {
      throw new RangeError(`An email's id is its Idempotency-Key and must be 1-${MAX_KEY_LENGTH} characters`);
    }
    const answer = await call(deps.fetch, `${config.apiBase}/emails`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${config.apiKey}`,
        "content-type": "application/json",
        accept: "application/json",
        "idempotency-key": email.id,
      },
      body: JSON.stringify(resendPayload(config, email)),
    }, deps.timeoutMs);
    if (!answer.ok) {
      return {
        kind: "retry",
        after: new Date(deps.now().getTime() + DEFAULT_SERVER_ERROR_WAIT_MS),
        reason: `Resend could not be reached: ${answer.reason}`,
        maybeAccepted: answer.reachedProvider,
        rateLimited: false,
      };
    }
    return mapResendSend(answer.status, answer.text, answer.headers, deps.now());
  };

  /**
   * Re-POSTs with the same Idempotency-Key: within Resend's window it answers the original response
   * without sending again, or sends now if the first request never arrived. Either way: once.
   */
  async function resolveUnknown(message: OutgoingMessage, attemptedAt: Date): Promise<ResolveOutcome> {
    const email = assertEmail(message);
    if (deps.now().getTime() - attemptedAt.getTime() > IDEMPOTENCY_WINDOW_MS) {
      return { kind: "undeterminable", reason: "The attempt is older than Resend's 24-hour idempotency window" };
    }
    const outcome = await post(email);
    switch (outcome.kind) {
      case "accepted":
        return { kind: "found", providerMessageId: outcome.providerMessageId, status: outcome.status };
      case "retry":
        return { kind: "retry", after: outcome.after, reason: outcome.reason };
      case "refused":
        if (outcome.code === "invalid_idempotent_request") {
          return { kind: "undeterminable", reason: "Resend has this key with a different email; it was sent before" };
        }
        return outcome;
      case "unavailable":
        return outcome;
    }
  }

  return {
    channel: "email",
    provider: "resend",
    available: true,
    // Resend limits requests per team (API key); the key itself never leaves this module.
    senderKey: "resend",
    send: (message) => post(assertEmail(message)),
    resolveUnknown,
  };
}
