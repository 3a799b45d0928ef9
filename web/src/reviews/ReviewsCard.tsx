import { useId, useState } from 'react';
import { plural } from '../jobber/format';
import { JOBBER_UPDATES_ROW_ID } from '../jobber/JobberConnectionCard';
import { ActivityList } from './ActivityList';
import { AskRecent } from './AskRecent';
import { HeldQueue } from './HeldQueue';
import { OptOuts } from './OptOuts';
import { ReviewsChart } from './ReviewsChart';
import { SettingsForm } from './SettingsForm';
import { clockTime, delayText } from './settings';
import { canManageReviews, type ReviewsCardState, type ReviewsData, type Role } from './state';
import { Tabs } from './Tabs';
import { useReviews, type Reviews, type ReviewsSupabase } from './useReviews';
import './reviews.css';

export interface ReviewsCardProps {
  supabase: ReviewsSupabase;
  businessId: string;
  /** The signed-in user's role; owners and admins change settings, approve, ask and edit opt-outs. */
  role: Role;
  pollMs?: number;
}

/** The reviews card Blipp's dashboard embeds beside the Jobber card: the hook wired to the view. */
export function ReviewsCard({ supabase, businessId, role, pollMs }: ReviewsCardProps) {
  const reviews = useReviews(supabase, businessId, pollMs === undefined ? {} : { pollMs });
  return <ReviewsCardView reviews={reviews} role={role} />;
}

export interface ReviewsCardViewProps {
  reviews: Reviews;
  role: Role;
  /** Clock for times in words; defaults to the time of rendering. */
  now?: number;
}

/** One sentence for the card's state, for its (hidden) live region. */
export function announce(state: ReviewsCardState): string {
  switch (state.kind) {
    case 'loading':
      return 'Loading review requests…';
    case 'error':
      return state.message;
    case 'off':
      return 'Review requests are off.';
    case 'not_connected':
      return 'Review requests are on, but Jobber is not connected.';
    case 'needs_approval':
      return `${plural(state.data.held.length, 'review request is', 'review requests are')} waiting for approval.`;
    case 'on':
      return 'Review requests are on.';
  }
}

function channelWords(channels: readonly string[]): string {
  const words = channels.map((c) => (c === 'sms' ? 'text' : 'email'));
  return words.length === 2 ? `by ${words[0]}, else ${words[1]}` : `by ${words[0]} only`;
}

export function onSummary(data: ReviewsData): string {
  const { settings } = data;
  const when = settings.delay_minutes === 0 ? 'Right after a job is done' : `${delayText(settings.delay_minutes)} after a job is done`;
  const window = `${clockTime(settings.send_window_start)}–${clockTime(settings.send_window_end)} in each customer's time zone`;
  const followUps = settings.follow_ups === 0 ? 'no follow-ups' : `${plural(settings.follow_ups, 'follow-up', 'follow-ups')} ${settings.follow_up_days} days apart`;
  return `${when}, ${channelWords(settings.channels)}, ${window}; ${followUps}${settings.require_approval ? '; each request waits for approval' : ''}.`;
}

function StatusBanner({ state, canManage, onOpenSettings }: { state: Exclude<ReviewsCardState, { kind: 'loading' | 'error' }>; canManage: boolean; onOpenSettings: () => void }) {
  switch (state.kind) {
    case 'off':
      return (
        <div className="jc-banner jc-banner-warning">
          <strong>
            <span aria-hidden="true">○ </span>Review requests are off
          </strong>
          <p>Nobody is asked for a review automatically. {canManage ? 'Turn them on in Settings.' : 'An owner or admin can turn them on.'}</p>
          {canManage && (
            <button type="button" className="jc-button" onClick={onOpenSettings}>
              Open settings
            </button>
          )}
        </div>
      );
    case 'not_connected':
      return (
        <div className="jc-banner jc-banner-warning">
          <strong>
            <span aria-hidden="true">⚠ </span>Jobber is not connected
          </strong>
          <p>Review requests are on, but jobs done now are not asked: connect Jobber in its card.</p>
        </div>
      );
    case 'needs_approval':
      return (
        <div className="jc-banner jc-banner-warning">
          <strong>
            <span aria-hidden="true">◷ </span>
            {plural(state.data.held.length, 'request is', 'requests are')} waiting for {canManage ? 'your' : 'an owner’s or admin’s'} approval
          </strong>
          <p>{onSummary(state.data)}</p>
        </div>
      );
    case 'on':
      return (
        <div className="jc-banner jc-banner-ok">
          <strong>
            <span aria-hidden="true">✓ </span>Asking customers for reviews
          </strong>
          <p>{onSummary(state.data)}</p>
        </div>
      );
  }
}

/**
 * Failed Jobber updates (SPEC §10's card lists them with Replay): a job they carry is not decided
 * until they are replayed. Replay itself is the Jobber card's (its row shows what failed, runs
 * jobber-replay and its busy and error states), so this points there rather than doing it twice.
 */
function FailedUpdatesLine({ data, canManage }: { data: ReviewsData; canManage: boolean }) {
  if (data.jobberUpdatesFailed === 0 || data.jobberStatus !== 'connected') return null;
  const what = `${plural(data.jobberUpdatesFailed, 'update', 'updates')} from Jobber`;
  return (
    <p className="jc-alert jc-alert-error rv-failed-updates">
      {what} failed, so the jobs they carry are not decided yet.{' '}
      {canManage ? (
        <a href={`#${JOBBER_UPDATES_ROW_ID}`}>Replay them in the Jobber card</a>
      ) : (
        'An owner or admin can replay them in the Jobber card'
      )}
      .
    </p>
  );
}

function ChannelsLine({ data }: { data: ReviewsData }) {
  if (data.channels === null) {
    return <p className="app-hint">{data.channelsError ?? 'Checking which channels are set up…'}</p>;
  }
  const item = (label: string, configured: boolean) => (
    <span className={configured ? 'rv-channel rv-tone-ok' : 'rv-channel rv-tone-bad'}>
      <span aria-hidden="true">{configured ? '● ' : '○ '}</span>
      {label}: {configured ? 'set up' : 'not set up'}
    </span>
  );
  return (
    <p className="rv-channels">
      {item('Texts', data.channels.sms.configured)}
      {item('Email', data.channels.email.configured)}
    </p>
  );
}

export function ReviewsCardView({ reviews, role, now }: ReviewsCardViewProps) {
  const { state, busy, notice, actionError } = reviews;
  const titleId = useId();
  const canManage = canManageReviews(role);
  const clock = now ?? Date.now();
  const [tab, setTab] = useState('activity');

  return (
    <section className="rv-card" aria-labelledby={titleId} aria-busy={state.kind === 'loading'} data-state={state.kind}>
      <header className="jc-header">
        <span className="jc-eyebrow">Blipp reviews</span>
        <h3 id={titleId} className="jc-title">
          Review requests
        </h3>
      </header>

      <div className="jc-visually-hidden" role="status" aria-live="polite" aria-atomic="true">
        {announce(state)}
      </div>

      {state.kind === 'loading' && <p className="jc-muted">Loading review requests…</p>}
      {state.kind === 'error' && (
        <>
          <div className="jc-banner jc-banner-error" role="alert">
            <strong>
              <span aria-hidden="true">✕ </span>
              {state.message}
            </strong>
          </div>
          <div className="jc-actions">
            <button type="button" className="jc-button" onClick={() => void reviews.retry()}>
              Try again
            </button>
          </div>
        </>
      )}
      {state.kind !== 'loading' && state.kind !== 'error' && (
        <>
          <StatusBanner state={state} canManage={canManage} onOpenSettings={() => setTab('settings')} />
          <ChannelsLine data={state.data} />
          <FailedUpdatesLine data={state.data} canManage={canManage} />
          <p className="rv-notice" role="status" aria-live="polite">
            {notice}
          </p>
          {actionError !== null && (
            <p className="jc-alert jc-alert-error" role="alert">
              {actionError}
            </p>
          )}
          <Tabs
            label="Review requests"
            selected={tab}
            onSelect={setTab}
            tabs={[
              {
                id: 'activity',
                label: state.data.held.length > 0 ? `Activity (${state.data.held.length} waiting)` : 'Activity',
                panel: (
                  <>
                    <ReviewsChart days={state.data.chart} />
                    {state.data.held.length > 0 && (
                      <HeldQueue held={state.data.held} canManage={canManage} busy={busy} now={clock} onApprove={(i) => void reviews.approve(i)} onSkip={(i) => void reviews.skip(i)} />
                    )}
                    <section className="rv-section" aria-labelledby={`${titleId}-recent`}>
                      <h4 id={`${titleId}-recent`} className="rv-section-title">
                        Recent jobs
                      </h4>
                      <ActivityList activity={state.data.activity} now={clock} />
                    </section>
                  </>
                ),
              },
              ...(canManage
                ? [{
                  id: 'ask-recent',
                  label: 'Ask recent',
                  panel: (
                    <AskRecent busy={busy} perHour={state.data.settings.backfill_per_hour} onPreview={reviews.previewAskRecent} onConfirm={reviews.confirmAskRecent} />
                  ),
                }]
                : []),
              {
                id: 'opt-outs',
                label: 'Opt-outs',
                panel: (
                  <OptOuts
                    optOuts={state.data.optOuts}
                    total={state.data.optOutTotal}
                    country={state.data.business.country}
                    canManage={canManage}
                    busy={busy}
                    now={clock}
                    onAdd={reviews.addOptOut}
                    onRemove={(o) => void reviews.removeOptOut(o)}
                  />
                ),
              },
              {
                id: 'settings',
                label: 'Settings',
                panel: (
                  <SettingsForm
                    settings={state.data.settings}
                    businessName={state.data.business.name}
                    channels={state.data.channels}
                    canManage={canManage}
                    busy={busy}
                    onSave={reviews.saveSettings}
                  />
                ),
              },
            ]}
          />
        </>
      )}
    </section>
  );
}
