import { useMemo } from 'react';
import { PREVIEW_CUSTOMER, PREVIEW_TECHNICIAN, previewDocument, renderPreview, type PreviewContext } from './preview';
import type { SettingsValues } from './settings';

// The live preview beside the templates: the text and the email rendered by the sender's own
// module from what is in the form right now. The email's HTML is shown in a frame whose policy
// allows no script (previewDocument), exactly as the customer's mail client gets it.

export function SettingsPreview({ values, context, channels }: { values: SettingsValues; context: PreviewContext; channels: string[] }) {
  const preview = useMemo(() => renderPreview(values, context), [values, context]);
  const { sms, email } = preview;
  const over = sms.length > preview.smsMaxLength;
  return (
    <section className="rv-preview" aria-label="Preview">
      <h4 className="rv-subtitle">Preview</h4>
      <p className="app-hint">
        As a customer named {PREVIEW_CUSTOMER} gets them after a visit by {PREVIEW_TECHNICIAN}; updates as you type.
      </p>
      <div className="rv-preview-grid">
        <div className={channels.includes('sms') ? 'rv-preview-sms' : 'rv-preview-sms rv-preview-unused'}>
          <p className="rv-preview-label">
            Text message{!channels.includes('sms') && ' (not used: texts are off)'}
          </p>
          <div className="rv-bubble" data-testid="sms-preview">
            {sms.body}
          </div>
          <p className={over ? 'app-hint rv-tone-bad' : 'app-hint'}>
            {sms.length} of {preview.smsMaxLength} characters{sms.shortened && ' — shortened to fit; the link and the STOP line are never cut'}
          </p>
        </div>
        <div className={channels.includes('email') ? 'rv-preview-email' : 'rv-preview-email rv-preview-unused'}>
          <p className="rv-preview-label">Email{!channels.includes('email') && ' (not used: email is off)'}</p>
          <p className="rv-preview-subject">
            <span className="jc-muted">Subject: </span>
            <span data-testid="email-subject-preview">{email.subject}</span>
          </p>
          <iframe className="rv-email-frame" title="Email preview" srcDoc={previewDocument(email.html)} />
          <details className="rv-plain">
            <summary>Plain-text version</summary>
            <pre data-testid="email-text-preview">{email.text}</pre>
          </details>
        </div>
      </div>
    </section>
  );
}
