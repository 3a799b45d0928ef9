// A created text moves on by itself: (accepted →) queued → sent → delivered, or undelivered /
// failed for scripted numbers, each step stamped and reported to its StatusCallback, signed.
import type { MessagingSandbox } from "./context.ts";
import { statusCallbackParams } from "./events.ts";
import { numberBehaviour } from "./scripted.ts";
import { ERROR_MESSAGES, type SmsRecord, type SmsStatus } from "./store.ts";

const FINAL = new Set<SmsStatus>(["delivered", "undelivered", "failed"]);

function move(sb: MessagingSandbox, m: SmsRecord, status: SmsStatus, errorCode: number | null = null): void {
  const at = sb.now();
  m.status = status;
  m.dateUpdated = at;
  m.history.push({ status, at });
  if (status === "sent") m.dateSent = at;
  if (errorCode !== null) {
    m.errorCode = errorCode;
    m.errorMessage = ERROR_MESSAGES[errorCode] ?? null;
  }
  if (m.statusCallback) {
    sb.outbox.emit(m.sid, {
      kind: "twilio",
      url: m.statusCallback,
      payload: statusCallbackParams(sb, m),
      record: m,
      what: status,
    }, FINAL.has(status));
  }
}

export function startLifecycle(sb: MessagingSandbox, m: SmsRecord): void {
  const { sentAfterMs, deliveredAfterMs } = sb.faults.lifecycle;
  const behaviour = numberBehaviour(m.to);
  if (m.messagingServiceSid) {
    // The service picks a number from its pool when it queues the message.
    sb.outbox.later(Math.floor(sentAfterMs / 2), () => {
      m.from = m.senderNumber;
      move(sb, m, "queued");
    });
  }
  if (behaviour.kind === "failed") {
    sb.outbox.later(sentAfterMs, () => move(sb, m, "failed", behaviour.code));
    return;
  }
  sb.outbox.later(sentAfterMs, () => move(sb, m, "sent"));
  sb.outbox.later(deliveredAfterMs, () => {
    if (behaviour.kind === "undelivered") move(sb, m, "undelivered", behaviour.code);
    else move(sb, m, "delivered");
  });
}
