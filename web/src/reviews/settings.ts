import { checkTemplates, reviewLinkFor, SMS_MAX_LENGTH, type TemplateProblem } from '../../../supabase/functions/_shared/reviews/render.ts';
import type { Channel, ReviewSettings } from './schemas';

// The settings form: its values (what the inputs hold, as typed), the check it runs before saving,
// and the patch it saves. The database's check constraints are authoritative; this check runs
// first so every problem is explained in plain words next to its field, and a constraint the
// database still refuses is mapped back to the field it belongs to. The templates are checked by
// the sender's own rendering module (checkTemplates), with the longest sample values, so the form
// and the sender can never disagree about what fits in a text.

export const CHANNEL_CHOICES = [
  { value: 'sms,email', label: 'Text first, then email' },
  { value: 'email,sms', label: 'Email first, then text' },
  { value: 'sms', label: 'Text only' },
  { value: 'email', label: 'Email only' },
] as const;
export type ChannelChoice = (typeof CHANNEL_CHOICES)[number]['value'];

export interface SettingsValues {
  enabled: boolean;
  trigger: 'job_closed' | 'visit_completed';
  delay_minutes: string;
  channels: ChannelChoice;
  follow_ups: string;
  follow_up_days: string;
  reask_days: string;
  send_window_start: string;
  send_window_end: string;
  min_job_total: string;
  require_approval: boolean;
  backfill_per_hour: string;
  review_url: string;
  sender_name: string;
  sms_template: string;
  email_subject: string;
  email_template: string;
}

export type SettingsField = keyof SettingsValues;

export interface FieldProblem {
  field: SettingsField;
  message: string;
}

/** The row the card saves: exactly the columns owners and admins may update. */
export type SettingsPatch = Omit<ReviewSettings, 'business_id' | 'updated_at'>;

function hhmm(time: string): string {
  return time.slice(0, 5);
}

export function channelChoiceOf(channels: readonly Channel[]): ChannelChoice {
  const joined = channels.join(',');
  return (CHANNEL_CHOICES.find((c) => c.value === joined)?.value ?? 'sms,email') as ChannelChoice;
}

export function valuesFromSettings(settings: ReviewSettings): SettingsValues {
  return {
    enabled: settings.enabled,
    trigger: settings.trigger,
    delay_minutes: String(settings.delay_minutes),
    channels: channelChoiceOf(settings.channels),
    follow_ups: String(settings.follow_ups),
    follow_up_days: String(settings.follow_up_days),
    reask_days: String(settings.reask_days),
    send_window_start: hhmm(settings.send_window_start),
    send_window_end: hhmm(settings.send_window_end),
    min_job_total: settings.min_job_total === null ? '' : String(settings.min_job_total),
    require_approval: settings.require_approval,
    backfill_per_hour: String(settings.backfill_per_hour),
    review_url: settings.review_url ?? '',
    sender_name: settings.sender_name ?? '',
    sms_template: settings.sms_template,
    email_subject: settings.email_subject,
    email_template: settings.email_template,
  };
}

export function sameValues(a: SettingsValues, b: SettingsValues): boolean {
  return (Object.keys(a) as SettingsField[]).every((key) => a[key] === b[key]);
}

function wholeNumber(raw: string): number | null {
  const trimmed = raw.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : null;
}

/** What the form needs to know besides its values to check them like the sender will. */
export interface CheckContext {
  /** The business's name: the sender name when none is set. */
  businessName: string;
  /** review-channels' link base, when known: the SMS length check uses the real link. */
  reviewLinkBase: string | null;
}

/** A token as long as the real ones (128 bits, base64url): the link in a check is as long as a real one. */
export const SAMPLE_TOKEN = 'AbCdEfGhIjKlMnOpQrStUv';

// The same pattern as the review_url check constraint.
const REVIEW_URL = /^https:\/\/[^/\s?#@]+\.[^/\s?#@]+([/?#]\S*)?$/;

const TEMPLATE_FIELD_NAMES: Record<TemplateProblem['field'], string> = {
  sms_template: 'The text message',
  email_subject: 'The email subject',
  email_template: 'The email',
};

function templateMessage(problem: TemplateProblem, smsFullLength: number): string {
  const what = TEMPLATE_FIELD_NAMES[problem.field];
  switch (problem.code) {
    case 'empty':
      return `${what} is empty. Write the message customers will get.`;
    case 'missing_link':
      return `${what} has no {link}. Add {link} where the review link should go: it is how customers reach your review page.`;
    case 'unknown_placeholder':
      return `${what} uses a placeholder Blipp does not know. ${problem.message}`;
    case 'too_long':
      if (problem.field === 'sms_template' && smsFullLength > SMS_MAX_LENGTH) {
        return `The text message is too long: with a long customer name, your technicians' names, the review link and "Reply STOP to opt out" it comes to ${smsFullLength} characters, and a text can have at most ${SMS_MAX_LENGTH}. Shorten it by ${smsFullLength - SMS_MAX_LENGTH} characters.`;
      }
      return `${what} is too long. ${problem.message}`;
  }
}

/** "10:00 PM" for "22:00", as the time inputs show it. */
export function clockTime(hhmmValue: string): string {
  const [h, m] = hhmmValue.split(':').map(Number);
  return new Date(Date.UTC(2000, 0, 1, h ?? 0, m ?? 0)).toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit', timeZone: 'UTC' });
}

/** Every problem with the values, in the order the fields appear, each in plain words. */
export function validateSettings(values: SettingsValues, context: CheckContext): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const range = (field: SettingsField, label: string, min: number, max: number, unit: string) => {
    const value = wholeNumber(values[field] as string);
    if (value === null || value < min || value > max) {
      problems.push({ field, message: `${label} must be a whole number of ${unit} from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}.` });
    }
  };

  range('delay_minutes', 'The wait after a job is done', 0, 10_080, 'minutes');
  if (values.send_window_start === '' || values.send_window_end === '') {
    problems.push({ field: 'send_window_start', message: 'Choose the times of day messages may go out, such as 08:00 to 21:00.' });
  } else if (values.send_window_start >= values.send_window_end) {
    problems.push({
      field: 'send_window_start',
      message: `The sending window must start before it ends: ${clockTime(values.send_window_start)} is not before ${clockTime(values.send_window_end)}. Messages go out from the start time until just before the end time, in each customer's time zone.`,
    });
  }
  range('follow_ups', 'Follow-ups', 0, 3, 'messages');
  range('follow_up_days', 'The days between follow-ups', 1, 30, 'days');
  range('reask_days', 'The time before asking a customer again', 0, 730, 'days');
  const total = values.min_job_total.trim().replace(/^\$/, '');
  if (total !== '' && !/^\d{1,12}(\.\d{1,2})?$/.test(total)) {
    problems.push({ field: 'min_job_total', message: 'The minimum job total must be an amount such as 100 or 99.50, or left empty to ask for every job.' });
  }
  range('backfill_per_hour', 'Customers asked per hour', 1, 500, 'customers');

  const url = values.review_url.trim();
  if (url === '') {
    if (values.enabled) problems.push({ field: 'review_url', message: 'Add the page where customers leave their review before turning review requests on.' });
  } else if (!/^https:\/\//i.test(url)) {
    problems.push({ field: 'review_url', message: 'The review page must be a secure address that starts with https://.' });
  } else if (!REVIEW_URL.test(url) || url.length > 2000) {
    problems.push({ field: 'review_url', message: 'That does not look like a web address. Paste the full link to your review page, such as https://g.page/r/your-business/review.' });
  }


  const sender = values.sender_name.trim();
  if (sender.length > 100) problems.push({ field: 'sender_name', message: 'The sender name can be at most 100 characters.' });

  const businessName = sender || context.businessName;
  const check = checkTemplates(
    { sms_template: values.sms_template, email_subject: values.email_subject, email_template: values.email_template },
    { businessName, ...(context.reviewLinkBase ? { link: reviewLinkFor(context.reviewLinkBase, SAMPLE_TOKEN) } : {}) },
  );
  // One sentence per field and problem kind, in the order the fields appear.
  const seen = new Set<string>();
  for (const field of ['sms_template', 'email_subject', 'email_template'] as const) {
    for (const problem of check.problems.filter((p) => p.field === field)) {
      const key = `${field}:${problem.code}`;
      if (seen.has(key)) continue;
      seen.add(key);
      problems.push({ field, message: templateMessage(problem, check.smsFullLength) });
    }
  }
  return problems;
}

/** The values as the row to save; call only when validateSettings found no problem. */
export function patchFromValues(values: SettingsValues): SettingsPatch {
  const total = values.min_job_total.trim().replace(/^\$/, '');
  return {
    enabled: values.enabled,
    trigger: values.trigger,
    delay_minutes: Number(values.delay_minutes.trim()),
    channels: values.channels.split(',') as Channel[],
    follow_ups: Number(values.follow_ups.trim()),
    follow_up_days: Number(values.follow_up_days.trim()),
    reask_days: Number(values.reask_days.trim()),
    send_window_start: values.send_window_start,
    send_window_end: values.send_window_end,
    min_job_total: total === '' ? null : Number(total),
    require_approval: values.require_approval,
    backfill_per_hour: Number(values.backfill_per_hour.trim()),
    review_url: values.review_url.trim() === '' ? null : values.review_url.trim(),
    sender_name: values.sender_name.trim() === '' ? null : values.sender_name.trim(),
    sms_template: values.sms_template,
    email_subject: values.email_subject,
    email_template: values.email_template,
  };
}

// The database's named constraints, mapped back to the field the owner can fix. A column's own
// check is named review_settings_<column>_check.
const CONSTRAINT_PROBLEMS: Record<string, FieldProblem> = {
  review_settings_send_window_order: { field: 'send_window_start', message: 'The sending window must start before it ends.' },
  review_settings_enabled_needs_review_url: { field: 'review_url', message: 'Add the page where customers leave their review before turning review requests on.' },
  review_settings_sms_template_has_link: { field: 'sms_template', message: 'The text message must contain {link} and be at most 320 characters.' },
  review_settings_email_template_has_link: { field: 'email_template', message: 'The email must contain {link}.' },
  review_settings_email_subject_length: { field: 'email_subject', message: 'The email subject must have 1 to 200 characters.' },
  review_settings_templates_known_placeholders: { field: 'sms_template', message: 'A message uses a placeholder Blipp does not know; use {first_name}, {business_name}, {technician} or {link}.' },
  review_settings_channels_known: { field: 'channels', message: 'Choose how to contact customers.' },
};

/** The field and sentence for a database error saved settings ran into, when it names a constraint we know. */
export function problemFromDatabase(error: { code?: string; message?: string }): FieldProblem | null {
  if (error.code !== '23514' || !error.message) return null;
  const name = /check constraint "([a-z_]+)"/.exec(error.message)?.[1];
  if (!name) return null;
  const known = CONSTRAINT_PROBLEMS[name];
  if (known) return known;
  const column = /^review_settings_([a-z_]+)_check$/.exec(name)?.[1];
  if (column && column in EMPTY_VALUES) return { field: column as SettingsField, message: 'This value is not allowed.' };
  return null;
}

const EMPTY_VALUES: Record<SettingsField, true> = {
  enabled: true, trigger: true, delay_minutes: true, channels: true, follow_ups: true, follow_up_days: true, reask_days: true,
  send_window_start: true, send_window_end: true, min_job_total: true, require_approval: true, backfill_per_hour: true,
  review_url: true, sender_name: true, sms_template: true, email_subject: true, email_template: true,
};

/** "2 hours", "1 day and 3 hours", "right away" for a delay in minutes. */
export function delayText(minutes: number): string {
  if (minutes === 0) return 'right away';
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts = [
    days ? `${days} ${days === 1 ? 'day' : 'days'}` : null,
    hours ? `${hours} ${hours === 1 ? 'hour' : 'hours'}` : null,
    mins ? `${mins} ${mins === 1 ? 'minute' : 'minutes'}` : null,
  ].filter((p): p is string => p !== null);
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : parts[0]!;
}

/** What saving these values does to messages already waiting to go out (SPEC §10), or null. */
export function pendingEffect(saved: ReviewSettings, values: SettingsValues): string | null {
  if (saved.enabled && !values.enabled) return 'Turning review requests off cancels every message that is waiting to go out.';
  const removed = saved.channels.filter((c) => !values.channels.split(',').includes(c));
  if (removed.length > 0) {
    return `Messages waiting to go out by ${removed.map((c) => (c === 'sms' ? 'text' : 'email')).join(' and ')} will be cancelled.`;
  }
  const followUps = wholeNumber(values.follow_ups);
  if (followUps !== null && followUps < saved.follow_ups) return 'Follow-ups beyond the new number that have not gone out yet will be cancelled.';
  return null;
}
