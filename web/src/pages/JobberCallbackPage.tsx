import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { z } from 'zod';
import { invokeFunction, toApiError } from '../lib/functions';
import { useSession } from '../lib/useSession';
import { callbackErrorText, describeError, type JobberMessage } from '../jobber/messages';
import { type ConnectOutcome, parseCallbackResult, toJobberMessage } from './callbackResult';
import type { AppSupabase } from './DemoPage';
import { SignInForm } from './SignInForm';

export interface JobberCallbackPageProps {
  /** The dashboard origin: the only target origin messages are posted to. */
  appOrigin: string;
  /** Needed to finish a connection (result=confirm); null when the app has no Supabase settings. */
  supabase: AppSupabase | null;
  search?: string;
  /** Same-window navigation (used for Marketplace claims); replaceable in tests. */
  navigate?: (url: string) => void;
}

function defaultNavigate(url: string): void {
  window.location.replace(url);
}

const completeResponseSchema = z.object({ result: z.literal('connected'), account_name: z.string() });

// What jobber-complete's refusals mean on this page, where the reader may be someone who was sent
// a link (SPEC §12): say that nothing was connected.
const COMPLETION_ERRORS: Record<string, string> = {
  not_found: 'This connection link has expired or was already used. Nothing was connected. Start again from Blipp.',
  not_a_member:
    'This connection was started by someone else, for a business you are not part of. Nothing was connected. If someone sent you this link, you can close this page.',
  not_initiator:
    'Only the person who started connecting Jobber can finish it. Nothing was connected. Sign in as that person, or start again from Blipp.',
  forbidden_role: 'Only an owner or admin of the business can connect Jobber. Nothing was connected.',
};

/** Posts to the window that opened this popup (only ever to the dashboard's origin), then closes. */
function useOpenerReport(appOrigin: string) {
  const [reported, setReported] = useState(false);
  const report = useCallback(
    (message: JobberMessage) => {
      const opener = window.opener as Window | null;
      if (opener === null || opener.closed) return;
      try {
        opener.postMessage(message, appOrigin);
        setReported(true);
        window.close();
      } catch {
        // The opener went away or navigated elsewhere: fall back to showing the result here.
      }
    },
    [appOrigin],
  );
  return { reported, report };
}

/**
 * Where jobber-callback redirects the browser. A state-carrying connect comes back as
 * result=confirm with a one-time ticket, which this page redeems with the signed-in user's session;
 * in the connect popup it then reports to the opener and closes, opened any other way it shows the
 * result itself. Nothing from the address is ever shown: errors read from fixed wording per code.
 */
export function JobberCallbackPage({ appOrigin, supabase, search = window.location.search, navigate = defaultNavigate }: JobberCallbackPageProps) {
  const result = useMemo(() => parseCallbackResult(search), [search]);
  const { reported, report } = useOpenerReport(appOrigin);
  const handled = useRef(false);

  useEffect(() => {
    // Runs once even under StrictMode's double effects.
    if (handled.current) return;
    handled.current = true;
    if (result.kind === 'claim') navigate(`/jobber/claim?claim=${encodeURIComponent(result.claim)}`);
    else if (result.kind === 'error') report(toJobberMessage(result));
  }, [result, navigate, report]);

  return (
    <main className="app app-narrow">
      <h1>Connect Jobber</h1>
      {result.kind === 'claim' ? (
        <p role="status">Finishing your Jobber install…</p>
      ) : result.kind === 'already_connected' ? (
        <div className="jc-banner jc-banner-ok" role="status">
          <strong>This Jobber account is already connected to Blipp.</strong>
          <p>There is nothing more to do: Blipp keeps using the connection it has.</p>
        </div>
      ) : result.kind === 'error' ? (
        <div className="jc-banner jc-banner-error" role="alert">
          <strong>{callbackErrorText(result.code)}</strong>
        </div>
      ) : supabase === null ? (
        <p className="app-error" role="alert">
          Blipp is missing its Supabase settings, so the connection cannot be finished here.
        </p>
      ) : (
        <Confirm supabase={supabase} ticket={result.ticket} report={report} />
      )}
      {reported && <p className="jc-muted">You can close this window.</p>}
      {result.kind !== 'claim' && (
        <p>
          <a href="/">Back to Blipp</a>
        </p>
      )}
    </main>
  );
}

type ConfirmState = { kind: 'completing' } | ConnectOutcome;

/** Finishes the connection as the signed-in user; signed out, asks the person who started to sign in. */
function Confirm({ supabase, ticket, report }: { supabase: AppSupabase; ticket: string; report: (message: JobberMessage) => void }) {
  const session = useSession(supabase);
  const [state, setState] = useState<ConfirmState>({ kind: 'completing' });
  const attempted = useRef<string | null>(null);
  const userId = session?.user.id ?? null;

  useEffect(() => {
    // One attempt per ticket: the server uses a ticket up on any attempt, so a second call could
    // only ever answer not_found.
    if (userId === null || attempted.current === ticket) return;
    attempted.current = ticket;
    void (async () => {
      let outcome: ConnectOutcome;
      try {
        const data = completeResponseSchema.parse(await invokeFunction(supabase, 'jobber-complete', { ticket }));
        outcome = { kind: 'connected', accountName: data.account_name };
      } catch (error) {
        const apiError = await toApiError(error instanceof z.ZodError ? new Error('jobber-complete answered unexpectedly.') : error);
        outcome = { kind: 'error', code: apiError.code, message: COMPLETION_ERRORS[apiError.code] ?? describeError(apiError.code, apiError.message) };
      }
      setState(outcome);
      report(toJobberMessage(outcome));
    })();
  }, [supabase, ticket, userId, report]);

  if (session === undefined) return <p className="jc-muted">Loading…</p>;
  if (session === null) {
    return (
      <>
        <p>
          Jobber sent you back to Blipp. To finish, <strong>sign in as the person who clicked Connect Jobber in Blipp</strong>.
        </p>
        <p className="jc-muted">If someone else sent you a link to connect your Jobber account, close this page: nothing has been connected.</p>
        <SignInForm supabase={supabase} />
      </>
    );
  }
  if (state.kind === 'completing') {
    return (
      <p className="jc-waiting" role="status">
        <span className="jc-spinner" aria-hidden="true" />
        Finishing your Jobber connection…
      </p>
    );
  }
  if (state.kind === 'connected') {
    return (
      <div className="jc-banner jc-banner-ok" role="status">
        <strong>Connected to {state.accountName}</strong>
        <p>Your Jobber clients are being imported into Blipp.</p>
      </div>
    );
  }
  return (
    <div className="jc-banner jc-banner-error" role="alert">
      <strong>{state.message}</strong>
    </div>
  );
}
