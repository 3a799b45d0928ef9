import type { SupabaseClient } from '@supabase/supabase-js';
import { useEffect, useId, useState } from 'react';
import { JobberConnectionCard } from '../jobber/JobberConnectionCard';
import { ReviewsCard } from '../reviews/ReviewsCard';
import { CONNECTING_BUSINESS_KEY } from '../jobber/messages';
import { formatNumber } from '../jobber/format';
import type { JobberStatus } from '../jobber/status';
import { useMemberships, type Membership } from '../lib/useMemberships';
import { useSession } from '../lib/useSession';
import { SandboxLinks } from './SandboxLinks';
import { SignInForm } from './SignInForm';

export type AppSupabase = Pick<SupabaseClient, 'auth' | 'from' | 'functions' | 'rpc'>;

export interface DemoPageProps {
  supabase: AppSupabase;
  appOrigin: string;
  /** The local Jobber sandbox, when the stack runs one (the page then says which account to pick). */
  sandboxUrl?: string | null;
  pollMs?: number;
}

/**
 * The sandbox accounts that match the seeded demo businesses (supabase/seed.sql and the sandbox's
 * seed). A Jobber account belongs to one business at a time, so each demo business has its own.
 */
export const SANDBOX_ACCOUNT_FOR: Readonly<Record<string, string>> = {
  'b1111111-1111-4111-8111-111111111111': 'Sparkle Cleaning Co.',
  'b2222222-2222-4222-8222-222222222222': 'Green Lawn Pros',
};

export function DemoPage({ supabase, appOrigin, sandboxUrl = null, pollMs }: DemoPageProps) {
  const session = useSession(supabase);
  return (
    <main className="app">
      <header className="app-top">
        <h1>Blipp dashboard</h1>
        {session && (
          <div className="app-user">
            <span>Signed in as {session.user.email ?? session.user.id}</span>
            <button type="button" className="jc-button" onClick={() => void supabase.auth.signOut()}>
              Sign out
            </button>
          </div>
        )}
      </header>
      {session === undefined ? (
        <p className="jc-muted">Loading…</p>
      ) : session === null ? (
        <>
          <p>Sign in to see your business and its Jobber connection.</p>
          <SignInForm supabase={supabase} />
        </>
      ) : (
        <Dashboard supabase={supabase} userId={session.user.id} appOrigin={appOrigin} sandboxUrl={sandboxUrl} pollMs={pollMs} />
      )}
      <SandboxLinks />
    </main>
  );
}

interface DashboardProps {
  supabase: AppSupabase;
  userId: string;
  appOrigin: string;
  sandboxUrl: string | null;
  pollMs: number | undefined;
}

function Dashboard({ supabase, userId, appOrigin, sandboxUrl, pollMs }: DashboardProps) {
  const memberships = useMemberships(supabase, userId);
  const [selected, setSelected] = useState<string | null>(null);
  const pickerId = useId();

  // After a redirect-based connect (popup blocked), come back to the business that was connecting.
  useEffect(() => {
    if (memberships.kind !== 'ready' || selected !== null) return;
    const remembered = window.sessionStorage.getItem(CONNECTING_BUSINESS_KEY);
    window.sessionStorage.removeItem(CONNECTING_BUSINESS_KEY);
    const match = memberships.memberships.find((m) => m.businessId === remembered) ?? memberships.memberships[0];
    if (match) setSelected(match.businessId);
  }, [memberships, selected]);

  if (memberships.kind === 'loading') return <p className="jc-muted">Loading your businesses…</p>;
  if (memberships.kind === 'error') {
    return (
      <p className="app-error" role="alert">
        {memberships.message}
      </p>
    );
  }
  if (memberships.memberships.length === 0) return <p>You are not a member of any business yet.</p>;
  const current = memberships.memberships.find((m) => m.businessId === selected) ?? memberships.memberships[0];
  if (!current) return null;

  return (
    <>
      {/* One business needs no picker. */}
      {memberships.memberships.length > 1 && (
        <div className="app-field app-picker">
          <label htmlFor={pickerId}>Business</label>
          <select id={pickerId} value={current.businessId} onChange={(event) => setSelected(event.target.value)}>
            {memberships.memberships.map((m) => (
              <option key={m.businessId} value={m.businessId}>
                {m.businessName}
              </option>
            ))}
          </select>
        </div>
      )}
      <BusinessPanel key={current.businessId} supabase={supabase} membership={current} appOrigin={appOrigin} sandboxUrl={sandboxUrl} pollMs={pollMs} />
    </>
  );
}

/** "1,234 customers: 1,200 from Jobber and 34 added in Blipp", so the two counts on screen add up. */
export function customerBreakdown(customers: JobberStatus['customers']): string | null {
  const { total, from_jobber: fromJobber } = customers;
  if (fromJobber === 0) return null;
  if (fromJobber >= total) return 'All of them came from Jobber.';
  return `${formatNumber(fromJobber)} came from Jobber and ${formatNumber(total - fromJobber)} were added in Blipp; a Jobber sync never changes the ones added in Blipp.`;
}

interface BusinessPanelProps {
  supabase: AppSupabase;
  membership: Membership;
  appOrigin: string;
  sandboxUrl: string | null;
  pollMs: number | undefined;
}

function BusinessPanel({ supabase, membership, appOrigin, sandboxUrl, pollMs }: BusinessPanelProps) {
  // The counts come from the card's own status, so the header and the card always agree.
  const [customers, setCustomers] = useState<JobberStatus['customers'] | null>(null);
  const { businessId } = membership;
  const breakdown = customers ? customerBreakdown(customers) : null;
  const canConnect = membership.role === 'owner' || membership.role === 'admin';
  const sandboxAccount = SANDBOX_ACCOUNT_FOR[businessId];

  return (
    <section className="app-business" aria-labelledby={`business-${businessId}`}>
      <header className="app-business-header">
        <h2 id={`business-${businessId}`}>{membership.businessName}</h2>
        <p>{customers ? `Customers: ${formatNumber(customers.total)}` : 'Customers: …'}</p>
        {breakdown && <p className="app-hint">{breakdown}</p>}
        <p>Your role: {membership.role}</p>
      </header>
      {sandboxUrl && canConnect && (
        <p className="app-tip">
          <strong>Demo:</strong> on the Jobber sandbox's page, pick{' '}
          {sandboxAccount ? <strong>{sandboxAccount}</strong> : 'an account no other business has connected'} and choose{' '}
          <em>Allow access</em>. A Jobber account belongs to one business at a time. The{' '}
          <a href={`${sandboxUrl}/`} target="_blank" rel="noreferrer">
            Jobber sandbox
          </a>{' '}
          shows its accounts and clients.
        </p>
      )}
      <div className="app-cards">
        <JobberConnectionCard
          supabase={supabase}
          businessId={businessId}
          role={membership.role}
          appOrigin={appOrigin}
          onChange={(status) => setCustomers(status.customers)}
          {...(pollMs === undefined ? {} : { pollMs })}
        />
        <ReviewsCard supabase={supabase} businessId={businessId} role={membership.role} {...(pollMs === undefined ? {} : { pollMs })} />
      </div>
    </section>
  );
}
