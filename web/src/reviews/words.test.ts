import { describe, expect, it } from 'vitest';
import { held, makeActivity, makeMessage, NOW, skipped } from '../test/reviewFixtures';
import { cancelReasonText, decisionText, excludedText, formatWhen, jobLabel, messageStatusText } from './words';

const DAY = 24 * 60 * 60 * 1000;
const daysBefore = (n: number) => new Date(NOW - n * DAY).toISOString();
const at = (iso: string) => formatWhen(iso, NOW);

describe('decisions in plain words', () => {
  it.each([
    ['automation_off', {}, 'Not asked: review requests were off'],
    ['not_connected', { connection_status: 'disconnected' }, 'Not asked: Jobber was not connected'],
    ['historical', { source: 'backfill' }, 'Not asked: imported from before Blipp was connected (use "Ask recent customers" to ask)'],
    ['trigger_mismatch', { kind: 'visit_completed', trigger: 'job_closed' }, 'Not asked: a visit was completed, and requests go out when the whole job is closed'],
    ['trigger_mismatch', { kind: 'job_closed', trigger: 'visit_completed' }, 'Not asked: the job was closed, and requests go out for each completed visit'],
    ['stale', { stale_after_days: 3 }, 'Not asked: it was completed more than 3 days before Blipp heard of it'],
    ['already_requested', { previous_asked_at: daysBefore(5) }, 'Not asked: this job was already asked for a review 5 days ago'],
    ['below_min_total', { total: 80, min_job_total: 100 }, 'Not asked: the job total ($80.00) is under the $100.00 minimum'],
    ['no_customer', { customer_status: 'removed' }, 'Not asked: the customer was removed in Jobber'],
    ['no_customer', { customer_id: null }, 'Not asked: the job has no customer'],
    ['no_contact', { channels: ['sms', 'email'], phone: 'missing', email: 'unusable' }, 'Not asked: Jane has no phone number and an email address that cannot receive email'],
    ['no_contact', { channels: ['sms'], phone: 'unusable', email: 'usable' }, 'Not asked: Jane has a phone number that cannot receive texts'],
    ['opted_out', { channel: 'sms', source: 'sms_stop', opted_out_at: daysBefore(2) }, 'Not asked: Jane replied STOP 2 days ago'],
    ['recently_asked', { previous_asked_at: daysBefore(12) }, 'Not asked: Jane was asked 12 days ago'],
  ])('%s reads as a sentence (%j)', (reason, detail, expected) => {
    expect(decisionText(skipped(reason, detail), NOW)).toEqual({ text: expected, tone: 'muted' });
  });

  it('names the housemate for a household skip', () => {
    const activity = skipped('household_recently_asked', { shared: 'phone', previous_asked_at: daysBefore(12) }, { other_customer_name: 'Bob Doe' });
    expect(decisionText(activity, NOW).text).toBe("Not asked: Bob, who shares Jane's phone number, was asked 12 days ago");
  });

  it('shows a reason it does not know yet from its code rather than failing', () => {
    expect(decisionText(skipped('brand_new_reason'), NOW).text).toBe('Not asked: brand new reason');
  });

  it('says when a scheduled request will ask, and that the window moved it', () => {
    const activity = makeActivity({ detail: { moved_for_send_window: true } });
    expect(decisionText(activity, NOW).text).toBe(`Asking by text at ${at('2025-10-12T16:00:00.000Z')}, moved into the sending window`);
  });

  it('says "asked by text at …, delivered, clicked" once the link was opened', () => {
    const sentAt = '2025-10-12T14:02:00.000Z';
    const activity = makeActivity({
      request: { state: 'clicked', clicked_at: '2025-10-12T14:30:00.000Z', messages: [makeMessage({ status: 'delivered', sent_at: sentAt, delivered_at: sentAt })] },
    });
    expect(decisionText(activity, NOW)).toEqual({ text: `Asked by text at ${at(sentAt)}, delivered, clicked`, tone: 'ok' });
  });

  it('never says "sent" for a message the provider only accepted', () => {
    const sentAt = '2025-10-12T14:02:00.000Z';
    const activity = makeActivity({ request: { state: 'in_progress', messages: [makeMessage({ status: 'queued', sent_at: sentAt })] } });
    const { text } = decisionText(activity, NOW);
    expect(text).toBe(`Asked by text at ${at(sentAt)}, accepted by the provider`);
    expect(text).not.toMatch(/\bsent\b/);
    expect(messageStatusText(makeMessage({ status: 'queued', sent_at: sentAt }), NOW)).toBe(`accepted by the provider at ${at(sentAt)}, not yet sent`);
  });

  it('reads a held request as waiting for approval and a cancelled one with its reason', () => {
    expect(decisionText(held(), NOW)).toEqual({ text: 'Waiting for approval', tone: 'warn' });
    const cancelled = makeActivity({ request: { state: 'cancelled', cancel_reason: 'job_reopened', messages: [makeMessage({ status: 'cancelled', cancel_reason: 'job_reopened' })] } });
    expect(decisionText(cancelled, NOW).text).toBe('Cancelled: the job was reopened');
  });

  it('explains a refused or undelivered first message with the provider code', () => {
    const failed = makeActivity({ request: { state: 'done', messages: [makeMessage({ status: 'failed', error_code: '21614' })] } });
    expect(decisionText(failed, NOW)).toEqual({ text: 'Could not ask by text: the number cannot receive texts', tone: 'bad' });
    const sentAt = '2025-10-12T14:02:00.000Z';
    const undelivered = makeActivity({ request: { state: 'done', messages: [makeMessage({ status: 'undelivered', sent_at: sentAt, error_code: '30006' })] } });
    expect(decisionText(undelivered, NOW).text).toBe(`Asked by text at ${at(sentAt)}, not delivered (the number is a landline)`);
  });

  it('marks requests made from "Ask recent customers"', () => {
    const activity = makeActivity({ request: { origin: 'ask_recent' } });
    expect(decisionText(activity, NOW).text).toMatch(/\(asked as a recent customer\)$/);
  });
});

describe('message statuses and labels', () => {
  it('gives each status its own words', () => {
    const m = (overrides: Parameters<typeof makeMessage>[0]) => messageStatusText(makeMessage(overrides), NOW);
    expect(m({ status: 'held' })).toBe('waiting for approval');
    expect(m({ status: 'sending' })).toBe('being handed to the provider');
    expect(m({ status: 'sent', sent_at: '2025-10-12T14:02:00.000Z' })).toBe(`sent at ${at('2025-10-12T14:02:00.000Z')}, delivery not yet confirmed`);
    expect(m({ status: 'delivered', delivered_at: '2025-10-12T14:03:00.000Z' })).toBe(`delivered at ${at('2025-10-12T14:03:00.000Z')}`);
    expect(m({ status: 'failed', error_code: 'channel_unavailable' })).toBe('failed: no provider is set up for this channel');
    expect(m({ status: 'cancelled', cancel_reason: 'clicked' })).toBe('cancelled: the customer already opened the review link');
  });

  it('says every cancel reason the journey can give', () => {
    for (const reason of ['skipped', 'automation_off', 'channel_removed', 'follow_ups_reduced', 'job_reopened', 'job_deleted', 'opted_out', 'clicked', 'not_connected', 'no_customer', 'no_contact']) {
      expect(cancelReasonText(reason)).not.toContain('_');
    }
  });

  it('labels jobs and visits', () => {
    expect(jobLabel(makeActivity())).toBe('Job #42 · Deep clean');
    expect(jobLabel(makeActivity({ completion: { kind: 'visit_completed', source: 'webhook', completed_at: '2025-10-12T14:00:00.000Z' } }))).toBe('Visit: Job #42 · Deep clean');
    expect(jobLabel(makeActivity({ job: { id: 'j', title: null, job_number: null, total: null, deleted: false } }))).toBe('A job');
  });

  it('counts Ask-recent exclusions in words', () => {
    expect(excludedText('recently_asked', 2)).toBe('2 customers were asked recently');
    expect(excludedText('no_contact', 1)).toBe('1 customer has no usable phone number or email');
  });

  it('writes times relative to today', () => {
    expect(formatWhen('2025-10-11T15:00:00.000Z', NOW)).toMatch(/^yesterday at /);
    expect(formatWhen('2025-09-01T15:00:00.000Z', NOW)).toMatch(/^Sep 1, /);
  });
});
