import { describe, expect, it } from 'vitest';
import { renderSms, SMS_FOOTER } from '../../../supabase/functions/_shared/reviews/render.ts';
import { LINK_BASE, makeSettings, UNSUBSCRIBE_URL } from '../test/reviewFixtures';
import { PREVIEW_CUSTOMER, PREVIEW_TECHNICIAN, previewDocument, renderPreview } from './preview';
import { SAMPLE_TOKEN, valuesFromSettings, type SettingsValues } from './settings';
import { normaliseOptOutAddress } from './optOutAddress';

const context = { businessName: 'Brightside Cleaning', reviewLinkBase: LINK_BASE, unsubscribeUrl: UNSUBSCRIBE_URL };
const values = (overrides: Partial<SettingsValues> = {}): SettingsValues => ({ ...valuesFromSettings(makeSettings()), ...overrides });

describe('the live preview', () => {
  it('is what the sender renders: the same module, the sample customer, the real link base and the STOP footer', () => {
    const preview = renderPreview(values(), context);
    const link = `${LINK_BASE}?t=${SAMPLE_TOKEN}`;
    expect(preview.sms.body).toBe(`Hi ${PREVIEW_CUSTOMER}, thanks for choosing Brightside Cleaning! Would you take a moment to review ${PREVIEW_TECHNICIAN}'s work? ${link}\n${SMS_FOOTER}`);
    expect(preview.sms).toEqual(renderSms(makeSettings().sms_template, preview.values));
    expect(preview.email.subject).toBe('How did Brightside Cleaning do?');
    expect(preview.email.text).toContain(link);
    expect(preview.email.text).toContain(`${UNSUBSCRIBE_URL}?t=${SAMPLE_TOKEN}`);
    expect(preview.email.html).toContain('Leave a review');
  });

  it('follows the form as it is typed: the sender name and the templates', () => {
    const preview = renderPreview(values({ sender_name: 'Sparkle & Shine', sms_template: '{business_name} asks: {link}' }), context);
    expect(preview.sms.body).toBe(`Sparkle & Shine asks: ${LINK_BASE}?t=${SAMPLE_TOKEN}\n${SMS_FOOTER}`);
    expect(preview.email.subject).toBe('How did Sparkle & Shine do?');
    // The email escapes what it is given: a sender name cannot inject markup.
    expect(renderPreview(values({ sender_name: '<b>Evil</b>' }), context).email.html).toContain('&lt;b&gt;Evil&lt;/b&gt;');
  });

  it('shortens a long text to 320 characters, keeping the link and the footer', () => {
    const long = `${'Thank you for choosing us! '.repeat(12)}{link}`;
    const { sms } = renderPreview(values({ sms_template: long }), context);
    expect(sms.shortened).toBe(true);
    expect(sms.length).toBeLessThanOrEqual(320);
    expect(sms.body.endsWith(`${LINK_BASE}?t=${SAMPLE_TOKEN}\n${SMS_FOOTER}`)).toBe(true);
  });

  it('shows the email in a frame that may run no script and whose links are inert, otherwise unchanged', () => {
    const { email } = renderPreview(values(), context);
    const shown = previewDocument(email.html);
    expect(shown).toMatch(/^<!doctype html>\n<html lang="en"><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src https: data:"><style>a \{ pointer-events: none; cursor: default; \}<\/style><meta charset="utf-8">/);
    expect(shown.replace(/<html lang="en">/, '<html>').replace(/<meta http-equiv[^>]*><style>[^<]*<\/style>/, '')).toBe(email.html);
  });

  it('uses the sample link when the channels are not known', () => {
    const { sms } = renderPreview(values({ sms_template: '{link}' }), { ...context, reviewLinkBase: null });
    expect(sms.body).toMatch(/^https:\/\/abcdefghijklmnopqrst\.supabase\.co\/functions\/v1\/review-link\?t=/);
  });
});

describe('opt-out addresses', () => {
  it('normalises phone numbers to E.164 in the business country', () => {
    expect(normaliseOptOutAddress('sms', '(212) 555-0143', 'US')).toEqual({ ok: true, address: '+12125550143' });
    expect(normaliseOptOutAddress('sms', '416 555 0123', 'CA')).toEqual({ ok: true, address: '+14165550123' });
    expect(normaliseOptOutAddress('sms', '+44 20 7946 0958', 'US')).toEqual({ ok: true, address: '+442079460958' });
  });

  it('refuses what is not a phone number, in words', () => {
    const result = normaliseOptOutAddress('sms', '555-0123', 'US');
    expect(result).toEqual({ ok: false, message: expect.stringMatching(/^That does not look like a phone number\. Include the area code/) });
    expect(normaliseOptOutAddress('sms', 'call me', 'US').ok).toBe(false);
    expect(normaliseOptOutAddress('sms', '  ', 'US')).toEqual({ ok: false, message: 'Enter the phone number to stop texting.' });
  });

  it('lower-cases and checks email addresses', () => {
    expect(normaliseOptOutAddress('email', '  Jane.Doe@Example.COM ', 'US')).toEqual({ ok: true, address: 'jane.doe@example.com' });
    expect(normaliseOptOutAddress('email', 'jane@', 'US').ok).toBe(false);
  });
});
