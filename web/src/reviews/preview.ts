import {
  renderEmail,
  renderSms,
  reviewLinkFor,
  SAMPLE_LINK,
  SMS_MAX_LENGTH,
  type RenderedEmail,
  type RenderedSms,
  type RenderValues,
} from '../../../supabase/functions/_shared/reviews/render.ts';
import { SAMPLE_TOKEN, type SettingsValues } from './settings';

// The live preview: the settings form's current values rendered by the sender's own module
// (supabase/functions/_shared/reviews/render.ts), so the owner sees the text and the email exactly
// as a customer will get them - STOP footer, shortening, escaping, the unsubscribe line - for a
// sample customer and technician.

export const PREVIEW_CUSTOMER = 'Jane';
export const PREVIEW_TECHNICIAN = 'Sam';

export interface PreviewContext {
  businessName: string;
  /** From review-channels; without them the sample link stands in. */
  reviewLinkBase: string | null;
  unsubscribeUrl: string | null;
}

export interface Preview {
  values: RenderValues;
  sms: RenderedSms;
  smsMaxLength: number;
  email: RenderedEmail;
}

export function previewValues(values: Pick<SettingsValues, 'sender_name'>, context: PreviewContext): RenderValues {
  return {
    firstName: PREVIEW_CUSTOMER,
    businessName: values.sender_name.trim() || context.businessName,
    technicians: [PREVIEW_TECHNICIAN],
    link: context.reviewLinkBase ? reviewLinkFor(context.reviewLinkBase, SAMPLE_TOKEN) : SAMPLE_LINK,
  };
}

export function renderPreview(values: SettingsValues, context: PreviewContext): Preview {
  const sample = previewValues(values, context);
  const unsubscribe = context.unsubscribeUrl ? withToken(context.unsubscribeUrl) : null;
  return {
    values: sample,
    sms: renderSms(values.sms_template, sample),
    smsMaxLength: SMS_MAX_LENGTH,
    email: renderEmail({ subject: values.email_subject, body: values.email_template }, sample, unsubscribe),
  };
}

// Scripts are off in the preview frame by policy (default-src 'none': no script, no fetch, no
// form), links are inert (the sample token leads nowhere), and the document says it is English.
// Not a sandbox attribute: a frame that may run no script at all also cannot be checked by the
// accessibility scan, and this policy gives the same protection.
const PREVIEW_HEAD =
  `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src https: data:">` +
  '<style>a { pointer-events: none; cursor: default; }</style>';

/** The rendered email as the preview frame shows it: unchanged but for the head above and a lang. */
export function previewDocument(html: string): string {
  return html.replace(/<html>/i, '<html lang="en">').replace(/<head>/i, `<head>${PREVIEW_HEAD}`);
}

function withToken(base: string): string {
  const url = new URL(base);
  url.searchParams.set('t', SAMPLE_TOKEN);
  return url.href;
}
