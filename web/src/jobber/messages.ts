import { z } from 'zod';

/** What the callback page posts to the window that opened the Jobber popup. */
export const jobberMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('JOBBER_CONNECTED'), accountName: z.string() }).strict(),
  z.object({ type: z.literal('JOBBER_ERROR'), code: z.string(), message: z.string() }).strict(),
]);

export type JobberMessage = z.infer<typeof jobberMessageSchema>;

export function parseJobberMessage(data: unknown): JobberMessage | null {
  const parsed = jobberMessageSchema.safeParse(data);
  return parsed.success ? parsed.data : null;
}

/** sessionStorage key naming the business whose connect flow fell back to a full-page redirect. */
export const CONNECTING_BUSINESS_KEY = 'blipp.jobber.connectingBusiness';

export const UNEXPECTED_RESPONSE = 'Jobber sent an unexpected response.';
export const EXPIRED_CLAIM = 'This install link has expired or was already used. Start the connection again from Blipp.';
export const MALFORMED_CLAIM = 'This install link is incomplete or damaged. Open it again from Jobber, or start connecting from Blipp.';
/** The one line for a code the page does not know: it never repeats text from its address. */
export const GENERIC_FAILURE = 'Jobber could not be connected. Start again from Blipp.';

const friendly: Record<string, string> = {
  access_denied: 'Jobber access was not granted.',
  consent_denied: 'Jobber access was not granted.',
  account_in_use: 'That Jobber account is already connected to another Blipp business.',
  already_connected: 'This business is already connected to Jobber.',
  forbidden_role: 'Only owners and admins can change the Jobber connection.',
  not_a_member: 'You are not a member of this business.',
  not_initiator: 'Only the person who started connecting Jobber can finish it. Sign in as that person, or start again from Blipp.',
  not_connected: 'Connect Jobber before syncing customers.',
  unauthenticated: 'Your session has ended. Sign in again.',
  invalid_state: 'This connection link is no longer valid (it works once, for 10 minutes). Start again from Blipp.',
  rate_limited: 'Too many connection attempts right now. Try again in a minute.',
  jobber_error: 'Jobber did not accept the connection. Start again from Blipp.',
  jobber_unavailable: 'Jobber could not be reached. Try again in a few minutes.',
  internal_error: 'Something went wrong on our side. Try again in a few minutes.',
  network_error: 'Blipp could not reach the server. Check your connection and try again.',
  unexpected_response: UNEXPECTED_RESPONSE,
};

/** The fixed sentence for a known code, or null. */
export function knownError(code: string): string | null {
  return Object.hasOwn(friendly, code) ? friendly[code]! : null;
}

/**
 * A sentence for people, for an error the server answered: known codes read naturally; otherwise
 * the server's own message (which SPEC §5 promises is a safe sentence), then a generic fallback.
 * Never call this with text taken from a page's address: use callbackErrorText.
 */
export function describeError(code: string, message?: string | null): string {
  const known = knownError(code);
  if (known) return known;
  if (/denied/i.test(code)) return 'Jobber access was not granted.';
  const trimmed = message?.trim();
  return trimmed ? trimmed : 'Something went wrong. Try again.';
}

/**
 * For a code read from the callback page's address: fixed wording per known code and one generic
 * line otherwise. Anything in the address can be written by anyone who sends a link, so none of it
 * is ever shown.
 */
export function callbackErrorText(code: string): string {
  return knownError(code) ?? GENERIC_FAILURE;
}
