import { formatDateTime } from '../jobber/format';
import type { Activity } from './schemas';
import { channelNoun, decisionText, formatMoney, formatWhen, jobLabel, messageStatusText, stepLabel, type Tone } from './words';

// Recent jobs: each completion with its decision in plain words, each message of its request with
// its real status, and the customer's replies under the request they answered.

const ICON: Record<Tone, string> = { ok: '✓', info: '●', warn: '◷', muted: '–', bad: '▲' };

export function ActivityItem({ activity, now }: { activity: Activity; now: number }) {
  const { text, tone } = decisionText(activity, now);
  const request = activity.request;
  const completedAt = activity.completion.completed_at;
  return (
    <li className="rv-item" data-reason={activity.reason}>
      <div className="rv-item-head">
        <span className="rv-item-who">{activity.customer?.name || 'No customer'}</span>
        <span className="rv-item-job">
          {jobLabel(activity)}
          {activity.job.total !== null && <> · {formatMoney(activity.job.total)}</>}
        </span>
      </div>
      <p className={`rv-decision rv-tone-${tone}`}>
        <span aria-hidden="true">{ICON[tone]} </span>
        <span>{text}</span>
      </p>
      <p className="rv-item-meta jc-muted">
        {activity.completion.kind === 'visit_completed' ? 'Visit completed' : 'Job closed'}{' '}
        <time dateTime={completedAt} title={formatDateTime(completedAt)}>
          {formatWhen(completedAt, now)}
        </time>
        {activity.job.deleted && ' · deleted in Jobber since'}
      </p>
      {request !== null && request.messages.length > 0 && (
        <ul className="rv-messages" aria-label={`Messages to ${activity.customer?.name ?? 'the customer'}`}>
          {request.messages.map((m) => (
            <li key={m.id} data-status={m.status}>
              <span className="rv-message-step">{stepLabel(m)}:</span> {messageStatusText(m, now)}
            </li>
          ))}
        </ul>
      )}
      {request !== null && request.clicked_at !== null && (
        <p className="rv-item-meta rv-tone-ok">
          Opened the review link {formatWhen(request.clicked_at, now)}
          {request.click_count > 1 && ` (${request.click_count} times)`}
        </p>
      )}
      {request !== null && request.replies.length > 0 && (
        <div className="rv-replies">
          {request.replies.map((reply) => (
            <blockquote key={reply.id} className="rv-reply">
              <p>{reply.body}</p>
              <footer className="jc-muted">
                {activity.customer?.name ?? 'The customer'} replied by {channelNoun(reply.channel)}{' '}
                <time dateTime={reply.received_at}>{formatWhen(reply.received_at, now)}</time>
              </footer>
            </blockquote>
          ))}
        </div>
      )}
    </li>
  );
}

export function ActivityList({ activity, now }: { activity: Activity[]; now: number }) {
  if (activity.length === 0) {
    return <p className="jc-muted">No jobs yet. When a job is done in Jobber it shows up here, with whether its customer was asked and why.</p>;
  }
  return (
    <ul className="rv-list" aria-label="Recent jobs">
      {activity.map((a) => (
        <ActivityItem key={a.decision_id} activity={a} now={now} />
      ))}
    </ul>
  );
}
