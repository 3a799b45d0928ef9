// GET ?business_id= or POST {business_id}: which channels review requests can go out on here
// (SPEC §11: "the card says which channels are configured"), for any member of the business. It
// says whether Twilio (texts) and Resend (email) are configured - never a credential, sender or
// key - and the public URLs every message carries (the review link's base, the unsubscribe
// target), so the card's live preview shows the link the customer will get and checks the text's
// length with it. Membership is read as the user, under RLS.
import type { Runtime } from "../_shared/runtime.ts";
import type { MessagingConfig } from "../_shared/messaging/config.ts";
import { json, serveFunction } from "../_shared/http.ts";
import { asUser } from "../_shared/db.ts";
import { notAMember } from "../_shared/errors.ts";
import { authenticateUser, businessRequest, readInput } from "../_shared/user_request.ts";

export interface ReviewChannels {
  sms: { configured: boolean; provider: "twilio" };
  email: { configured: boolean; provider: "resend" };
  /** Messages carry `<review_link_base>?t=<token>` (REVIEW_LINK_BASE, else …/review-link). */
  review_link_base: string;
  /** The RFC 8058 one-click unsubscribe target of every email (`?t=<token>` added per request). */
  unsubscribe_url: string;
}

/** The answer, from the validated messaging configuration only (no secrets are in it). */
export function reviewChannels(messaging: MessagingConfig): ReviewChannels {
  return {
    sms: { configured: messaging.twilio !== null, provider: "twilio" },
    email: { configured: messaging.resend !== null, provider: "resend" },
    review_link_base: messaging.reviewLinkBase,
    unsubscribe_url: messaging.reviewUnsubscribeUrl,
  };
}

export function createHandler(rt: Runtime) {
  const logger = rt.logger("review-channels");
  const answer = reviewChannels(rt.messaging);
  return serveFunction({ appOrigin: rt.config.appOrigin, methods: ["GET", "POST"], logger }, async (req) => {
    const user = await authenticateUser(req, rt);
    const { business_id } = await readInput(req, businessRequest);
    // RLS shows a business to its members only: the same answer for someone else's and an unknown one.
    const [row] = await asUser(
      rt.sql,
      user,
      (tx) =>
        tx<
          { member: boolean }[]
        >`select exists (select 1 from public.businesses where id = ${business_id}) as member`,
    );
    if (!row?.member) throw notAMember();
    return json(200, answer);
  });
}
