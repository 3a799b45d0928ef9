import { useEffect, useId, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { ReviewChannels, ReviewSettings } from './schemas';
import {
  CHANNEL_CHOICES,
  delayText,
  patchFromValues,
  pendingEffect,
  sameValues,
  validateSettings,
  valuesFromSettings,
  type FieldProblem,
  type SettingsField,
  type SettingsPatch,
  type SettingsValues,
} from './settings';
import { SettingsPreview } from './SettingsPreview';
import type { SaveResult } from './useReviews';
import type { PreviewContext } from './preview';

// The review settings (SPEC §10 "Settings"): owners and admins edit, members read. Problems are
// found before saving and explained next to their field, with a summary at the top that links to
// each; the live preview shows the messages from what is typed now.

export interface SettingsFormProps {
  settings: ReviewSettings;
  businessName: string;
  channels: ReviewChannels | null;
  canManage: boolean;
  busy: string | null;
  onSave: (patch: SettingsPatch) => Promise<SaveResult>;
}

export function SettingsForm({ settings, businessName, channels, canManage, busy, onSave }: SettingsFormProps) {
  const saved = useMemo(() => valuesFromSettings(settings), [settings]);
  const [values, setValues] = useState<SettingsValues>(saved);
  const [attempted, setAttempted] = useState(false);
  const [serverProblem, setServerProblem] = useState<FieldProblem | null>(null);
  const [serverError, setServerError] = useState<string | null>(null);
  const summaryRef = useRef<HTMLDivElement>(null);
  const base = useId();
  const idOf = (field: SettingsField) => `${base}-${field}`;
  const dirty = !sameValues(values, saved);

  // Settings saved elsewhere (another tab, another admin) replace the form only while it holds no edits.
  const lastSaved = useRef(saved);
  useEffect(() => {
    if (sameValues(lastSaved.current, saved)) return;
    setValues((current) => (sameValues(current, lastSaved.current) ? saved : current));
    lastSaved.current = saved;
  }, [saved]);

  const context = useMemo(() => ({ businessName, reviewLinkBase: channels?.review_link_base ?? null }), [businessName, channels]);
  const problems = useMemo(() => {
    const found = attempted ? validateSettings(values, context) : [];
    return serverProblem && !found.some((p) => p.field === serverProblem.field) ? [...found, serverProblem] : found;
  }, [attempted, values, context, serverProblem]);
  const previewContext: PreviewContext = useMemo(
    () => ({ businessName, reviewLinkBase: channels?.review_link_base ?? null, unsubscribeUrl: channels?.unsubscribe_url ?? null }),
    [businessName, channels],
  );
  const effect = canManage ? pendingEffect(settings, values) : null;

  function set<K extends SettingsField>(field: K, value: SettingsValues[K]) {
    setValues((current) => ({ ...current, [field]: value }));
    if (serverProblem?.field === field) setServerProblem(null);
    setServerError(null);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setAttempted(true);
    setServerProblem(null);
    setServerError(null);
    const found = validateSettings(values, context);
    if (found.length > 0) {
      requestAnimationFrame(() => summaryRef.current?.focus());
      return;
    }
    const patch = patchFromValues(values);
    const result = await onSave(patch);
    if (result.ok) {
      // The form shows what was stored ("99.5", trimmed names), so it is not dirty after saving.
      const stored = valuesFromSettings({ ...settings, ...patch });
      setAttempted(false);
      setValues(stored);
      lastSaved.current = stored;
    } else if (result.problem) {
      setServerProblem(result.problem);
      requestAnimationFrame(() => summaryRef.current?.focus());
    } else {
      setServerError(result.message);
    }
  }

  const problemOf = (field: SettingsField) => problems.find((p) => p.field === field)?.message ?? null;
  const fieldProps = (field: SettingsField, hint?: boolean) => {
    const problem = problemOf(field);
    const described = [hint ? `${idOf(field)}-hint` : null, problem ? `${idOf(field)}-error` : null].filter(Boolean).join(' ');
    return { id: idOf(field), 'aria-invalid': problem !== null, ...(described ? { 'aria-describedby': described } : {}) };
  };
  const text = (field: SettingsField) => values[field] as string;
  const onText = (field: SettingsField) => (event: { target: { value: string } }) => set(field, event.target.value as never);

  const delay = /^\d+$/.test(values.delay_minutes.trim()) ? Number(values.delay_minutes.trim()) : null;
  const chosen = values.channels.split(',');
  const unconfigured = channels ? chosen.filter((c) => !(c === 'sms' ? channels.sms.configured : channels.email.configured)) : [];

  return (
    <form className="rv-settings" aria-label="Review settings" noValidate onSubmit={(e) => void submit(e)}>
      {!canManage && <p className="jc-banner jc-banner-warning">Only owners and admins can change these settings.</p>}
      {problems.length > 0 && (
        <div className="jc-alert jc-alert-error rv-summary" role="alert" tabIndex={-1} ref={summaryRef}>
          <p>
            <strong>{problems.length === 1 ? 'One thing to fix before saving:' : `${problems.length} things to fix before saving:`}</strong>
          </p>
          <ul>
            {problems.map((p) => (
              <li key={`${p.field}:${p.message}`}>
                <a
                  href={`#${idOf(p.field)}`}
                  onClick={(e) => {
                    e.preventDefault();
                    document.getElementById(idOf(p.field))?.focus();
                  }}
                >
                  {p.message}
                </a>
              </li>
            ))}
          </ul>
        </div>
      )}

      <fieldset className="rv-fieldset" disabled={!canManage}>
        <legend>When to ask</legend>
        <Check id={idOf('enabled')} checked={values.enabled} onChange={(v) => set('enabled', v)}>
          Ask customers for a review automatically when a job is done
        </Check>
        <Field label="Ask when" id={idOf('trigger')}>
          <select {...fieldProps('trigger')} value={values.trigger} onChange={(e) => set('trigger', e.target.value as SettingsValues['trigger'])}>
            <option value="job_closed">The whole job is closed</option>
            <option value="visit_completed">Each visit is completed (recurring work)</option>
          </select>
        </Field>
        <Field label="Wait after the job is done (minutes)" id={idOf('delay_minutes')} problem={problemOf('delay_minutes')} hint={delay !== null && delay <= 10_080 ? `Asks ${delayText(delay)}${delay === 0 ? '' : ' after'}.` : '0 to 10,080 (one week).'}>
          <input {...fieldProps('delay_minutes', true)} type="text" inputMode="numeric" value={text('delay_minutes')} onChange={onText('delay_minutes')} />
        </Field>
        <div className="rv-pair">
          <Field label="Send from" id={idOf('send_window_start')} problem={problemOf('send_window_start')} hint="In each customer's own time zone.">
            <input {...fieldProps('send_window_start', true)} type="time" value={values.send_window_start} onChange={onText('send_window_start')} />
          </Field>
          <Field label="Until" id={idOf('send_window_end')} problem={problemOf('send_window_end')}>
            <input {...fieldProps('send_window_end')} type="time" value={values.send_window_end} onChange={onText('send_window_end')} />
          </Field>
        </div>
        <Check id={idOf('require_approval')} checked={values.require_approval} onChange={(v) => set('require_approval', v)}>
          Ask me before each request goes out (requests wait for approval)
        </Check>
      </fieldset>

      <fieldset className="rv-fieldset" disabled={!canManage}>
        <legend>How to reach customers</legend>
        <Field label="Contact customers by" id={idOf('channels')} problem={problemOf('channels')} hint="Each customer gets the first channel they can receive.">
          <select {...fieldProps('channels', true)} value={values.channels} onChange={(e) => set('channels', e.target.value as SettingsValues['channels'])}>
            {CHANNEL_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </Field>
        {unconfigured.length > 0 && (
          <p className="jc-alert rv-warn">
            {unconfigured.map((c) => (c === 'sms' ? 'Texting' : 'Email')).join(' and ')} {unconfigured.length === 1 ? 'is' : 'are'} not set up on this
            Blipp server yet: those messages go by the next channel the customer can receive, or fail.
          </p>
        )}
        <div className="rv-pair">
          <Field label="Follow-ups" id={idOf('follow_ups')} problem={problemOf('follow_ups')} hint="0 to 3, stopped once the link is opened.">
            <select {...fieldProps('follow_ups', true)} value={values.follow_ups} onChange={onText('follow_ups')}>
              {['0', '1', '2', '3'].map((n) => (
                <option key={n} value={n}>
                  {n === '0' ? 'None' : n}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Days between follow-ups" id={idOf('follow_up_days')} problem={problemOf('follow_up_days')} hint="1 to 30.">
            <input {...fieldProps('follow_up_days', true)} type="text" inputMode="numeric" value={text('follow_up_days')} onChange={onText('follow_up_days')} />
          </Field>
        </div>
        <div className="rv-pair">
          <Field label="Ask a customer again after (days)" id={idOf('reask_days')} problem={problemOf('reask_days')} hint="0 to 730. Applies to everyone sharing their phone or email.">
            <input {...fieldProps('reask_days', true)} type="text" inputMode="numeric" value={text('reask_days')} onChange={onText('reask_days')} />
          </Field>
          <Field label="Minimum job total ($)" id={idOf('min_job_total')} problem={problemOf('min_job_total')} hint="Leave empty to ask for every job.">
            <input {...fieldProps('min_job_total', true)} type="text" inputMode="decimal" value={text('min_job_total')} onChange={onText('min_job_total')} />
          </Field>
        </div>
        <Field label="Ask recent customers: at most this many an hour" id={idOf('backfill_per_hour')} problem={problemOf('backfill_per_hour')} hint="1 to 500.">
          <input {...fieldProps('backfill_per_hour', true)} type="text" inputMode="numeric" value={text('backfill_per_hour')} onChange={onText('backfill_per_hour')} />
        </Field>
      </fieldset>

      <fieldset className="rv-fieldset" disabled={!canManage}>
        <legend>Messages</legend>
        <Field label="Your review page" id={idOf('review_url')} problem={problemOf('review_url')} hint="Where the link in every message leads, such as your Google review page. Starts with https://.">
          <input {...fieldProps('review_url', true)} type="url" inputMode="url" autoComplete="url" value={text('review_url')} onChange={onText('review_url')} />
        </Field>
        <Field label="Sender name" id={idOf('sender_name')} problem={problemOf('sender_name')} hint={`Shown as {business_name}. Leave empty to use "${businessName}".`}>
          <input {...fieldProps('sender_name', true)} type="text" value={text('sender_name')} onChange={onText('sender_name')} />
        </Field>
        <p className="app-hint" id={`${base}-placeholders`}>
          Placeholders: {'{first_name}'}, {'{business_name}'}, {'{technician}'} and {'{link}'} (required). Texts end with "Reply STOP to opt out".
        </p>
        <Field label="Text message" id={idOf('sms_template')} problem={problemOf('sms_template')} hint={`At most 320 characters once filled in, link and STOP line included.`}>
          <textarea {...fieldProps('sms_template', true)} rows={3} value={text('sms_template')} onChange={onText('sms_template')} />
        </Field>
        <Field label="Email subject" id={idOf('email_subject')} problem={problemOf('email_subject')}>
          <input {...fieldProps('email_subject')} type="text" value={text('email_subject')} onChange={onText('email_subject')} />
        </Field>
        <Field label="Email" id={idOf('email_template')} problem={problemOf('email_template')} hint="A line with only {link} becomes a “Leave a review” button.">
          <textarea {...fieldProps('email_template', true)} rows={7} value={text('email_template')} onChange={onText('email_template')} />
        </Field>
      </fieldset>

      <SettingsPreview values={values} context={previewContext} channels={chosen} />

      {canManage && (
        <>
          {effect && dirty && <p className="jc-alert rv-warn">{effect}</p>}
          {serverError && (
            <p className="jc-alert jc-alert-error" role="alert">
              {serverError}
            </p>
          )}
          <div className="jc-actions rv-sticky-actions">
            <button type="submit" className="jc-button jc-primary" disabled={busy !== null || !dirty}>
              {busy === 'save' ? 'Saving…' : 'Save settings'}
            </button>
            {dirty && (
              <button
                type="button"
                className="jc-button"
                disabled={busy === 'save'}
                onClick={() => {
                  setValues(saved);
                  setAttempted(false);
                  setServerProblem(null);
                  setServerError(null);
                }}
              >
                Discard changes
              </button>
            )}
            {!dirty && <span className="app-hint">No unsaved changes.</span>}
          </div>
        </>
      )}
    </form>
  );
}

function Field({ label, id, problem, hint, children }: { label: string; id: string; problem?: string | null; hint?: string; children: ReactNode }) {
  return (
    <div className="app-field rv-field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && (
        <span id={`${id}-hint`} className="app-hint">
          {hint}
        </span>
      )}
      {problem && (
        <span id={`${id}-error`} className="rv-field-error">
          {problem}
        </span>
      )}
    </div>
  );
}

function Check({ id, checked, onChange, children }: { id: string; checked: boolean; onChange: (value: boolean) => void; children: ReactNode }) {
  return (
    <div className="rv-check">
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      <label htmlFor={id}>{children}</label>
    </div>
  );
}
