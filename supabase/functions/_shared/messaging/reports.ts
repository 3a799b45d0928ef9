// A provider's report about one of our messages (a Twilio status callback, a Resend event) in
// review_messages' terms, and the one SQL call that records it: private.review_message_report moves
// the message forward only, applies what the report means for the contact, and parks a report for
// an id the sender has not recorded yet.
import type { TransactionSql } from "../db.ts";
import type { ContactEffect } from "./types.ts";

export interface ProviderReport {
  status: "queued" | "sent" | "delivered" | "failed" | "undelivered";
  errorCode: string | null;
  errorMessage: string | null;
  contactEffect: ContactEffect;
  /** The opt-out's source when contactEffect is opted_out (null: the channel's default). */
  effectSource: "sms_stop" | "email_unsubscribe" | "email_complaint" | null;
}

export type ReportOutcome = "moved" | "unchanged" | "parked";

export async function recordReport(
  tx: TransactionSql,
  provider: "twilio" | "resend",
  providerMessageId: string,
  report: ProviderReport,
  at: Date,
): Promise<ReportOutcome> {
  const [row] = await tx<{ outcome: ReportOutcome }[]>`
    select private.review_message_report(${provider}, ${providerMessageId}, ${report.status}, ${at},
      ${report.errorCode}, ${report.errorMessage}, ${report.contactEffect}, ${report.effectSource}) as outcome`;
  return row!.outcome;
}
