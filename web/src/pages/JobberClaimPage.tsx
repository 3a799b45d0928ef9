import { useMemo, useState } from 'react';
import { z } from 'zod';
import { invokeFunction, toApiError } from '../lib/functions';
import { describeError, EXPIRED_CLAIM } from '../jobber/messages';
import { useMemberships, type Membership } from '../lib/useMemberships';
import { useSession } from '../lib/useSession';
import type { AppSupabase } from './DemoPage';
import { SignInForm } from './SignInForm';

const claimResponseSchema = z.object({ connected: z.literal(true), account_name: z.string().nullish() });

export interface JobberClaimPageProps {
  supabase: AppSupabase;
  search?: string;
}

type ClaimState =
  | { kind: 'idle' }
  | { kind: 'claiming'; businessId: string }
  | { kind: 'done'; businessName: string; accountName: string | null }
  | { kind: 'error'; message: string };

function claimErrorMessage(code: string, message: string, businessName: string): string {
  switch (code) {
    case 'not_found':
      return EXPIRED_CLAIM;
    case 'already_connected':
      return `${businessName} is already connected to Jobber. Disconnect it in Blipp first, or pick another business.`;
    default:
      return describeError(code, message);
  }
}

/** Finishes an install started from Jobber's App Marketplace by attaching it to one of the user's businesses. */
export function JobberClaimPage({ supabase, search = window.location.search }: JobberClaimPageProps) {
  // The claim token lives only in this page's state (and the address bar it came from); never stored.
  const claim = useMemo(() => new URLSearchParams(search).get('claim')?.trim() ?? '', [search]);
  const session = useSession(supabase);

  return (
    <main className="app app-narrow">
      <h1>Connect your Jobber account</h1>
      {claim === '' ? (
        <p className="app-error" role="alert">
          This page needs the install link from Jobber. Start the connection again from Blipp.
        </p>
      ) : session === undefined ? (
        <p className="jc-muted">Loading…</p>
      ) : session === null ? (
        <>
          <p>Sign in to Blipp to choose which business this Jobber account belongs to.</p>
          <SignInForm supabase={supabase} />
        </>
      ) : (
        <ClaimChooser supabase={supabase} userId={session.user.id} claim={claim} />
      )}
      <p>
        <a href="/">Back to Blipp</a>
      </p>
    </main>
  );
}

function ClaimChooser({ supabase, userId, claim }: { supabase: AppSupabase; userId: string; claim: string }) {
  const memberships = useMemberships(supabase, userId);
  const [state, setState] = useState<ClaimState>({ kind: 'idle' });

  async function claimFor(business: Membership) {
    setState({ kind: 'claiming', businessId: business.businessId });
    try {
      const data = claimResponseSchema.parse(await invokeFunction(supabase, 'jobber-claim', { claim, business_id: business.businessId }));
      setState({ kind: 'done', businessName: business.businessName, accountName: data.account_name ?? null });
    } catch (error) {
      const apiError = await toApiError(error instanceof z.ZodError ? new Error('jobber-claim answered unexpectedly.') : error);
      setState({ kind: 'error', message: claimErrorMessage(apiError.code, apiError.message, business.businessName) });
    }
  }

  if (memberships.kind === 'loading') return <p className="jc-muted">Loading your businesses…</p>;
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
          {state.accountName ? `Connected ${state.accountName} to ${state.businessName}.` : `Jobber is now connected to ${state.businessName}.`}
        </strong>
        <p>Your Jobber clients are being imported into Blipp.</p>
      </div>
    );
  }

  const manageable = memberships.memberships.filter((m) => m.role === 'owner' || m.role === 'admin');
  if (manageable.length === 0) {
    return <p role="alert">Only owners and admins can connect Jobber, and you are not an owner or admin of any business.</p>;
  }

  return (
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
              onClick={() => void claimFor(business)}
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
  );
}
