import { z } from 'zod';

// What the reviews card reads, each parsed with one schema at the boundary: the review_settings
// row, the review_activity view's JSON (built once, in SQL), the review_chart rows, the answers of
// the owner actions and of review-channels, opt-outs and the business. Only the fields the card
// uses; the database may add more. Reasons and cancel reasons stay strings: a reason the card does
// not know yet is still shown (in words derived from its code) rather than failing the whole card.

const isoTime = z.string().refine((value) => !Number.isNaN(Date.parse(value)), { message: 'Expected a date and time' });
const maybeTime = isoTime.nullish().transform((value) => value ?? null);
const text = z.string().nullish().transform((value) => value ?? null);
const count = z.number().int().nonnegative();

export const channelSchema = z.enum(['sms', 'email']);
export type Channel = z.infer<typeof channelSchema>;

export const messageStatusSchema = z.enum([
  'held', 'scheduled', 'sending', 'queued', 'sent', 'delivered', 'failed', 'undelivered', 'suppressed', 'cancelled',
]);
export type MessageStatus = z.infer<typeof messageStatusSchema>;

export const requestStateSchema = z.enum(['held', 'scheduled', 'in_progress', 'done', 'clicked', 'cancelled']);
export type RequestState = z.infer<typeof requestStateSchema>;

export const reviewSettingsSchema = z.object({
  business_id: z.string(),
  enabled: z.boolean(),
  trigger: z.enum(['job_closed', 'visit_completed']),
  delay_minutes: z.number().int(),
  channels: z.array(channelSchema).min(1),
  follow_ups: z.number().int(),
  follow_up_days: z.number().int(),
  reask_days: z.number().int(),
  // Postgres `time`: "08:00:00".
  send_window_start: z.string(),
  send_window_end: z.string(),
  min_job_total: z.number().nullable(),
  require_approval: z.boolean(),
  backfill_per_hour: z.number().int(),
  review_url: text,
  sender_name: text,
  sms_template: z.string(),
  email_subject: z.string(),
  email_template: z.string(),
  updated_at: isoTime,
});
export type ReviewSettings = z.output<typeof reviewSettingsSchema>;

const messageSchema = z.object({
  id: z.string(),
  step: z.number().int(),
  channel: channelSchema,
  to_address: z.string(),
  status: messageStatusSchema,
  scheduled_for: isoTime,
  sent_at: maybeTime,
  delivered_at: maybeTime,
  status_at: isoTime,
  error_code: text,
  cancel_reason: text,
});
export type ReviewMessage = z.output<typeof messageSchema>;

const replySchema = z.object({ id: z.string(), channel: channelSchema, body: z.string(), received_at: isoTime });
export type ReviewReply = z.output<typeof replySchema>;

const requestSchema = z.object({
  id: z.string(),
  state: requestStateSchema,
  origin: z.enum(['automatic', 'ask_recent']),
  cancel_reason: text,
  clicked_at: maybeTime,
  click_count: count,
  approved_at: maybeTime,
  messages: z.array(messageSchema),
  replies: z.array(replySchema),
});
export type ReviewRequest = z.output<typeof requestSchema>;

export const activitySchema = z.object({
  decision_id: z.string(),
  outcome: z.enum(['requested', 'held', 'skipped']),
  reason: z.string(),
  detail: z.record(z.string(), z.unknown()),
  decided_at: isoTime,
  completion: z.object({ kind: z.enum(['job_closed', 'visit_completed']), source: z.string(), completed_at: isoTime }),
  job: z.object({ id: z.string(), title: text, job_number: z.number().int().nullable(), total: z.number().nullable(), deleted: z.boolean() }),
  customer: z.object({ id: z.string(), name: z.string(), status: z.string() }).nullable(),
  other_customer_name: text,
  request: requestSchema.nullable(),
});
export type Activity = z.output<typeof activitySchema>;

export const chartDaySchema = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), sent: count, delivered: count, clicked: count });
export type ChartDay = z.output<typeof chartDaySchema>;

/** review_ask_recent_preview / _confirm. */
export const askRecentSummarySchema = z.object({
  candidates: count,
  asked: count,
  held: count,
  excluded: z.record(z.string(), count),
  per_hour: count.nullable(),
  first_send_at: maybeTime,
  last_send_at: maybeTime,
});
export type AskRecentSummary = z.output<typeof askRecentSummarySchema>;

/** review_approve_request / review_skip_request. */
export const requestSummarySchema = z.object({
  request_id: z.string(),
  state: requestStateSchema,
  cancel_reason: text,
  messages: z.array(z.object({ step: z.number().int(), channel: channelSchema, status: messageStatusSchema, scheduled_for: isoTime })),
});
export type RequestSummary = z.output<typeof requestSummarySchema>;

export const optOutSchema = z.object({
  channel: channelSchema,
  address: z.string(),
  source: z.enum(['sms_stop', 'email_unsubscribe', 'email_complaint', 'manual']),
  created_at: isoTime,
});
export type OptOut = z.output<typeof optOutSchema>;

/** review-channels: which providers are configured, and the public URLs messages carry. */
export const reviewChannelsSchema = z.object({
  sms: z.object({ configured: z.boolean() }),
  email: z.object({ configured: z.boolean() }),
  review_link_base: z.url({ protocol: /^https?$/ }),
  unsubscribe_url: z.url({ protocol: /^https?$/ }),
});
export type ReviewChannels = z.output<typeof reviewChannelsSchema>;

export const businessSchema = z.object({ id: z.string(), name: z.string(), country: z.string(), timezone: z.string() });
export type Business = z.output<typeof businessSchema>;

/** What the card needs of the Jobber status JSON (jobber_status.status, SPEC §5 / §9). */
export const jobberConnectionSchema = z.object({
  connectionStatus: z.string(),
  webhooks: z.object({ failed: z.number().int().nonnegative() }).optional(),
});

/** Parses `data` with `schema`, or throws an Error saying what had an unexpected shape. */
export function parseAs<S extends z.ZodType>(schema: S, data: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new Error(`${what} had an unexpected shape: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
