import type { SupabaseClient } from '@supabase/supabase-js';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { z } from 'zod';
import { invokeFunction, toApiError } from '../lib/functions';
import { describeError } from '../jobber/messages';
import { plural } from '../jobber/format';
import {
  activitySchema,
  askRecentSummarySchema,
  businessSchema,
  chartDaySchema,
  jobberConnectionSchema,
  optOutSchema,
  parseAs,
  requestSummarySchema,
  reviewChannelsSchema,
  reviewSettingsSchema,
  type Activity,
  type AskRecentSummary,
  type Channel,
  type OptOut,
  type ReviewChannels,
  type ReviewSettings,
} from './schemas';
import { problemFromDatabase, type FieldProblem, type SettingsPatch } from './settings';
import { deriveReviewsState, type ReviewsCardState, type ReviewsData } from './state';
import { channelNoun, decisionText, formatWhen, jobLabel } from './words';
import { sentence } from '../lib/sentence';

export type ReviewsSupabase = Pick<SupabaseClient, 'from' | 'functions' | 'rpc'>;

export interface UseReviewsOptions {
  /** How often the card looks for new decisions and message statuses (default 5 s). */
  pollMs?: number;
  /** How many recent decisions to list. */
  recentLimit?: number;
}

export type SaveResult = { ok: true } | { ok: false; message: string; problem: FieldProblem | null };
export type OptOutResult = { ok: true } | { ok: false; message: string };

export interface Reviews {
  state: ReviewsCardState;
  /** What is being done right now: 'save', 'approve:<id>', 'skip:<id>', 'ask-preview', 'ask-confirm', 'opt-out-add', 'opt-out-remove:<channel>:<address>'. */
  busy: string | null;
  /** The last action's result or what just arrived, for the card's live region. */
  notice: string | null;
  /** A failed action or refresh that does not change the card's state (shown as an alert). */
  actionError: string | null;
  saveSettings: (patch: SettingsPatch) => Promise<SaveResult>;
  approve: (request: Activity) => Promise<void>;
  skip: (request: Activity) => Promise<void>;
  previewAskRecent: (withinDays: number) => Promise<AskRecentSummary | null>;
  confirmAskRecent: (withinDays: number) => Promise<AskRecentSummary | null>;
  addOptOut: (channel: Channel, address: string) => Promise<OptOutResult>;
  removeOptOut: (optOut: OptOut) => Promise<void>;
  clearNotice: () => void;
  /** Clears errors and loads everything again. */
  retry: () => Promise<void>;
}

const DEFAULT_POLL_MS = 5_000;
const DEFAULT_RECENT = 25;
const HELD_LIMIT = 50;
const OPT_OUT_LIMIT = 100;
const CHART_DAYS = 30;

type DbError = { message?: string; code?: string; details?: string | null } | null;

// PostgREST errors carry the SQLSTATE the owner actions raise (SPEC §10 "Owner actions").
const SQLSTATE_TEXT: Record<string, string> = {
  BJ001: 'You are not a member of this business.',
  BJ002: 'Only owners and admins can do that.',
  BJ006: 'That review request no longer exists.',
  BJ008: 'That request is no longer waiting for approval: someone else may have approved or skipped it.',
  '42501': 'You do not have permission to do that.',
  PGRST301: 'Your session has ended. Sign in again.',
  PGRST303: 'Your session has ended. Sign in again.',
};

/** A sentence for a database or PostgREST error. */
export function dbErrorText(error: DbError, fallback: string): string {
  if (error?.code && Object.hasOwn(SQLSTATE_TEXT, error.code)) return SQLSTATE_TEXT[error.code]!;
  if (error?.code === '22023' && error.message) return error.message;
  const message = error?.message?.trim();
  if (message && /fetch|network/i.test(message)) return 'Blipp could not reach the server. Check your connection and try again.';
  return fallback;
}

class ReadError extends Error {}

/** A read's rows, or a ReadError saying what could not be loaded. */
function read(result: { data: unknown; error: DbError }, what: string): unknown {
  if (result.error) throw new ReadError(`Could not load ${what}. ${dbErrorText(result.error, 'Try again in a moment.')}`);
  return result.data;
}

function messageOf(error: unknown): string {
  if (error instanceof ReadError) return error.message;
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return describeError(error.code, error.message);
  return error instanceof Error && error.message ? error.message : 'Something went wrong. Try again.';
}

const activityRows = z.array(z.object({ activity: activitySchema }));

/** Owns the reviews card's data and actions for one business. */
export function useReviews(supabase: ReviewsSupabase, businessId: string, { pollMs = DEFAULT_POLL_MS, recentLimit = DEFAULT_RECENT }: UseReviewsOptions = {}): Reviews {
  const [data, setData] = useState<ReviewsData | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [loads, setLoads] = useState(0);

  // A new generation per business (and on unmount) makes late answers for the old one harmless.
  const generation = useRef(0);
  const lastRequest = useRef(0);
  const dataRef = useRef<ReviewsData | null>(null);
  const seenDecisions = useRef<Set<string> | null>(null);

  const readChannels = useCallback(async (): Promise<{ channels: ReviewChannels | null; channelsError: string | null }> => {
    try {
      const answer = await invokeFunction(supabase, 'review-channels', { business_id: businessId });
      return { channels: parseAs(reviewChannelsSchema, answer, 'The channel check'), channelsError: null };
    } catch (error) {
      return { channels: null, channelsError: `Could not check which channels are set up: ${messageOf(await toApiError(error))}` };
    }
  }, [supabase, businessId]);

  /** Everything but the channels (which do not change while the page is open). */
  const readAll = useCallback(async (): Promise<Omit<ReviewsData, 'channels' | 'channelsError'>> => {
    const [business, settings, activity, held, optOuts, chart, jobber] = await Promise.all([
      supabase.from('businesses').select('id, name, country, timezone').eq('id', businessId).maybeSingle(),
      supabase.from('review_settings').select('*').eq('business_id', businessId).maybeSingle(),
      supabase.from('review_activity').select('activity').eq('business_id', businessId)
        .order('decided_at', { ascending: false }).order('completed_at', { ascending: false }).limit(recentLimit),
      supabase.from('review_activity').select('activity').eq('business_id', businessId).eq('request_state', 'held')
        .order('decided_at', { ascending: true }).order('completed_at', { ascending: true }).limit(HELD_LIMIT),
      supabase.from('contact_opt_outs').select('channel, address, source, created_at', { count: 'exact' }).eq('business_id', businessId)
        .order('created_at', { ascending: false }).limit(OPT_OUT_LIMIT),
      supabase.rpc('review_chart', { p_business_id: businessId, p_days: CHART_DAYS }),
      supabase.from('jobber_status').select('status').eq('business_id', businessId).maybeSingle(),
    ]);
    const businessRow = read(business, 'the business');
    if (businessRow === null) throw new ReadError('This business was not found. Are you a member of it?');
    const settingsRow = read(settings, 'the review settings');
    if (settingsRow === null) throw new ReadError('This business has no review settings yet. Reload the page in a moment.');
    const jobberRow = jobber.error ? null : (jobber.data as { status?: unknown } | null);
    const jobberParsed = jobberRow ? jobberConnectionSchema.safeParse(jobberRow.status) : null;
    return {
      business: parseAs(businessSchema, businessRow, 'The business'),
      settings: parseAs(reviewSettingsSchema, settingsRow, 'The review settings'),
      activity: parseAs(activityRows, read(activity, 'recent jobs') ?? [], 'The recent jobs').map((r) => r.activity),
      held: parseAs(activityRows, read(held, 'the approval queue') ?? [], 'The approval queue').map((r) => r.activity),
      optOuts: parseAs(z.array(optOutSchema), read(optOuts, 'the opt-outs') ?? [], 'The opt-outs'),
      optOutTotal: optOuts.count ?? (Array.isArray(optOuts.data) ? optOuts.data.length : 0),
      chart: parseAs(z.array(chartDaySchema), read(chart, 'the chart') ?? [], 'The chart'),
      jobberStatus: jobberParsed?.success ? jobberParsed.data.connectionStatus : null,
      jobberUpdatesFailed: jobberParsed?.success ? jobberParsed.data.webhooks?.failed ?? 0 : 0,
    };
  }, [supabase, businessId, recentLimit]);

  const apply = useCallback((next: ReviewsData) => {
    // Say what arrived since the last look: a decision landing is what the owner waits for.
    const known = seenDecisions.current;
    const fresh = known === null ? [] : next.activity.filter((a) => !known.has(a.decision_id));
    seenDecisions.current = new Set([...(known ?? []), ...next.activity.map((a) => a.decision_id)]);
    if (fresh.length > 0) {
      const now = Date.now();
      const newest = fresh[0]!;
      const who = newest.customer?.name ? `${newest.customer.name}, ` : '';
      const line = `${who}${jobLabel(newest)}: ${decisionText(newest, now).text}`;
      setNotice(fresh.length === 1 ? `New: ${line}.` : `${plural(fresh.length, 'new job', 'new jobs')}. Newest: ${line}.`);
    }
    dataRef.current = next;
    setData(next);
    setLoadError(null);
  }, []);

  /** Reads everything; only the newest request of the current business may apply its answer. */
  const reload = useCallback(async (options: { withChannels?: boolean } = {}): Promise<void> => {
    const gen = generation.current;
    const request = ++lastRequest.current;
    try {
      const [core, channels] = await Promise.all([
        readAll(),
        options.withChannels || dataRef.current === null
          ? readChannels()
          : Promise.resolve({ channels: dataRef.current.channels, channelsError: dataRef.current.channelsError }),
      ]);
      if (gen === generation.current && request === lastRequest.current) apply({ ...core, ...channels });
    } catch (error) {
      if (gen === generation.current && request === lastRequest.current) {
        const message = messageOf(error);
        // With data on screen a failed refresh is a notice, not a reason to hide everything.
        if (dataRef.current === null) setLoadError(message);
        else setActionError(`Could not refresh the review activity: ${message}`);
      }
    } finally {
      if (gen === generation.current) setLoads((n) => n + 1);
    }
  }, [readAll, readChannels, apply]);

  // Reset and load whenever the business changes; stop everything on unmount.
  useEffect(() => {
    generation.current += 1;
    dataRef.current = null;
    seenDecisions.current = null;
    setData(null);
    setLoadError(null);
    setBusy(null);
    setNotice(null);
    setActionError(null);
    void reload({ withChannels: true });
    return () => {
      generation.current += 1;
    };
  }, [reload]);

  // Poll, like the Jobber card: a decision, a status callback or a click shows up without a reload.
  // A hidden tab is not polled; it catches up when it is shown again.
  useEffect(() => {
    if (loads === 0) return undefined;
    const timer = setTimeout(() => {
      if (typeof document !== 'undefined' && document.visibilityState === 'hidden') setLoads((n) => n + 1);
      else void reload();
    }, pollMs);
    return () => clearTimeout(timer);
  }, [loads, pollMs, reload]);

  /** Runs one action: busy while it runs, its error as actionError, then a fresh read. */
  const act = useCallback(
    async <T,>(key: string, work: () => Promise<T>, options: { reload?: boolean } = {}): Promise<T | null> => {
      const gen = generation.current;
      setBusy(key);
      setActionError(null);
      try {
        const result = await work();
        if (options.reload !== false) await reload();
        return gen === generation.current ? result : null;
      } catch (error) {
        if (gen === generation.current) setActionError(messageOf(error));
        return null;
      } finally {
        if (gen === generation.current) setBusy(null);
      }
    },
    [reload],
  );

  const saveSettings = useCallback(async (patch: SettingsPatch): Promise<SaveResult> => {
    const gen = generation.current;
    setBusy('save');
    setActionError(null);
    try {
      const { data: row, error } = await supabase.from('review_settings').update(patch).eq('business_id', businessId).select('*').maybeSingle();
      if (error) {
        const problem = problemFromDatabase(error);
        return { ok: false, problem, message: problem?.message ?? dbErrorText(error, 'The settings could not be saved. Try again.') };
      }
      if (row === null) return { ok: false, problem: null, message: 'Only owners and admins can change the review settings.' };
      const settings: ReviewSettings = parseAs(reviewSettingsSchema, row, 'The saved settings');
      if (gen === generation.current && dataRef.current) {
        const next = { ...dataRef.current, settings };
        dataRef.current = next;
        setData(next);
        setNotice('Settings saved.');
      }
      void reload();
      return { ok: true };
    } catch (error) {
      return { ok: false, problem: null, message: messageOf(error) };
    } finally {
      if (gen === generation.current) setBusy(null);
    }
  }, [supabase, businessId, reload]);

  const rpcSummary = useCallback(async (fn: string, args: Record<string, unknown>, fallback: string) => {
    const { data: answer, error } = await supabase.rpc(fn, args);
    if (error) throw new Error(dbErrorText(error, fallback));
    return answer as unknown;
  }, [supabase]);

  const approve = useCallback(async (item: Activity) => {
    const request = item.request;
    if (!request) return;
    const summary = await act(`approve:${request.id}`, async () =>
      parseAs(requestSummarySchema, await rpcSummary('review_approve_request', { p_request_id: request.id }, 'The request could not be approved.'), 'The approval'));
    if (summary) {
      const first = summary.messages.find((m) => m.step === 0);
      const who = item.customer?.name ?? 'the customer';
      setNotice(first && first.status === 'scheduled'
        ? `Approved: the ${channelNoun(first.channel)} to ${who} goes out at ${formatWhen(first.scheduled_for, Date.now())}.`
        : sentence(`Approved the request to ${who}`));
    }
  }, [act, rpcSummary]);

  const skip = useCallback(async (item: Activity) => {
    const request = item.request;
    if (!request) return;
    const summary = await act(`skip:${request.id}`, async () =>
      parseAs(requestSummarySchema, await rpcSummary('review_skip_request', { p_request_id: request.id }, 'The request could not be skipped.'), 'The skip'));
    if (summary) setNotice(`Skipped: ${item.customer?.name ?? 'the customer'} will not be asked for this job.`);
  }, [act, rpcSummary]);

  const askRecent = useCallback(
    (mode: 'preview' | 'confirm') => async (withinDays: number) =>
      act(
        mode === 'preview' ? 'ask-preview' : 'ask-confirm',
        async () => parseAs(askRecentSummarySchema, await rpcSummary(
          mode === 'preview' ? 'review_ask_recent_preview' : 'review_ask_recent_confirm',
          { p_business_id: businessId, p_within_days: withinDays },
          mode === 'preview' ? 'The preview could not be made.' : 'Recent customers could not be asked.',
        ), 'The Ask recent customers answer'),
        { reload: mode === 'confirm' },
      ),
    [act, rpcSummary, businessId],
  );
  const previewAskRecent = useMemo(() => askRecent('preview'), [askRecent]);
  const confirmAskRecent = useMemo(() => askRecent('confirm'), [askRecent]);

  const addOptOut = useCallback(async (channel: Channel, address: string): Promise<OptOutResult> => {
    const gen = generation.current;
    setBusy('opt-out-add');
    setActionError(null);
    try {
      const { error } = await supabase.from('contact_opt_outs').insert({ business_id: businessId, channel, address, source: 'manual' });
      if (error) {
        if (error.code === '23505') return { ok: false, message: `${address} is already on the opt-out list.` };
        return { ok: false, message: dbErrorText(error, 'The opt-out could not be added. Try again.') };
      }
      if (gen === generation.current) setNotice(`${address} will get no more review ${channel === 'sms' ? 'texts' : 'emails'}.`);
      await reload();
      return { ok: true };
    } finally {
      if (gen === generation.current) setBusy(null);
    }
  }, [supabase, businessId, reload]);

  const removeOptOut = useCallback(async (optOut: OptOut) => {
    const done = await act(`opt-out-remove:${optOut.channel}:${optOut.address}`, async () => {
      const { data: removed, error } = await supabase.from('contact_opt_outs').delete()
        .eq('business_id', businessId).eq('channel', optOut.channel).eq('address', optOut.address).select('address');
      if (error) throw new Error(dbErrorText(error, 'The opt-out could not be removed. Try again.'));
      if (!Array.isArray(removed) || removed.length === 0) throw new Error('Only opt-outs added by hand can be removed, by an owner or admin.');
      return true;
    });
    if (done) setNotice(`${optOut.address} was removed from the opt-out list.`);
  }, [act, supabase, businessId]);

  const clearNotice = useCallback(() => setNotice(null), []);

  const retry = useCallback(async () => {
    setActionError(null);
    setLoadError(null);
    await reload({ withChannels: true });
  }, [reload]);

  const state = useMemo(() => deriveReviewsState(data, loadError), [data, loadError]);

  return { state, busy, notice, actionError, saveSettings, approve, skip, previewAskRecent, confirmAskRecent, addOptOut, removeOptOut, clearNotice, retry };
}
