import { useEffect, useId, useRef, useState } from 'react';
import { formatDateTime } from '../jobber/format';
import { plural } from '../jobber/format';
import type { AskRecentSummary } from './schemas';
import { excludedText } from './words';

// "Ask recent customers" (SPEC §10 "Safe backfill"): jobs imported from Jobber's history were
// decided `historical` and never messaged. The owner previews what asking them would do - how
// many would be asked, how many are excluded and why, the pace and the first and last send - and
// only then confirms. Nothing is scheduled by the preview.

export const WITHIN_DAYS_CHOICES = [7, 14, 30, 60, 90] as const;

export interface AskRecentProps {
  busy: string | null;
  perHour: number;
  onPreview: (withinDays: number) => Promise<AskRecentSummary | null>;
  onConfirm: (withinDays: number) => Promise<AskRecentSummary | null>;
}

type Step =
  | { kind: 'choose' }
  | { kind: 'previewed'; withinDays: number; summary: AskRecentSummary }
  | { kind: 'done'; withinDays: number; summary: AskRecentSummary };

function when(iso: string | null): string {
  return iso ? formatDateTime(iso) : '—';
}

export function pacingText(summary: AskRecentSummary): string | null {
  if (summary.asked === 0 || summary.first_send_at === null) return null;
  const pace = summary.per_hour !== null ? `at most ${plural(summary.per_hour, 'customer', 'customers')} an hour, ` : '';
  if (summary.last_send_at === null || summary.last_send_at === summary.first_send_at) {
    return `The first message goes out ${when(summary.first_send_at)} (${pace}inside the sending window).`;
  }
  return `Messages go out ${pace}inside the sending window: the first ${when(summary.first_send_at)}, the last ${when(summary.last_send_at)}.`;
}

function ExclusionList({ summary }: { summary: AskRecentSummary }) {
  const entries = Object.entries(summary.excluded).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return null;
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  return (
    <>
      <p>{plural(total, 'job is', 'jobs are')} left out:</p>
      <ul className="rv-excluded">
        {entries.map(([reason, n]) => (
          <li key={reason}>{excludedText(reason, n)}</li>
        ))}
      </ul>
    </>
  );
}

export function AskRecent({ busy, perHour, onPreview, onConfirm }: AskRecentProps) {
  const [withinDays, setWithinDays] = useState<number>(30);
  const [step, setStep] = useState<Step>({ kind: 'choose' });
  const selectId = useId();
  const resultRef = useRef<HTMLDivElement>(null);

  // Move focus to what the last click produced, so keyboard and screen-reader users land on it.
  useEffect(() => {
    if (step.kind !== 'choose') resultRef.current?.focus();
  }, [step]);

  async function preview() {
    const summary = await onPreview(withinDays);
    if (summary) setStep({ kind: 'previewed', withinDays, summary });
  }

  async function confirm(days: number) {
    const summary = await onConfirm(days);
    if (summary) setStep({ kind: 'done', withinDays: days, summary });
  }

  return (
    <section className="rv-section" aria-label="Ask recent customers">
      <p>
        Jobs imported from Jobber's history are never messaged on their own. You can ask those customers now: see first who would be
        asked, then confirm. At most {plural(perHour, 'customer', 'customers')} an hour are asked (change it in Settings), only inside the
        sending window.
      </p>
      {step.kind === 'choose' && (
        <div className="rv-inline-form">
          <div className="app-field">
            <label htmlFor={selectId}>Jobs done in the last</label>
            <select id={selectId} value={withinDays} onChange={(e) => setWithinDays(Number(e.target.value))}>
              {WITHIN_DAYS_CHOICES.map((d) => (
                <option key={d} value={d}>
                  {d} days
                </option>
              ))}
            </select>
          </div>
          <button type="button" className="jc-button jc-primary" disabled={busy !== null} onClick={() => void preview()}>
            {busy === 'ask-preview' ? 'Counting…' : 'Preview'}
          </button>
        </div>
      )}

      {step.kind === 'previewed' && (
        <div className="rv-result" ref={resultRef} tabIndex={-1} role="group" aria-label="Preview of Ask recent customers">
          {step.summary.candidates === 0 ? (
            <p>
              <strong>No imported jobs from the last {step.withinDays} days are waiting to be asked.</strong>
            </p>
          ) : (
            <>
              <p>
                <strong>
                  {plural(step.summary.asked, 'customer', 'customers')} would be asked, of {plural(step.summary.candidates, 'imported job', 'imported jobs')} from
                  the last {step.withinDays} days.
                </strong>
                {step.summary.held > 0 && ` ${plural(step.summary.held, 'request waits', 'requests wait')} for your approval first.`}
              </p>
              <ExclusionList summary={step.summary} />
              {pacingText(step.summary) && <p>{pacingText(step.summary)}</p>}
              <p className="jc-muted">Nothing has been sent or scheduled yet.</p>
            </>
          )}
          <div className="jc-actions">
            {step.summary.asked > 0 && (
              <button type="button" className="jc-button jc-primary" disabled={busy !== null} onClick={() => void confirm(step.withinDays)}>
                {busy === 'ask-confirm' ? 'Scheduling…' : `Ask ${plural(step.summary.asked, 'customer', 'customers')}`}
              </button>
            )}
            <button type="button" className="jc-button" disabled={busy === 'ask-confirm'} onClick={() => setStep({ kind: 'choose' })}>
              {step.summary.asked > 0 ? 'Cancel' : 'Back'}
            </button>
          </div>
        </div>
      )}

      {step.kind === 'done' && (
        <div className="rv-result" ref={resultRef} tabIndex={-1} role="group" aria-label="Ask recent customers result">
          <div className="jc-banner jc-banner-ok">
            <strong>
              <span aria-hidden="true">✓ </span>
              {step.summary.asked > 0
                ? `${plural(step.summary.asked, 'customer is', 'customers are')} being asked.`
                : 'Nobody was left to ask.'}
            </strong>
            {step.summary.held > 0 && <p>{plural(step.summary.held, 'request waits', 'requests wait')} for your approval under Activity.</p>}
            {pacingText(step.summary) && <p>{pacingText(step.summary)}</p>}
          </div>
          <ExclusionList summary={step.summary} />
          <div className="jc-actions">
            <button type="button" className="jc-button" onClick={() => setStep({ kind: 'choose' })}>
              Done
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
