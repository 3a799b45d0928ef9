import { useId } from 'react';
import { formatDateTime } from '../jobber/format';
import type { Activity } from './schemas';
import { channelNoun, formatMoney, formatWhen, jobLabel } from './words';

// Requests waiting for approval (the "Ask before sending" setting): owners and admins approve
// (the messages are scheduled, re-timed from now, in the send window) or skip (never asked, and
// it does not count as asked); members see the queue.

export interface HeldQueueProps {
  held: Activity[];
  canManage: boolean;
  busy: string | null;
  now: number;
  onApprove: (item: Activity) => void;
  onSkip: (item: Activity) => void;
}

export function HeldQueue({ held, canManage, busy, now, onApprove, onSkip }: HeldQueueProps) {
  const titleId = useId();
  return (
    <section className="rv-section" aria-labelledby={titleId}>
      <h4 id={titleId} className="rv-section-title">
        Waiting for approval ({held.length})
      </h4>
      {!canManage && <p className="jc-muted">An owner or admin approves or skips these.</p>}
      <ul className="rv-list">
        {held.map((item) => {
          const request = item.request!;
          const first = request.messages.find((m) => m.step === 0);
          const name = item.customer?.name ?? 'the customer';
          const acting = busy === `approve:${request.id}` || busy === `skip:${request.id}`;
          return (
            <li key={request.id} className="rv-item rv-held">
              <div className="rv-item-head">
                <span className="rv-item-who">{item.customer?.name ?? 'No customer'}</span>
                <span className="rv-item-job">
                  {jobLabel(item)}
                  {item.job.total !== null && <> · {formatMoney(item.job.total)}</>}
                </span>
              </div>
              <p className="rv-item-meta">
                {first ? `Would be asked by ${channelNoun(first.channel)} at ${first.to_address}` : 'Would be asked'}
                {request.messages.length > 1 && `, with ${request.messages.length - 1} follow-up${request.messages.length > 2 ? 's' : ''}`}. Done{' '}
                <time dateTime={item.completion.completed_at} title={formatDateTime(item.completion.completed_at)}>
                  {formatWhen(item.completion.completed_at, now)}
                </time>
                .
              </p>
              {canManage && (
                <div className="jc-actions">
                  <button
                    type="button"
                    className="jc-button jc-primary"
                    disabled={busy !== null}
                    aria-label={`Approve the request to ${name}`}
                    onClick={() => onApprove(item)}
                  >
                    {busy === `approve:${request.id}` ? 'Approving…' : 'Approve'}
                  </button>
                  <button
                    type="button"
                    className="jc-button"
                    disabled={busy !== null}
                    aria-label={`Skip the request to ${name}`}
                    onClick={() => onSkip(item)}
                  >
                    {busy === `skip:${request.id}` ? 'Skipping…' : 'Skip'}
                  </button>
                  {acting && <span className="jc-spinner" aria-hidden="true" />}
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
