// One-click email unsubscribe (SPEC §10, RFC 8058): a request's unsubscribe token names the
// business its emails came from and lets the recipient opt that address out - nothing else, and
// never the address itself. review-unsubscribe records it; review-unsubscribe-info tells the page
// which business the link is about.
import type { TransactionSql } from "../db.ts";

/** 128-bit random tokens, base64url (review_requests.unsubscribe_token). */
export const UNSUBSCRIBE_TOKEN = /^[A-Za-z0-9_-]{22}$/;

/** The token in a link (`?t=`), or null when there is none that could be one. */
export function tokenFrom(url: string): string | null {
  const t = new URL(url).searchParams.get("t");
  return t !== null && UNSUBSCRIBE_TOKEN.test(t) ? t : null;
}

export interface UnsubscribeSubject {
  businessName: string;
  unsubscribed: boolean;
}

export async function unsubscribeSubject(tx: TransactionSql, token: string): Promise<UnsubscribeSubject | null> {
  const [row] = await tx<{ business_name: string; unsubscribed: boolean }[]>`
    select business_name, unsubscribed from private.review_unsubscribe_subject(${token})`;
  return row ? { businessName: row.business_name, unsubscribed: row.unsubscribed } : null;
}

/** Records the opt-out; null for an unknown token. Using it again is harmless (`newly` false). */
export async function unsubscribe(
  tx: TransactionSql,
  token: string,
): Promise<{ businessName: string; newly: boolean } | null> {
  const [row] = await tx<{ business_name: string; newly_unsubscribed: boolean }[]>`
    select business_name, newly_unsubscribed from private.review_unsubscribe(${token})`;
  return row ? { businessName: row.business_name, newly: row.newly_unsubscribed } : null;
}

export const INVALID_LINK = "This unsubscribe link is not valid.";
