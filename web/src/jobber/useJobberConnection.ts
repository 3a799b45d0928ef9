import type { SupabaseClient } from '@supabase/supabase-js';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { z } from 'zod';
import { invokeFunction, toApiError } from '../lib/functions';
import { CONNECTING_BUSINESS_KEY, describeError, parseJobberMessage } from './messages';
import { deriveCardState, type CardState } from './state';
import { isSyncActive, parseStatus, type JobberStatus, type SyncKind } from './status';

export type JobberSupabase = Pick<SupabaseClient, 'from' | 'functions'>;

export interface UseJobberConnectionOptions {
  /** The dashboard origin; the only origin whose postMessage events are trusted. */
  appOrigin: string;
  /**
   * Poll interval while a sync or a connect is in progress (a number), or each interval: `active`
   * (syncing, connecting), `live` (connected and on screen: the card shows Jobber's updates within
   * about this long of their arrival) and `idle` (anything else, or the tab is hidden).
   */
  pollMs?: number | { active?: number; live?: number; idle?: number };
  /** Called whenever the connection, sync progress or customer counts change. */
  onChange?: (status: JobberStatus) => void;
}

export type BusyAction = 'sync' | 'disconnect' | 'replay' | null;

export interface JobberConnection {
  state: CardState;
  /** The last status read from the database, whatever the state. */
  status: JobberStatus | null;
  busy: BusyAction;
  /** A failed action or refresh that does not change the card's state (shown as an alert). */
  actionError: string | null;
  /** Opens the Jobber popup. Must be called from a click handler so the popup is not blocked. */
  connect: () => void;
  cancelConnect: () => void;
  sync: (mode?: SyncKind) => Promise<void>;
  disconnect: () => Promise<void>;
  /** Re-queues the business's failed Jobber updates (owners and admins; jobber-replay). */
  replay: () => Promise<void>;
  /** Clears errors and loads the status again (through jobber-status, which refreshes the token). */
  retry: () => Promise<void>;
}

export const POPUP_NAME = 'jobber-connect';
export const POPUP_FEATURES = 'popup,width=600,height=720';
const POPUP_WATCH_MS = 500;
const DEFAULT_ACTIVE_MS = 1500;
const DEFAULT_LIVE_MS = 1000;
const DEFAULT_IDLE_MS = 30_000;

const connectResponseSchema = z.object({ url: z.url() });

function messageOf(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    return describeError(error.code, error.message);
  }
  return error instanceof Error && error.message ? error.message : 'Something went wrong. Try again.';
}

function fingerprint(status: JobberStatus): string {
  const { sync, customers, webhooks, jobs } = status;
  return [
    status.connectionStatus, status.needs_reconnect, customers.total, customers.from_jobber, sync.run_id, sync.state, sync.processed,
    webhooks.last_event_at, webhooks.pending, webhooks.failed, jobs.completed_30d, jobs.last_completed_at,
  ].join('|');
}

function intervals(pollMs: UseJobberConnectionOptions['pollMs']): { active: number; live: number; idle: number } {
  if (typeof pollMs === 'number') return { active: pollMs, live: DEFAULT_LIVE_MS, idle: DEFAULT_IDLE_MS };
  return {
    active: pollMs?.active ?? DEFAULT_ACTIVE_MS,
    live: pollMs?.live ?? DEFAULT_LIVE_MS,
    idle: pollMs?.idle ?? DEFAULT_IDLE_MS,
  };
}

/** Whether the page is on screen (a hidden tab polls slowly). */
function usePageVisible(): boolean {
  const read = () => typeof document === 'undefined' || document.visibilityState !== 'hidden';
  const [visible, setVisible] = useState(read);
  useEffect(() => {
    if (typeof document === 'undefined') return undefined;
    const onChange = () => setVisible(read());
    document.addEventListener('visibilitychange', onChange);
    return () => document.removeEventListener('visibilitychange', onChange);
  }, []);
  return visible;
}

/** Owns the Jobber card's data and actions for one business. */
export function useJobberConnection(
  supabase: JobberSupabase,
  businessId: string,
  { appOrigin, pollMs, onChange }: UseJobberConnectionOptions,
): JobberConnection {
  const [status, setStatus] = useState<JobberStatus | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [connectError, setConnectError] = useState<string | null>(null);
  const [connecting, setConnecting] = useState(false);
  const [busy, setBusy] = useState<BusyAction>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  // Bumped after every load attempt so the poll timer is re-armed even when nothing changed.
  const [loads, setLoads] = useState(0);

  // A new generation per business (and on unmount) makes late answers for the old one harmless.
  const generation = useRef(0);
  const lastRequest = useRef(0);
  const popupRef = useRef<Window | null>(null);
  const watchRef = useRef<ReturnType<typeof setInterval> | null>(null);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const lastFingerprint = useRef<string | null>(null);
  const statusRef = useRef<JobberStatus | null>(null);

  const { active: activeMs, live: liveMs, idle: idleMs } = intervals(pollMs);
  const visible = usePageVisible();

  const apply = useCallback((next: JobberStatus) => {
    statusRef.current = next;
    setStatus(next);
    setLoadError(null);
    const print = fingerprint(next);
    if (print !== lastFingerprint.current) {
      lastFingerprint.current = print;
      onChangeRef.current?.(next);
    }
  }, []);

  const fail = useCallback((message: string) => {
    // With a status on screen a failed refresh is a notice, not a reason to hide everything.
    if (statusRef.current === null) setLoadError(message);
    else setActionError(`Could not refresh the Jobber status: ${message}`);
  }, []);

  const readView = useCallback(async (): Promise<JobberStatus> => {
    const { data, error } = await supabase.from('jobber_status').select('status').eq('business_id', businessId).maybeSingle();
    if (error) throw new Error(error.message);
    if (data === null) throw new Error('There is no Jobber status for this business. Are you a member of it?');
    return parseStatus((data as { status?: unknown }).status);
  }, [supabase, businessId]);

  /** Reads the status view; only the newest request of the current business may apply its answer. */
  const reload = useCallback(async (): Promise<void> => {
    const gen = generation.current;
    const request = ++lastRequest.current;
    try {
      const next = await readView();
      if (gen === generation.current && request === lastRequest.current) apply(next);
    } catch (error) {
      if (gen === generation.current && request === lastRequest.current) fail(messageOf(error));
    } finally {
      if (gen === generation.current) setLoads((n) => n + 1);
    }
  }, [readView, apply, fail]);

  /** jobber-status first (it refreshes an expired token), falling back to the view if it fails. */
  const fullLoad = useCallback(async (): Promise<void> => {
    const gen = generation.current;
    const request = ++lastRequest.current;
    let next: JobberStatus | null = null;
    let failure: string | null = null;
    try {
      next = parseStatus(await invokeFunction(supabase, 'jobber-status', { business_id: businessId }));
    } catch (error) {
      failure = messageOf(await toApiError(error));
      try {
        next = await readView();
      } catch {
        // Keep the function's error: it says more than the view's.
      }
    }
    if (gen !== generation.current) return;
    if (request === lastRequest.current) {
      if (next) apply(next);
      else fail(failure ?? 'Could not load the Jobber status.');
    }
    setLoads((n) => n + 1);
  }, [supabase, businessId, readView, apply, fail]);

  const stopWatching = useCallback(() => {
    if (watchRef.current !== null) clearInterval(watchRef.current);
    watchRef.current = null;
  }, []);

  // Reset and load whenever the business changes; stop everything on unmount.
  useEffect(() => {
    generation.current += 1;
    statusRef.current = null;
    lastFingerprint.current = null;
    setStatus(null);
    setLoadError(null);
    setConnectError(null);
    setConnecting(false);
    setBusy(null);
    setActionError(null);
    void fullLoad();
    return () => {
      generation.current += 1;
      stopWatching();
      popupRef.current = null;
    };
  }, [fullLoad, stopWatching]);

  // Connected and on screen, the card follows Jobber's updates as they land (the "Updates from
  // Jobber" row and the jobs count move within about liveMs); hidden, it checks rarely.
  const fast = connecting || (status !== null && isSyncActive(status));
  const live = visible && status !== null && status.connectionStatus === 'connected';
  const delay = fast ? activeMs : live ? liveMs : idleMs;
  useEffect(() => {
    if (loads === 0) return undefined;
    const timer = setTimeout(() => void reload(), delay);
    return () => clearTimeout(timer);
  }, [loads, delay, reload]);

  const finishConnect = useCallback(() => {
    stopWatching();
    popupRef.current = null;
    setConnecting(false);
  }, [stopWatching]);

  // Messages from the callback page. Only our own origin, only our popup (when we have one), only valid shapes.
  useEffect(() => {
    function onMessage(event: MessageEvent): void {
      if (event.origin !== appOrigin) return;
      const popup = popupRef.current;
      if (popup !== null && event.source !== popup) return;
      const message = parseJobberMessage(event.data);
      if (message === null) return;
      const gen = generation.current;
      stopWatching();
      popupRef.current = null;
      if (popup !== null && !popup.closed) popup.close();
      if (message.type === 'JOBBER_CONNECTED') {
        setConnectError(null);
        setActionError(null);
        // Stay in "connecting" until the new status is read, so the card never flashes "disconnected".
        void reload().finally(() => {
          if (gen === generation.current) setConnecting(false);
        });
      } else {
        setConnecting(false);
        setConnectError(describeError(message.code, message.message));
        void reload();
      }
    }
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  }, [appOrigin, reload, stopWatching]);

  const connect = useCallback(() => {
    const existing = popupRef.current;
    if (existing !== null && !existing.closed) {
      existing.focus();
      return;
    }
    // Opened synchronously inside the click handler; navigated once the authorize URL is known.
    const popup = window.open('about:blank', POPUP_NAME, POPUP_FEATURES);
    const gen = generation.current;
    popupRef.current = popup;
    setConnectError(null);
    setActionError(null);
    setConnecting(true);
    if (popup !== null) {
      stopWatching();
      watchRef.current = setInterval(() => {
        if (!popup.closed) return;
        // Closed without a message (the message handler clears popupRef first): the user gave up.
        if (popupRef.current === popup) {
          finishConnect();
          void reload();
        } else {
          stopWatching();
        }
      }, POPUP_WATCH_MS);
    }
    void (async () => {
      try {
        const { url } = connectResponseSchema.parse(await invokeFunction(supabase, 'jobber-connect', { business_id: businessId }));
        if (gen !== generation.current) {
          popup?.close();
          return;
        }
        if (popup === null) {
          // Popup blocked: go to Jobber in this window; the callback page links back to the dashboard.
          window.sessionStorage.setItem(CONNECTING_BUSINESS_KEY, businessId);
          window.location.assign(url);
          return;
        }
        if (popupRef.current !== popup || popup.closed) return;
        popup.location.href = url;
      } catch (error) {
        if (gen !== generation.current) return;
        if (popupRef.current === popup) finishConnect();
        if (popup !== null && !popup.closed) popup.close();
        setConnecting(false);
        setConnectError(messageOf(error instanceof z.ZodError ? new Error('jobber-connect answered without a valid URL.') : error));
      }
    })();
  }, [supabase, businessId, finishConnect, reload, stopWatching]);

  const cancelConnect = useCallback(() => {
    const popup = popupRef.current;
    finishConnect();
    if (popup !== null && !popup.closed) popup.close();
    void reload();
  }, [finishConnect, reload]);

  const runAction = useCallback(
    async (action: Exclude<BusyAction, null>, fn: string, body: Record<string, unknown>) => {
      const gen = generation.current;
      setBusy(action);
      setActionError(null);
      try {
        await invokeFunction(supabase, fn, body);
      } catch (error) {
        if (gen === generation.current) setActionError(messageOf(error));
      }
      await reload();
      if (gen === generation.current) setBusy(null);
    },
    [supabase, reload],
  );

  const sync = useCallback(
    (mode?: SyncKind) => runAction('sync', 'jobber-sync', mode ? { business_id: businessId, mode } : { business_id: businessId }),
    [runAction, businessId],
  );

  const disconnect = useCallback(() => runAction('disconnect', 'jobber-disconnect', { business_id: businessId }), [runAction, businessId]);

  const replay = useCallback(() => runAction('replay', 'jobber-replay', { business_id: businessId }), [runAction, businessId]);

  const retry = useCallback(async () => {
    setConnectError(null);
    setActionError(null);
    setLoadError(null);
    await fullLoad();
  }, [fullLoad]);

  const state = useMemo(
    () => deriveCardState({ status, loadError, connectError, connecting }),
    [status, loadError, connectError, connecting],
  );

  return { state, status, busy, actionError, connect, cancelConnect, sync, disconnect, replay, retry };
}
