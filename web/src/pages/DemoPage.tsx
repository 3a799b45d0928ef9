import type { SupabaseClient } from '@supabase/supabase-js';
import { useCallback, useEffect, useId, useState } from 'react';
import { JobberConnectionCard } from '../jobber/JobberConnectionCard';
import { CONNECTING_BUSINESS_KEY } from '../jobber/messages';
import { formatNumber } from '../jobber/format';
import { useMemberships, type Membership } from '../lib/useMemberships';
import { useSession } from '../lib/useSession';
import { SandboxLinks } from './SandboxLinks';
import { SignInForm } from './SignInForm';

export type AppSupabase = Pick<SupabaseClient, 'auth' | 'from' | 'functions'>;

export interface DemoPageProps {
  supabase: AppSupabase;
  appOrigin: string;
  pollMs?: number;
}

export function DemoPage({ supabase, appOrigin, pollMs }: DemoPageProps) {
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
        <Dashboard supabase={supabase} userId={session.user.id} appOrigin={appOrigin} pollMs={pollMs} />
      )}
      <SandboxLinks />
    </main>
  );
}

function Dashboard({ supabase, userId, appOrigin, pollMs }: { supabase: AppSupabase; userId: string; appOrigin: string; pollMs: number | undefined }) {
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
      <BusinessPanel key={current.businessId} supabase={supabase} membership={current} appOrigin={appOrigin} pollMs={pollMs} />
    </>
  );
}

type CountState = { kind: 'loading' } | { kind: 'ready'; count: number } | { kind: 'error'; message: string };

function BusinessPanel({
  supabase,
  membership,
  appOrigin,
  pollMs,
}: {
  supabase: AppSupabase;
  membership: Membership;
  appOrigin: string;
  pollMs: number | undefined;
}) {
  const [customers, setCustomers] = useState<CountState>({ kind: 'loading' });
  const { businessId } = membership;

  const recount = useCallback(async () => {
    const { count, error } = await supabase.from('customers').select('id', { count: 'exact', head: true }).eq('business_id', businessId);
    if (error) setCustomers({ kind: 'error', message: error.message });
    else setCustomers({ kind: 'ready', count: count ?? 0 });
  }, [supabase, businessId]);

  useEffect(() => {
    void recount();
  }, [recount]);

  return (
    <section className="app-business" aria-labelledby={`business-${businessId}`}>
      <header className="app-business-header">
        <h2 id={`business-${businessId}`}>{membership.businessName}</h2>
        <p>
          {customers.kind === 'ready'
            ? `Customers: ${formatNumber(customers.count)}`
            : customers.kind === 'loading'
              ? 'Customers: …'
              : `Customers: could not count (${customers.message})`}
        </p>
        <p>Your role: {membership.role}</p>
      </header>
      <JobberConnectionCard
        supabase={supabase}
        businessId={businessId}
        role={membership.role}
        appOrigin={appOrigin}
        onChange={() => void recount()}
        {...(pollMs === undefined ? {} : { pollMs })}
      />
    </section>
  );
}
