import { formatNumber, plural } from '../jobber/format';
import type { Activity, Channel, MessageStatus, OptOut, ReviewMessage } from './schemas';

// Everything the card says about a decision, a request and a message, in plain words (SPEC §10
// "The card"): "Not asked: Jane was asked 12 days ago", "Asked by text at 10:02 AM, delivered,
// clicked", "Cancelled: the job was reopened". A message's words follow its real status: a message
// the provider only accepted reads "accepted by the provider", never "sent".

const DAY_MS = 24 * 60 * 60 * 1000;

export function channelNoun(channel: Channel): string {
  return channel === 'sms' ? 'text' : 'email';
}

/** "10:02 AM" today, "yesterday at 10:02 AM", else "Oct 12, 10:02 AM" (the viewer's zone). */
export function formatWhen(iso: string, now: number): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const time = date.toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit' });
  const day = (d: Date) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
  const today = new Date(now);
  if (day(date) === day(today)) return time;
  if (day(date) === day(new Date(now - DAY_MS))) return `yesterday at ${time}`;
  if (day(date) === day(new Date(now + DAY_MS))) return `tomorrow at ${time}`;
  const sameYear = date.getFullYear() === today.getFullYear();
  return `${date.toLocaleDateString('en-US', { month: 'short', day: 'numeric', ...(sameYear ? {} : { year: 'numeric' }) })}, ${time}`;
}

/** "12 days ago", "today", "yesterday": how long ago something was, in whole days. */
export function daysAgo(iso: string, now: number): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return 'some time ago';
  const days = Math.floor((now - then) / DAY_MS);
  if (days <= 0) return 'earlier today';
  if (days === 1) return 'yesterday';
  return `${formatNumber(days)} days ago`;
}

export function formatMoney(value: number): string {
  return value.toLocaleString('en-US', { style: 'currency', currency: 'USD' });
}

/** Why pending messages or a whole request were cancelled. */
export function cancelReasonText(reason: string | null): string {
  switch (reason) {
    case 'skipped':
      return 'skipped by an owner or admin';
    case 'automation_off':
      return 'review requests were turned off';
    case 'channel_removed':
      return 'that channel was removed from the settings';
    case 'follow_ups_reduced':
      return 'the settings now send fewer follow-ups';
    case 'job_reopened':
      return 'the job was reopened';
    case 'job_deleted':
      return 'the job was deleted in Jobber';
    case 'opted_out':
      return 'the customer opted out';
    case 'clicked':
      return 'the customer already opened the review link';
    case 'not_connected':
      return 'Jobber was disconnected';
    case 'no_customer':
      return 'the customer was removed in Jobber';
    case 'no_contact':
      return 'the customer has no usable phone number or email any more';
    case 'contact_changed':
      return "the customer's contact details changed";
    case null:
      return 'for an unknown reason';
    default:
      return reason.replaceAll('_', ' ');
  }
}

/** Provider error codes (SPEC §11) and the sender's own, in words. */
export function errorCodeText(code: string | null): string | null {
  switch (code) {
    case null:
      return null;
    case '21211':
      return 'the phone number is not valid';
    case '21614':
      return 'the number cannot receive texts';
    case '21610':
      return 'the number had replied STOP';
    case '30003':
      return 'the phone was unreachable';
    case '30005':
      return 'the number does not exist';
    case '30006':
      return 'the number is a landline';
    case '30007':
      return 'the carrier filtered it';
    case 'channel_unavailable':
      return 'no provider is set up for this channel';
    case 'delivery_unconfirmed':
      return 'the provider never confirmed it';
    default:
      return `error ${code}`;
  }
}

/** One message, by its real status: "Text to +12125550143: delivered at 10:05 AM". */
export function messageStatusText(message: ReviewMessage, now: number): string {
  const at = (iso: string | null) => (iso ? ` at ${formatWhen(iso, now)}` : '');
  const error = errorCodeText(message.error_code);
  const why = error ? `: ${error}` : '';
  const status: MessageStatus = message.status;
  switch (status) {
    case 'held':
      return 'waiting for approval';
    case 'scheduled':
      return `scheduled for ${formatWhen(message.scheduled_for, now)}`;
    case 'sending':
      return 'being handed to the provider';
    case 'queued':
      return `accepted by the provider${at(message.sent_at)}, not yet sent`;
    case 'sent':
      return `sent${at(message.sent_at)}, delivery not yet confirmed`;
    case 'delivered':
      return `delivered${at(message.delivered_at ?? message.status_at)}`;
    case 'failed':
      return `failed${why || ': the provider refused it'}`;
    case 'undelivered':
      return `not delivered${why}`;
    case 'suppressed':
      return `not sent: the provider suppresses this address${why}`;
    case 'cancelled':
      return `cancelled: ${cancelReasonText(message.cancel_reason)}`;
  }
}

export function stepLabel(message: Pick<ReviewMessage, 'step' | 'channel' | 'to_address'>): string {
  const what = message.step === 0 ? `First ${channelNoun(message.channel)}` : `Follow-up ${message.step} (${channelNoun(message.channel)})`;
  return `${what} to ${message.to_address}`;
}

function firstName(name: string | null | undefined): string {
  const first = name?.trim().split(/\s+/)[0];
  return first ? first : 'the customer';
}

function detailString(detail: Record<string, unknown>, key: string): string | null {
  const value = detail[key];
  return typeof value === 'string' ? value : null;
}

function detailNumber(detail: Record<string, unknown>, key: string): number | null {
  const value = detail[key];
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  return null;
}

const optOutHow: Record<OptOut['source'], string> = {
  sms_stop: 'replied STOP',
  email_unsubscribe: 'unsubscribed from emails',
  email_complaint: 'marked an email as spam',
  manual: 'was added to the opt-out list',
};

export function optOutSourceText(source: string | null): string {
  return source !== null && Object.hasOwn(optOutHow, source) ? optOutHow[source as OptOut['source']] : 'opted out';
}

function contactProblem(kind: 'phone' | 'email', state: string | null): string | null {
  if (state === 'usable') return null;
  if (kind === 'phone') return state === 'unusable' ? 'a phone number that cannot receive texts' : 'no phone number';
  return state === 'unusable' ? 'an email address that cannot receive email' : 'no email address';
}

/** Why a job was not asked, as the end of "Not asked: …". */
export function skipReasonText(activity: Activity, now: number): string {
  const { detail } = activity;
  const name = firstName(activity.customer?.name);
  switch (activity.reason) {
    case 'automation_off':
      return 'review requests were off';
    case 'not_connected':
      return 'Jobber was not connected';
    case 'historical':
      return 'imported from before Blipp was connected (use "Ask recent customers" to ask)';
    case 'trigger_mismatch':
      return detailString(detail, 'kind') === 'visit_completed'
        ? 'a visit was completed, and requests go out when the whole job is closed'
        : 'the job was closed, and requests go out for each completed visit';
    case 'stale': {
      const days = detailNumber(detail, 'stale_after_days') ?? 3;
      return `it was completed more than ${plural(days, 'day', 'days')} before Blipp heard of it`;
    }
    case 'already_requested': {
      const at = detailString(detail, 'previous_asked_at');
      return `this job was already asked for a review${at ? ` ${daysAgo(at, now)}` : ''}`;
    }
    case 'below_min_total': {
      const total = detailNumber(detail, 'total');
      const min = detailNumber(detail, 'min_job_total');
      if (total !== null && min !== null) return `the job total (${formatMoney(total)}) is under the ${formatMoney(min)} minimum`;
      return 'the job total is under the minimum';
    }
    case 'no_customer':
      return detailString(detail, 'customer_status') === 'removed' ? 'the customer was removed in Jobber' : 'the job has no customer';
    case 'no_contact': {
      const channels = Array.isArray(detail['channels']) ? (detail['channels'] as unknown[]) : ['sms', 'email'];
      const problems = [
        channels.includes('sms') ? contactProblem('phone', detailString(detail, 'phone')) : null,
        channels.includes('email') ? contactProblem('email', detailString(detail, 'email')) : null,
      ].filter((p): p is string => p !== null);
      return problems.length > 0 ? `${name} has ${problems.join(' and ')}` : `${name} has no usable phone number or email`;
    }
    case 'opted_out': {
      const at = detailString(detail, 'opted_out_at');
      return `${name} ${optOutSourceText(detailString(detail, 'source'))}${at ? ` ${daysAgo(at, now)}` : ''}`;
    }
    case 'recently_asked': {
      const at = detailString(detail, 'previous_asked_at');
      return `${name} was asked ${at ? daysAgo(at, now) : 'recently'}`;
    }
    case 'household_recently_asked': {
      const at = detailString(detail, 'previous_asked_at');
      const other = activity.other_customer_name ? firstName(activity.other_customer_name) : 'someone';
      const shared = detailString(detail, 'shared') === 'email' ? 'email address' : 'phone number';
      return `${other}, who shares ${name}'s ${shared}, was asked ${at ? daysAgo(at, now) : 'recently'}`;
    }
    default:
      return activity.reason.replaceAll('_', ' ');
  }
}

export type Tone = 'ok' | 'info' | 'warn' | 'muted' | 'bad';

/** The one line a decision reads as, with a tone for its icon and colour. */
export function decisionText(activity: Activity, now: number): { text: string; tone: Tone } {
  const request = activity.request;
  if (activity.outcome === 'skipped' || request === null) return { text: `Not asked: ${skipReasonText(activity, now)}`, tone: 'muted' };
  if (request.state === 'held') return { text: 'Waiting for approval', tone: 'warn' };
  if (request.state === 'cancelled') return { text: `Cancelled: ${cancelReasonText(request.cancel_reason)}`, tone: 'muted' };

  const first = request.messages.find((m) => m.step === 0) ?? request.messages[0];
  if (!first) return { text: 'Asked', tone: 'info' };
  const noun = channelNoun(first.channel);
  const by = noun === 'text' ? 'by text' : 'by email';
  const parts: string[] = [];
  let tone: Tone = 'info';
  switch (first.status) {
    case 'held':
      return { text: 'Waiting for approval', tone: 'warn' };
    case 'scheduled':
      parts.push(`Asking ${by} at ${formatWhen(first.scheduled_for, now)}`);
      if (activity.detail['moved_for_send_window'] === true && request.origin === 'automatic') parts.push('moved into the sending window');
      break;
    case 'sending':
      parts.push(`Asking ${by} now`);
      break;
    case 'cancelled':
      parts.push(`Not asked ${by}: ${cancelReasonText(first.cancel_reason)}`);
      tone = 'muted';
      break;
    case 'failed':
    case 'suppressed':
      parts.push(`Could not ask ${by}: ${messageStatusText(first, now).replace(/^(failed|not sent): /, '')}`);
      tone = 'bad';
      break;
    default: {
      const at = first.sent_at ?? first.status_at;
      parts.push(`Asked ${by} at ${formatWhen(at, now)}`);
      if (first.status === 'queued') parts.push('accepted by the provider');
      if (first.status === 'sent') parts.push('sent');
      if (first.status === 'delivered') {
        parts.push('delivered');
        tone = 'ok';
      }
      if (first.status === 'undelivered') {
        const error = errorCodeText(first.error_code);
        parts.push(`not delivered${error ? ` (${error})` : ''}`);
        tone = 'bad';
      }
    }
  }
  if (request.clicked_at !== null) {
    parts.push('clicked');
    tone = 'ok';
  }
  const text = parts.join(', ');
  return { text: request.origin === 'ask_recent' ? `${text} (asked as a recent customer)` : text, tone };
}

/** "Job #42 · Window cleaning", "Visit of job #42", "A job" for a completion. */
export function jobLabel(activity: Activity): string {
  const { job } = activity;
  const number = job.job_number !== null ? `#${job.job_number}` : null;
  const title = job.title?.trim() || null;
  const base = [number ? `Job ${number}` : null, title].filter((p): p is string => p !== null).join(' · ') || 'A job';
  return activity.completion.kind === 'visit_completed' ? `Visit: ${base}` : base;
}

/** The reasons the Ask-recent preview excludes jobs for, as "2 asked recently". */
export function excludedText(reason: string, n: number): string {
  const jobs = (one: string, many: string) => plural(n, one, many);
  switch (reason) {
    case 'automation_off':
      return `${jobs('job', 'jobs')}: review requests are off`;
    case 'not_connected':
      return `${jobs('job', 'jobs')}: Jobber is not connected`;
    case 'trigger_mismatch':
      return `${jobs('completion does', 'completions do')} not match the "when to ask" setting`;
    case 'already_requested':
      return `${jobs('job was', 'jobs were')} already asked`;
    case 'below_min_total':
      return `${jobs('job is', 'jobs are')} under the minimum total`;
    case 'no_customer':
      return `${jobs('job has', 'jobs have')} no customer`;
    case 'no_contact':
      return `${jobs('customer has', 'customers have')} no usable phone number or email`;
    case 'opted_out':
      return `${jobs('customer', 'customers')} opted out`;
    case 'recently_asked':
      return `${jobs('customer was', 'customers were')} asked recently`;
    case 'household_recently_asked':
      return `${jobs('customer shares', 'customers share')} a phone or email with someone asked recently`;
    default:
      return `${jobs('job', 'jobs')}: ${reason.replaceAll('_', ' ')}`;
  }
}
