import type { Activity, Business, ChartDay, OptOut, ReviewChannels, ReviewSettings } from './schemas';

/** Everything the card shows, as last read. */
export interface ReviewsData {
  business: Business;
  settings: ReviewSettings;
  /** The newest decisions, newest first. */
  activity: Activity[];
  /** Requests waiting for approval, oldest first. */
  held: Activity[];
  optOuts: OptOut[];
  /** All opt-outs of the business (optOuts holds the newest of them). */
  optOutTotal: number;
  chart: ChartDay[];
  /** null while unknown or when review-channels could not be reached (channelsError says why). */
  channels: ReviewChannels | null;
  channelsError: string | null;
  /** The Jobber connection's status (connected, disconnected, …), null when unknown. */
  jobberStatus: string | null;
  /**
   * Jobber updates that failed for good (dead letters): jobs they carry are not recorded, so not
   * decided, until replayed - which the Jobber card's Updates from Jobber row does.
   */
  jobberUpdatesFailed: number;
}

/** Every state the card can be in; it renders exactly one. */
export type ReviewsCardState =
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  /** Review requests are off: nothing is asked automatically. */
  | { kind: 'off'; data: ReviewsData }
  /** On, but Jobber is not connected: completions are decided not_connected. */
  | { kind: 'not_connected'; data: ReviewsData }
  /** On and connected, with requests waiting for approval. */
  | { kind: 'needs_approval'; data: ReviewsData }
  | { kind: 'on'; data: ReviewsData };

export function deriveReviewsState(data: ReviewsData | null, loadError: string | null): ReviewsCardState {
  if (data === null) return loadError === null ? { kind: 'loading' } : { kind: 'error', message: loadError };
  if (!data.settings.enabled) return { kind: 'off', data };
  if (data.jobberStatus !== null && data.jobberStatus !== 'connected') return { kind: 'not_connected', data };
  if (data.held.length > 0) return { kind: 'needs_approval', data };
  return { kind: 'on', data };
}

export type Role = 'owner' | 'admin' | 'member';

export function canManageReviews(role: Role): boolean {
  return role === 'owner' || role === 'admin';
}
