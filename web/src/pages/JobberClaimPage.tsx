import { useEffect, useId, useMemo, useState } from 'react';
import { z } from 'zod';
import { invokeFunction, toApiError } from '../lib/functions';
import { describeError, EXPIRED_CLAIM, MALFORMED_CLAIM } from '../jobber/messages';
import { formatDateTime, formatRelative } from '../jobber/format';
import { useMemberships, type Membership } from '../lib/useMemberships';
import { useSession } from '../lib/useSession';
import type { AppSupabase } from './DemoPage';
import { SignInForm } from './SignInForm';
import { sentence } from '../lib/sentence';

/** The shape jobber-claim accepts; anything else cannot be an install link's claim. */
const CLAIM_PATTERN = /^[A-Za-z0-9_-]{20,100}$/;

const previewSchema = z.object({ account_name: z.string(), installed_at: z.string(), expires_at: z.string() });
const claimResponseSchema = z.object({
  connected: z.literal(true),
  account_name: z.string().nullish(),
  already_connected: z.boolean().optional(),
});

export interface JobberClaimPageProps {
  supabase: AppSupabase;
  search?: string;
  /** Clock for "installed 3 minutes ago"; defaults to the time of rendering. */
  now?: number;
}

type Preview = { kind: 'loading' } | { kind: 'ready'; accountName: string; installedAt: string } | { kind: 'error'; message: string };

type ClaimState =
  | { kind: 'idle' }
  | { kind: 'claiming'; businessId: string }
  | { kind: 'done'; businessName: string; accountName: string; alreadyConnected: boolean }
  | { kind: 'error'; message: string };

function claimErrorMessage(code: string, message: string, businessName: string): string {
  switch (code) {
    case 'not_found':
      return EXPIRED_CLAIM;
    case 'already_connected':
      return `${businessName} is already connected to another Jobber account. Disconnect it in Blipp first, or pick another business.`;
    default:
      return describeError(code, message);
  }
}

/**
 * Finishes an install started from Jobber's App Marketplace by attaching it to one of the user's
 * businesses. An install link can be forwarded, so the page first says which Jobber account it
 * connects and when it was installed, and asks for an explicit choice.
 */
export function JobberClaimPage({ supabase, search = window.location.search, now }: JobberClaimPageProps) {
  // The claim token lives only in this page's state (and the address bar it came from); never shown or stored.
  const claim = useMemo(() => new URLSearchParams(search).get('claim')?.trim() ?? '', [search]);
  const session = useSession(supabase);

  return (
    <main className="app app-narrow">
      <h1>Connect your Jobber account</h1>
      {claim === '' ? (
        <p className="app-error" role="alert">
          This page needs the install link from Jobber. Start the connection again from Blipp.
        </p>
      ) : !CLAIM_PATTERN.test(claim) ? (
        <p className="app-error" role="alert">
          {MALFORMED_CLAIM}
        </p>
      ) : session === undefined ? (
        <p className="jc-muted">Loading…</p>
      ) : session === null ? (
        <>
          <p>Sign in to Blipp to see which Jobber account this link connects and choose the business it belongs to.</p>
          <SignInForm supabase={supabase} />
        </>
      ) : (
        <ClaimChooser supabase={supabase} userId={session.user.id} claim={claim} now={now ?? Date.now()} />
      )}
      <p>
        <a href="/">Back to Blipp</a>
      </p>
    </main>
  );
}

function ClaimChooser({ supabase, userId, claim, now }: { supabase: AppSupabase; userId: string; claim: string; now: number }) {
  const memberships = useMemberships(supabase, userId);
  const [preview, setPreview] = useState<Preview>({ kind: 'loading' });
  const [state, setState] = useState<ClaimState>({ kind: 'idle' });
  const headingId = useId();

  useEffect(() => {
    let active = true;
    void (async () => {
      try {
        const data = previewSchema.parse(await invokeFunction(supabase, 'jobber-claim', { claim }));
        if (active) setPreview({ kind: 'ready', accountName: data.account_name, installedAt: data.installed_at });
      } catch (error) {
        const apiError = await toApiError(error instanceof z.ZodError ? new Error('jobber-claim answered unexpectedly.') : error);
        if (active) setPreview({ kind: 'error', message: apiError.code === 'not_found' ? EXPIRED_CLAIM : describeError(apiError.code, apiError.message) });
      }
    })();
    return () => {
      active = false;
    };
  }, [supabase, claim]);

  async function claimFor(business: Membership, accountName: string) {
    setState({ kind: 'claiming', businessId: business.businessId });
    try {
      const data = claimResponseSchema.parse(await invokeFunction(supabase, 'jobber-claim', { claim, business_id: business.businessId }));
      setState({
        kind: 'done',
        businessName: business.businessName,
        accountName: data.account_name ?? accountName,
        alreadyConnected: data.already_connected ?? false,
      });
    } catch (error) {
      const apiError = await toApiError(error instanceof z.ZodError ? new Error('jobber-claim answered unexpectedly.') : error);
      setState({ kind: 'error', message: claimErrorMessage(apiError.code, apiError.message, business.businessName) });
    }
  }

  if (preview.kind === 'loading' || memberships.kind === 'loading') return <p className="jc-muted">Loading the install…</p>;
  if (preview.kind === 'error') {
    return (
      <p className="app-error" role="alert">
        {preview.message}
      </p>
    );
  }
  if (memberships.kind === 'error') {
    return (
      <p className="app-error" role="alert">
        {memberships.message}
      </p>
    );
  }
  if (state.kind === 'done') {
    return (
      <div className="jc-banner jc-banner-ok" role="status">
        <strong>
          {state.alreadyConnected
            ? sentence(`${state.accountName} is already connected to ${state.businessName}`)
            : sentence(`Connected ${state.accountName} to ${state.businessName}`)}
        </strong>
        <p>{state.alreadyConnected ? 'There is nothing more to do.' : 'Your Jobber clients are being imported into Blipp.'}</p>
      </div>
    );
  }

  const manageable = memberships.memberships.filter((m) => m.role === 'owner' || m.role === 'admin');
  return (
    <>
      <section className="app-install" aria-labelledby={headingId}>
        <h2 id={headingId} className="app-install-title">
          This link connects a Jobber account
        </h2>
        <dl className="jc-details">
          <div>
            <dt>Jobber account</dt>
            <dd>
              <strong>{preview.accountName}</strong>
            </dd>
          </div>
          <div>
            <dt>Installed</dt>
            <dd>
              <time dateTime={preview.installedAt} title={formatDateTime(preview.installedAt)}>
                {formatRelative(preview.installedAt, now)}
              </time>{' '}
              ({formatDateTime(preview.installedAt)})
            </dd>
          </div>
        </dl>
        <p className="jc-banner jc-banner-warning">
          <span aria-hidden="true">⚠ </span>Continue only if you just installed Blipp from Jobber yourself; if someone sent you this link, close
          this page.
        </p>
      </section>
      {manageable.length === 0 ? (
        <p role="alert">Only owners and admins can connect Jobber, and you are not an owner or admin of any business.</p>
      ) : (
        <>
          <p>Choose the Blipp business this Jobber account belongs to.</p>
          {state.kind === 'error' && (
            <p className="app-error" role="alert">
              {state.message}
            </p>
          )}
          <ul className="app-claim-list">
            {manageable.map((business) => (
              <li key={business.businessId}>
                <button
                  type="button"
                  className="jc-button jc-primary"
                  disabled={state.kind === 'claiming'}
                  onClick={() => void claimFor(business, preview.accountName)}
                >
                  Connect this Jobber account to {business.businessName}
                </button>
              </li>
            ))}
          </ul>
          {state.kind === 'claiming' && (
            <p className="jc-muted" role="status">
              Connecting…
            </p>
          )}
        </>
      )}
    </>
  );
}
