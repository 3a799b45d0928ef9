import { describe, expect, it } from 'vitest';
import { LINK_BASE, makeSettings } from '../test/reviewFixtures';
import { delayText, patchFromValues, pendingEffect, problemFromDatabase, validateSettings, valuesFromSettings, type SettingsValues } from './settings';

const context = { businessName: 'Brightside Cleaning', reviewLinkBase: LINK_BASE };
const values = (overrides: Partial<SettingsValues> = {}): SettingsValues => ({ ...valuesFromSettings(makeSettings()), ...overrides });
const problems = (overrides: Partial<SettingsValues>) => validateSettings(values(overrides), context);

describe('the settings form check', () => {
  it('finds nothing wrong with the defaults', () => {
    expect(problems({})).toEqual([]);
  });

  it('explains a text without {link}', () => {
    expect(problems({ sms_template: 'Hi {first_name}, please review us!' })).toEqual([
      {
        field: 'sms_template',
        message: 'The text message has no {link}. Add {link} where the review link should go: it is how customers reach your review page.',
      },
    ]);
  });

  it('explains an email without {link} and an unknown placeholder', () => {
    const found = problems({ email_template: 'Hi {firstname}, thanks!' });
    expect(found.map((p) => p.field)).toEqual(['email_template', 'email_template']);
    expect(found[0]!.message).toMatch(/^The email has no \{link\}/);
    expect(found[1]!.message).toMatch(/^The email uses a placeholder Blipp does not know\. Unknown placeholder \{firstname\}/);
  });

  it('explains a sending window whose start is not before its end', () => {
    expect(problems({ send_window_start: '21:00', send_window_end: '08:00' })).toEqual([
      {
        field: 'send_window_start',
        message:
          "The sending window must start before it ends: 9:00 PM is not before 8:00 AM. Messages go out from the start time until just before the end time, in each customer's time zone.",
      },
    ]);
    expect(problems({ send_window_start: '09:00', send_window_end: '09:00' })).toHaveLength(1);
  });

  it('says how much too long a text is with the longest sample values, counting the real link', () => {
    const long = `Hi {first_name}! ${'Thank you so much for choosing us today, it means a lot to our small team. '.repeat(3)}{link}`;
    const [problem, ...rest] = problems({ sms_template: long });
    expect(rest).toEqual([]);
    expect(problem!.field).toBe('sms_template');
    expect(problem!.message).toMatch(/^The text message is too long: with a long customer name, your technicians' names, the review link and "Reply STOP to opt out" it comes to (\d+) characters, and a text can have at most 320\. Shorten it by (\d+) characters\.$/);
    const [, total, over] = /comes to (\d+) .* by (\d+) characters/.exec(problem!.message)!;
    expect(Number(total) - 320).toBe(Number(over));
  });

  it('refuses a review page that is not https, and asks for one before turning requests on', () => {
    expect(problems({ review_url: 'http://example.com/review' })).toEqual([
      { field: 'review_url', message: 'The review page must be a secure address that starts with https://.' },
    ]);
    expect(problems({ review_url: 'https://not a url' })[0]!.message).toMatch(/^That does not look like a web address/);
    expect(problems({ review_url: '', enabled: true })[0]!.message).toBe('Add the page where customers leave their review before turning review requests on.');
    expect(problems({ review_url: '', enabled: false })).toEqual([]);
  });

  it('checks every number against the database ranges', () => {
    expect(problems({ delay_minutes: '-5' })[0]).toEqual({ field: 'delay_minutes', message: 'The wait after a job is done must be a whole number of minutes from 0 to 10,080.' });
    expect(problems({ delay_minutes: '10081' })[0]!.field).toBe('delay_minutes');
    expect(problems({ follow_up_days: '0' })[0]!.field).toBe('follow_up_days');
    expect(problems({ reask_days: '731' })[0]!.field).toBe('reask_days');
    expect(problems({ backfill_per_hour: '501' })[0]!.field).toBe('backfill_per_hour');
    expect(problems({ min_job_total: '-1' })[0]!.field).toBe('min_job_total');
    expect(problems({ min_job_total: '99.50' })).toEqual([]);
    expect(problems({ min_job_total: '$100' })).toEqual([]);
  });

  it('saves exactly the columns owners may update, typed', () => {
    const patch = patchFromValues(values({ min_job_total: '99.50', sender_name: '  ', review_url: ' https://example.com/r ', channels: 'email', delay_minutes: '0' }));
    expect(patch).toEqual({
      enabled: true, trigger: 'job_closed', delay_minutes: 0, channels: ['email'], follow_ups: 1, follow_up_days: 3, reask_days: 180,
      send_window_start: '08:00', send_window_end: '21:00', min_job_total: 99.5, require_approval: false, backfill_per_hour: 20,
      review_url: 'https://example.com/r', sender_name: null, sms_template: makeSettings().sms_template,
      email_subject: makeSettings().email_subject, email_template: makeSettings().email_template,
    });
  });

  it('maps a check constraint the database still refused back to its field', () => {
    expect(problemFromDatabase({ code: '23514', message: 'new row for relation "review_settings" violates check constraint "review_settings_send_window_order"' }))
      .toEqual({ field: 'send_window_start', message: 'The sending window must start before it ends.' });
    expect(problemFromDatabase({ code: '23514', message: 'new row for relation "review_settings" violates check constraint "review_settings_delay_minutes_check"' }))
      .toEqual({ field: 'delay_minutes', message: 'This value is not allowed.' });
    expect(problemFromDatabase({ code: '42501', message: 'permission denied' })).toBeNull();
  });

  it('warns what saving does to messages waiting to go out', () => {
    const saved = makeSettings();
    expect(pendingEffect(saved, values({ enabled: false }))).toBe('Turning review requests off cancels every message that is waiting to go out.');
    expect(pendingEffect(saved, values({ channels: 'sms' }))).toBe('Messages waiting to go out by email will be cancelled.');
    expect(pendingEffect(saved, values({ follow_ups: '0' }))).toMatch(/^Follow-ups beyond the new number/);
    expect(pendingEffect(saved, values({ delay_minutes: '5' }))).toBeNull();
  });

  it('says delays in words', () => {
    expect(delayText(0)).toBe('right away');
    expect(delayText(120)).toBe('2 hours');
    expect(delayText(1501)).toBe('1 day, 1 hour and 1 minute');
  });
});
