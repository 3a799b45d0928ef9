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

const friendly: Record<string, string> = {
  access_denied: 'Jobber access was not granted.',
  consent_denied: 'Jobber access was not granted.',
  account_in_use: 'That Jobber account is already connected to another Blipp business.',
  already_connected: 'This business is already connected to Jobber.',
  forbidden_role: 'Only owners and admins can change the Jobber connection.',
  not_a_member: 'You are not a member of this business.',
  not_connected: 'Connect Jobber before syncing customers.',
  unauthenticated: 'Your session has ended. Sign in again.',
  jobber_unavailable: 'Jobber could not be reached. Try again in a few minutes.',
  unexpected_response: UNEXPECTED_RESPONSE,
};

/**
 * A sentence for people: known codes read naturally; otherwise the server's own message (which SPEC §5
 * promises is a safe sentence), then a generic fallback.
 */
export function describeError(code: string, message?: string | null): string {
  const known = friendly[code];
  if (known) return known;
  if (/denied/i.test(code)) return 'Jobber access was not granted.';
  const trimmed = message?.trim();
  return trimmed ? trimmed : 'Something went wrong. Try again.';
}
