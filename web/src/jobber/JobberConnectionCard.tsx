import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { formatDateTime, formatNumber, formatRelative, formatTime, plural } from './format';
import { canManageConnection, type CardState, type Role } from './state';
import { isDisconnectedInJobber, type JobberStatus } from './status';
import { useJobberConnection, type JobberConnection, type JobberSupabase, type UseJobberConnectionOptions } from './useJobberConnection';
import './jobber.css';
import { sentence } from '../lib/sentence';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface JobberConnectionCardProps {
  supabase: JobberSupabase;
  businessId: string;
  /** The signed-in user's role in this business; only owners and admins may connect or disconnect. */
  role: Role;
  appOrigin: string;
  pollMs?: UseJobberConnectionOptions['pollMs'];
  onChange?: UseJobberConnectionOptions['onChange'];
}

/** The card Blipp's dashboard embeds: wires the data hook to the presentational view. */
export function JobberConnectionCard({ supabase, businessId, role, appOrigin, pollMs, onChange }: JobberConnectionCardProps) {
  const connection = useJobberConnection(supabase, businessId, {
    appOrigin,
    ...(pollMs === undefined ? {} : { pollMs }),
    ...(onChange === undefined ? {} : { onChange }),
  });
  return <JobberConnectionCardView connection={connection} role={role} />;
}

export interface JobberConnectionCardViewProps {
  connection: Pick<JobberConnection, 'state' | 'busy' | 'actionError' | 'connect' | 'cancelConnect' | 'sync' | 'disconnect' | 'retry' | 'replay'>;
  role: Role;
  /** Clock for relative times; defaults to the time of rendering. */
  now?: number;
}

/** Sentence for the live region: what changed, including sync progress. */
export function announce(state: CardState): string {
  switch (state.kind) {
    case 'loading':
      return 'Loading Jobber status…';
    case 'disconnected':
      return 'Jobber is not connected.';
    case 'connecting':
      return 'Waiting for Jobber…';
    case 'connected':
      return sentence(`Connected to Jobber${state.status.account_name ? ` as ${state.status.account_name}` : ''}`);
    case 'syncing':
      return syncProgressText(state.status);
    case 'needs_reconnect':
      return isDisconnectedInJobber(state.status) ? 'Disconnected in Jobber. Reconnect to resume.' : 'Jobber needs to be reconnected.';
    case 'error':
      return state.message;
  }
}

export function syncProgressText(status: JobberStatus): string {
  const { processed, total, state } = status.sync;
  if (state === 'queued' && processed === 0) return 'Sync queued, starting soon…';
  if (total === null) return `Syncing customers… ${formatNumber(processed)} so far`;
  return `Syncing customers… ${formatNumber(processed)} of ${formatNumber(total)}`;
}

function titleFor(state: CardState): string {
  if ((state.kind === 'connected' || state.kind === 'syncing' || state.kind === 'needs_reconnect') && state.status.account_name) {
    return state.status.account_name;
  }
  return 'Jobber';
}

export function JobberConnectionCardView({ connection, role, now }: JobberConnectionCardViewProps) {
  const { state, busy, actionError } = connection;
  const titleId = useId();
  const canManage = canManageConnection(role);
  const clock = now ?? Date.now();

  return (
    <section className="jc-card" aria-labelledby={titleId} aria-busy={state.kind === 'loading'} data-state={state.kind}>
      <header className="jc-header">
        <span className="jc-eyebrow">Jobber integration</span>
        <h3 id={titleId} className="jc-title">
          {titleFor(state)}
        </h3>
      </header>

      <div className="jc-visually-hidden" role="status" aria-live="polite" aria-atomic="true">
        {announce(state)}
      </div>

      <Body state={state} connection={connection} canManage={canManage} now={clock} />

      {actionError !== null && state.kind !== 'error' && (
        <p className="jc-alert jc-alert-error" role="alert">
          {actionError}
        </p>
      )}
      {busy === 'disconnect' && <p className="jc-muted">Disconnecting…</p>}
    </section>
  );
}

interface BodyProps {
  state: CardState;
  connection: JobberConnectionCardViewProps['connection'];
  canManage: boolean;
  now: number;
}

function Body({ state, connection, canManage, now }: BodyProps) {
  switch (state.kind) {
    case 'loading':
      return <p className="jc-muted">Loading Jobber status…</p>;
    case 'disconnected':
      return (
        <>
          <p>Connect Jobber to bring your Jobber clients into Blipp as customers and ask for reviews when jobs are done.</p>
          {state.status.connection.last_sync && (
            <p className="jc-muted">Customers imported earlier stay in Blipp.</p>
          )}
          {canManage ? (
            <div className="jc-actions">
              <button type="button" className="jc-button jc-primary" onClick={connection.connect}>
                Connect Jobber
              </button>
            </div>
          ) : (
            <p className="jc-muted">Ask an owner or admin of this business to connect Jobber.</p>
          )}
        </>
      );
    case 'connecting':
      return (
        <>
          <p className="jc-waiting">
            <span className="jc-spinner" aria-hidden="true" />
            Waiting for Jobber…
          </p>
          <p className="jc-muted">Finish signing in to Jobber in the window that opened.</p>
          <div className="jc-actions">
            <button type="button" className="jc-button" onClick={connection.cancelConnect}>
              Cancel
            </button>
          </div>
        </>
      );
    case 'connected':
    case 'syncing':
      return <ConnectedBody status={state.status} syncing={state.kind === 'syncing'} connection={connection} canManage={canManage} now={now} />;
    case 'needs_reconnect': {
      // Jobber itself let go of the app (disconnected from Jobber's side, or the account is no
      // longer active): say so, rather than suggesting something merely went stale.
      const inJobber = isDisconnectedInJobber(state.status);
      return (
        <>
          <div className="jc-banner jc-banner-warning" role="alert">
            <strong>
              <span aria-hidden="true">⚠ </span>
              {inJobber ? 'Disconnected in Jobber' : 'Jobber needs to be reconnected'}
            </strong>
            {state.message && <p>{state.message}</p>}
          </div>
          <Details status={state.status} now={now} connection={connection} canManage={canManage} />
          {canManage ? (
            <div className="jc-actions">
              <button type="button" className="jc-button jc-primary" onClick={connection.connect}>
                {inJobber ? 'Reconnect' : 'Reconnect Jobber'}
              </button>
            </div>
          ) : (
            <p className="jc-muted">Ask an owner or admin of this business to reconnect Jobber.</p>
          )}
        </>
      );
    }
    case 'error':
      return (
        <>
          <div className="jc-banner jc-banner-error" role="alert">
            <strong>
              <span aria-hidden="true">✕ </span>
              {state.message}
            </strong>
          </div>
          <div className="jc-actions">
            {state.source === 'connect' && canManage ? (
              // Connecting failed: trying again means going back to Jobber. Called straight from the
              // click so the browser allows the popup.
              <button type="button" className="jc-button jc-primary" onClick={connection.connect}>
                Try again
              </button>
            ) : (
              <button type="button" className="jc-button" onClick={() => void connection.retry()}>
                Try again
              </button>
            )}
            {canManage && state.source === 'connection' && state.status?.connectionStatus === 'error' && (
              <button type="button" className="jc-button jc-primary" onClick={connection.connect}>
                Reconnect Jobber
              </button>
            )}
          </div>
        </>
      );
  }
}

interface ConnectedBodyProps {
  status: JobberStatus;
  syncing: boolean;
  connection: BodyProps['connection'];
  canManage: boolean;
  now: number;
}

function ConnectedBody({ status, syncing, connection, canManage, now }: ConnectedBodyProps) {
  const [confirming, setConfirming] = useState(false);
  const disconnectRef = useRef<HTMLButtonElement>(null);
  const restoreFocus = useRef(false);
  const { sync } = status;

  useEffect(() => {
    if (!confirming && restoreFocus.current) {
      restoreFocus.current = false;
      disconnectRef.current?.focus();
    }
  }, [confirming]);

  const busy = connection.busy !== null;

  return (
    <>
      <div className="jc-banner jc-banner-ok">
        <strong>
          <span aria-hidden="true">✓ </span>Connected to Jobber
        </strong>
      </div>

      {syncing ? (
        <SyncProgress status={status} />
      ) : (
        <LastRun status={status} onRetry={() => void connection.sync()} busy={busy} />
      )}

      <Details status={status} now={now} connection={connection} canManage={canManage} />

      {confirming ? (
        <ConfirmDisconnect
          onConfirm={() => {
            setConfirming(false);
            void connection.disconnect();
          }}
          onCancel={() => {
            restoreFocus.current = true;
            setConfirming(false);
          }}
        />
      ) : (
        <div className="jc-actions">
          <button
            type="button"
            className="jc-button jc-primary"
            onClick={() => void connection.sync()}
            disabled={syncing || busy}
            aria-disabled={syncing || busy}
          >
            {connection.busy === 'sync' ? 'Starting sync…' : 'Sync Customers'}
          </button>
          {canManage && (
            <button type="button" className="jc-button jc-danger" ref={disconnectRef} onClick={() => setConfirming(true)} disabled={busy}>
              Disconnect
            </button>
          )}
        </div>
      )}
      {sync.state === 'never' && !syncing && <p className="jc-muted">No sync has run yet.</p>}
    </>
  );
}

function SyncProgress({ status }: { status: JobberStatus }) {
  const { processed, total } = status.sync;
  const text = syncProgressText(status);
  const percent = total !== null && total > 0 ? Math.min(100, Math.round((processed / total) * 100)) : null;
  const valueProps =
    total !== null
      ? { 'aria-valuemax': total, 'aria-valuenow': Math.min(processed, total), 'aria-valuetext': `${formatNumber(processed)} of ${formatNumber(total)} customers` }
      : { 'aria-valuetext': `${formatNumber(processed)} customers so far` };
  return (
    <div className="jc-progress-block">
      <p className="jc-progress-text">{text}</p>
      <div className="jc-progress" role="progressbar" aria-label="Customer sync progress" aria-valuemin={0} {...valueProps}>
        <div
          className={percent === null ? 'jc-progress-fill jc-progress-indeterminate' : 'jc-progress-fill'}
          style={percent === null ? undefined : { width: `${percent}%` }}
        />
      </div>
    </div>
  );
}

/**
 * What the latest finished sync did, in words: "Up to date — no changes since 10:02 AM" when it
 * found nothing new, else what changed ("3 updated", "25 new customers, 1 removed"). Counting the
 * customers it merely looked at ("0 customers") reads as if they were lost.
 */
export function syncResultText(sync: JobberStatus['sync']): string {
  const changes = [
    sync.created > 0 ? plural(sync.created, 'new customer', 'new customers') : null,
    sync.updated > 0 ? `${formatNumber(sync.updated)} updated` : null,
    sync.removed > 0 ? `${formatNumber(sync.removed)} removed in Jobber` : null,
  ].filter((part): part is string => part !== null);
  const problems = sync.errors > 0 ? `${formatNumber(sync.errors)} could not be imported` : null;
  if (changes.length === 0) {
    const since = sync.kind === 'incremental' && sync.since ? ` since ${formatTime(sync.since)}` : '';
    return problems ? `Last sync: no changes${since}; ${problems}` : `Up to date — no changes${since}`;
  }
  return `Last sync: ${[...changes, ...(problems ? [problems] : [])].join(', ')}`;
}

function LastRun({ status, onRetry, busy }: { status: JobberStatus; onRetry: () => void; busy: boolean }) {
  const { sync } = status;
  switch (sync.state) {
    case 'succeeded':
      return (
        <p className="jc-last-run">
          {syncResultText(sync)}
          {sync.finished_at && (
            <span className="jc-muted">
              {' '}
              (checked at <time dateTime={sync.finished_at}>{formatTime(sync.finished_at)}</time>)
            </span>
          )}
        </p>
      );
    case 'failed':
      return (
        <div className="jc-alert jc-alert-error" role="alert">
          <p>Last sync failed: {sync.error ?? 'an unknown error happened.'}</p>
          <button type="button" className="jc-button" onClick={onRetry} disabled={busy}>
            Retry sync
          </button>
        </div>
      );
    case 'cancelled':
      return <p className="jc-last-run">Last sync was cancelled.</p>;
    default:
      return null;
  }
}

interface DetailsProps {
  status: JobberStatus;
  now: number;
  connection: BodyProps['connection'];
  canManage: boolean;
}

function Details({ status, now, connection, canManage }: DetailsProps) {
  const { completed_30d: completed, last_completed_at: lastCompleted } = status.jobs;
  return (
    <dl className="jc-details">
      <div>
        <dt>Customers from Jobber</dt>
        <dd>{formatNumber(status.customers.from_jobber)}</dd>
      </div>
      <div>
        <dt>Last synced</dt>
        <dd>{status.last_sync ? <RelativeTime iso={status.last_sync} now={now} /> : 'Never'}</dd>
      </div>
      <div>
        <dt>Updates from Jobber</dt>
        <dd id={JOBBER_UPDATES_ROW_ID}>
          <WebhookHealth status={status} now={now} connection={connection} canManage={canManage} />
        </dd>
      </div>
      <div>
        <dt>Jobs done (30 days)</dt>
        <dd>
          {formatNumber(completed)}
          {lastCompleted !== null && (
            <span className="jc-muted">
              {' '}
              (last <RelativeTime iso={lastCompleted} now={now} />)
            </span>
          )}
        </dd>
      </div>
    </dl>
  );
}

function RelativeTime({ iso, now }: { iso: string; now: number }) {
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {formatRelative(iso, now)}
    </time>
  );
}

/** The Updates from Jobber row, where Replay is: the reviews card links here for failed updates. */
export const JOBBER_UPDATES_ROW_ID = 'jobber-updates';

export function webhookHealthText(status: JobberStatus, now: number): { tone: 'ok' | 'idle' | 'bad'; text: string } {
  const { failed, last_event_at: last } = status.webhooks;
  if (failed > 0) return { tone: 'bad', text: `${plural(failed, 'update', 'updates')} failed` };
  if (last === null) return { tone: 'idle', text: 'No updates received yet' };
  const age = now - Date.parse(last);
  if (age <= DAY_MS) return { tone: 'ok', text: 'Receiving updates' };
  return { tone: 'idle', text: 'No updates in the last 24 hours' };
}

/**
 * The "Updates from Jobber" row: whether Jobber's webhooks are arriving (and when the last one
 * did), how many wait to be applied, and how many failed for good - with Replay for owners and
 * admins, who may re-queue them (members see the count, not the button).
 */
function WebhookHealth({ status, now, connection, canManage }: DetailsProps): ReactNode {
  const { tone, text } = webhookHealthText(status, now);
  const icon = tone === 'ok' ? '● ' : tone === 'bad' ? '▲ ' : '○ ';
  const { last_event_at: last, pending, failed } = status.webhooks;
  const countId = useId();
  const replaying = connection.busy === 'replay';
  return (
    <span className="jc-updates">
      <span className={`jc-health jc-health-${tone}`} id={countId}>
        <span aria-hidden="true">{icon}</span>
        {text}
      </span>
      {last !== null && (
        <span className="jc-muted">
          {' '}
          (last <RelativeTime iso={last} now={now} />)
        </span>
      )}
      {pending > 0 && <span className="jc-muted"> · {plural(pending, 'update', 'updates')} waiting</span>}
      {failed > 0 && status.connectionStatus === 'connected' && canManage && (
        <button
          type="button"
          className="jc-button jc-inline-button"
          onClick={() => void connection.replay()}
          disabled={connection.busy !== null}
          aria-describedby={countId}
        >
          {replaying ? 'Replaying…' : 'Replay'}
        </button>
      )}
      {failed > 0 && !canManage && <span className="jc-muted"> Ask an owner or admin to replay them.</span>}
    </span>
  );
}

function ConfirmDisconnect({ onConfirm, onCancel }: { onConfirm: () => void; onCancel: () => void }) {
  const titleId = useId();
  const descriptionId = useId();
  const cancelRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    cancelRef.current?.focus();
  }, []);

  return (
    <div
      className="jc-confirm"
      role="alertdialog"
      aria-modal="false"
      aria-labelledby={titleId}
      aria-describedby={descriptionId}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.stopPropagation();
          onCancel();
        }
      }}
    >
      <p id={titleId} className="jc-confirm-title">
        Disconnect Jobber?
      </p>
      <p id={descriptionId}>Customers already imported stay in Blipp.</p>
      <div className="jc-actions">
        <button type="button" className="jc-button jc-danger" onClick={onConfirm}>
          Disconnect
        </button>
        <button type="button" className="jc-button" ref={cancelRef} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
