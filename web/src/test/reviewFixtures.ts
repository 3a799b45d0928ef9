// Rows as the database answers them for the reviews card: a review_settings row, review_activity
// JSON (one decision with its job, customer, request, messages and replies), chart days, opt-outs,
// and a fake Supabase client holding all of them.
import type { Activity, ChartDay, OptOut, ReviewSettings } from '../reviews/schemas';
import { BUSINESS_ID, createFakeSupabase, ok, connectedStatus } from './fakeSupabase';
import { answer, type Row } from './fakeTables';

export const NOW = Date.parse('2025-10-12T15:00:00.000Z');
export const LINK_BASE = 'http://127.0.0.1:54321/functions/v1/review-link';
export const UNSUBSCRIBE_URL = 'http://127.0.0.1:54321/functions/v1/review-unsubscribe';

export function makeSettings(overrides: Partial<ReviewSettings> = {}): ReviewSettings {
  return {
    business_id: BUSINESS_ID,
    enabled: true,
    trigger: 'job_closed',
    delay_minutes: 120,
    channels: ['sms', 'email'],
    follow_ups: 1,
    follow_up_days: 3,
    reask_days: 180,
    send_window_start: '08:00:00',
    send_window_end: '21:00:00',
    min_job_total: null,
    require_approval: false,
    backfill_per_hour: 20,
    review_url: 'https://example.com/reviews/brightside',
    sender_name: null,
    sms_template: "Hi {first_name}, thanks for choosing {business_name}! Would you take a moment to review {technician}'s work? {link}",
    email_subject: 'How did {business_name} do?',
    email_template: 'Hi {first_name},\n\nThank you for choosing {business_name}.\n\n{link}\n\nThank you!',
    updated_at: '2025-10-01T12:00:00.000Z',
    ...overrides,
  };
}

let counter = 0;
const id = (prefix: string) => `${prefix}-${String(++counter).padStart(4, '0')}`;

type MessageOverrides = Partial<NonNullable<Activity['request']>['messages'][number]>;

export function makeMessage(overrides: MessageOverrides = {}): NonNullable<Activity['request']>['messages'][number] {
  return {
    id: id('message'),
    step: 0,
    channel: 'sms',
    to_address: '+12125550143',
    status: 'scheduled',
    scheduled_for: '2025-10-12T16:00:00.000Z',
    sent_at: null,
    delivered_at: null,
    status_at: '2025-10-12T14:00:00.000Z',
    error_code: null,
    cancel_reason: null,
    ...overrides,
  };
}

export interface ActivityOverrides extends Partial<Omit<Activity, 'request'>> {
  request?: Partial<NonNullable<Activity['request']>> | null;
}

/** A requested decision for Jane Doe's job #42, step 0 scheduled by text. */
export function makeActivity(overrides: ActivityOverrides = {}): Activity {
  const { request: requestOverrides, ...rest } = overrides;
  const base: Activity = {
    decision_id: id('decision'),
    outcome: 'requested',
    reason: 'requested',
    detail: { channel: 'sms', scheduled_for: '2025-10-12T16:00:00.000Z', moved_for_send_window: false, time_zone: 'America/New_York' },
    decided_at: '2025-10-12T14:00:00.000Z',
    completion: { kind: 'job_closed', source: 'webhook', completed_at: '2025-10-12T14:00:00.000Z' },
    job: { id: id('job'), title: 'Deep clean', job_number: 42, total: 180, deleted: false },
    customer: { id: id('customer'), name: 'Jane Doe', status: 'active' },
    other_customer_name: null,
    request: {
      id: id('request'),
      state: 'scheduled',
      origin: 'automatic',
      cancel_reason: null,
      clicked_at: null,
      click_count: 0,
      approved_at: null,
      messages: [makeMessage()],
      replies: [],
    },
  };
  const request = requestOverrides === null ? null : { ...base.request!, ...(requestOverrides ?? {}) };
  return { ...base, ...rest, request };
}

/** A skipped decision with its reason and detail. */
export function skipped(reason: string, detail: Record<string, unknown> = {}, overrides: ActivityOverrides = {}): Activity {
  return makeActivity({ outcome: 'skipped', reason, detail, request: null, ...overrides });
}

export function held(overrides: ActivityOverrides = {}): Activity {
  return makeActivity({
    outcome: 'held',
    reason: 'held',
    ...overrides,
    request: { state: 'held', messages: [makeMessage({ status: 'held' }), makeMessage({ step: 1, status: 'held' })], ...(overrides.request ?? {}) },
  });
}

export function chartDays(values: Array<[number, number, number]> = []): ChartDay[] {
  return Array.from({ length: 30 }, (_, i) => {
    const day = new Date(Date.UTC(2025, 8, 13 + i)).toISOString().slice(0, 10);
    const [sent, delivered, clicked] = values[i] ?? [0, 0, 0];
    return { day, sent, delivered, clicked };
  });
}

export function optOut(overrides: Partial<OptOut> = {}): OptOut {
  return { channel: 'sms', address: '+12125550199', source: 'manual', created_at: '2025-10-10T12:00:00.000Z', ...overrides };
}

/** One review_activity row, as the view has it (the card selects its `activity` column). */
export function activityRow(activity: Activity, businessId = BUSINESS_ID): Row {
  return {
    business_id: businessId,
    decision_id: activity.decision_id,
    decided_at: activity.decided_at,
    completed_at: activity.completion.completed_at,
    request_state: activity.request?.state ?? null,
    activity,
  };
}

export interface ReviewsWorld {
  settings?: ReviewSettings;
  activity?: Activity[];
  optOuts?: OptOut[];
  chart?: ChartDay[];
  channels?: { sms: boolean; email: boolean } | 'fail';
  connection?: 'connected' | 'disconnected';
  country?: string;
}

/** A fake client whose database holds one business's review data. */
export function reviewsFake(world: ReviewsWorld = {}) {
  const settings = world.settings ?? makeSettings();
  const activity = world.activity ?? [];
  const fake = createFakeSupabase({
    statuses: { [BUSINESS_ID]: world.connection === 'disconnected' ? connectedStatus({ connected: false, connectionStatus: 'disconnected' }) : connectedStatus() },
    tables: {
      businesses: [{ id: BUSINESS_ID, name: 'Brightside Cleaning', country: world.country ?? 'US', timezone: 'America/New_York' }],
      review_settings: [{ ...settings }],
      review_activity: activity.map((a) => activityRow(a)),
      contact_opt_outs: (world.optOuts ?? []).map((o) => ({ business_id: BUSINESS_ID, ...o })),
    },
    rpc: {
      review_chart: () => answer(world.chart ?? chartDays()),
    },
    functions: {
      'review-channels': () =>
        world.channels === 'fail'
          ? { data: null, error: new Error('network down') }
          : ok({
            sms: { configured: world.channels?.sms ?? true, provider: 'twilio' },
            email: { configured: world.channels?.email ?? true, provider: 'resend' },
            review_link_base: LINK_BASE,
            unsubscribe_url: UNSUBSCRIBE_URL,
          }),
    },
  });
  return fake;
}
