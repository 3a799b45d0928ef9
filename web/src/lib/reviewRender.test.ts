// The card's live preview and settings form import the sender's own rendering module, so what the
// owner previews is what customers get. This proves the web build (Vite, tsc with
// allowImportingTsExtensions) can import it.
import { describe, expect, it } from 'vitest';
import { checkTemplates, renderSms, SMS_FOOTER } from '../../../supabase/functions/_shared/reviews/render.ts';

describe('the shared review rendering module in the web build', () => {
  it('renders the SMS the sender will send', () => {
    const sms = renderSms('Hi {first_name}, review {technician}: {link}', {
      firstName: 'Jane',
      businessName: 'Brightside',
      technicians: ['Sam'],
      link: 'https://example.test/r?t=abc',
    });
    expect(sms.body).toBe(`Hi Jane, review Sam: https://example.test/r?t=abc\n${SMS_FOOTER}`);
  });

  it('checks templates with the longest sample values', () => {
    const check = checkTemplates({ sms_template: 'No link here', email_subject: 'Hi', email_template: '{link}' });
    expect(check.problems.map((p) => p.code)).toContain('missing_link');
  });
});
