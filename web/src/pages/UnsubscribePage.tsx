import { useCallback, useEffect, useMemo, useState } from 'react';
import { z } from 'zod';
import '../jobber/jobber.css';

export interface UnsubscribePageProps {
  /** `<SUPABASE_URL>/functions/v1`: review-unsubscribe-info and review-unsubscribe live there. */
  functionsUrl: string;
  search?: string;
  fetchImpl?: typeof fetch;
}

/** Unsubscribe tokens are 128-bit, base64url: anything else cannot be one, so no request is made. */
const TOKEN = /^[A-Za-z0-9_-]{22}$/;
const infoSchema = z.object({ business_name: z.string().min(1).max(200), unsubscribed: z.boolean() });

type State =
  | { kind: 'loading' }
  | { kind: 'invalid' }
  | { kind: 'ready'; businessName: string }
  | { kind: 'submitting'; businessName: string }
  | { kind: 'done'; businessName: string; already: boolean }
  | { kind: 'error'; businessName: string | null };

class LinkNotValid extends Error {}

/**
 * Where a review email's unsubscribe link lands (review-unsubscribe redirects here on GET). It asks the
 * server which business the link is about and offers one button, which makes the same RFC 8058
 * one-click request a mailbox provider makes. Everything it shows is fixed wording or the business's
 * name from the server; nothing taken from its URL is ever rendered.
 */
export function UnsubscribePage({ functionsUrl, search = window.location.search, fetchImpl = fetch }: UnsubscribePageProps) {
  const token = useMemo(() => {
    const t = new URLSearchParams(search).get('t');
    return t !== null && TOKEN.test(t) ? t : null;
  }, [search]);
  const [state, setState] = useState<State>(token === null ? { kind: 'invalid' } : { kind: 'loading' });
  const query = token === null ? '' : `?t=${encodeURIComponent(token)}`;

  const load = useCallback(async () => {
    if (token === null) return;
    setState({ kind: 'loading' });
    try {
      const res = await fetchImpl(`${functionsUrl}/review-unsubscribe-info${query}`, { headers: { accept: 'application/json' } });
      if (res.status === 404) throw new LinkNotValid();
      if (!res.ok) throw new Error(`review-unsubscribe-info answered ${res.status}`);
      const info = infoSchema.parse(await res.json());
      setState(
        info.unsubscribed
          ? { kind: 'done', businessName: info.business_name, already: true }
          : { kind: 'ready', businessName: info.business_name },
      );
    } catch (error) {
      setState(error instanceof LinkNotValid ? { kind: 'invalid' } : { kind: 'error', businessName: null });
    }
  }, [token, functionsUrl, query, fetchImpl]);

  useEffect(() => {
    void load();
  }, [load]);

  async function unsubscribe(businessName: string) {
    setState({ kind: 'submitting', businessName });
    try {
      const res = await fetchImpl(`${functionsUrl}/review-unsubscribe${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      if (res.status === 404) throw new LinkNotValid();
      if (!res.ok) throw new Error(`review-unsubscribe answered ${res.status}`);
      setState({ kind: 'done', businessName, already: false });
    } catch (error) {
      setState(error instanceof LinkNotValid ? { kind: 'invalid' } : { kind: 'error', businessName });
    }
  }

  return (
    <main className="app app-narrow">
      <section className="jc-card" aria-labelledby="unsubscribe-title">
        <h1 id="unsubscribe-title" className="jc-title">
          Unsubscribe from review emails
        </h1>
        <div aria-live="polite">
          {state.kind === 'loading' && <p className="jc-muted">Checking your link…</p>}
          {state.kind === 'invalid' && (
            <div className="jc-banner jc-banner-error" role="alert">
              <strong>This unsubscribe link is not valid.</strong>
              <p>It may have been cut short when it was copied. Open the Unsubscribe link in the email itself.</p>
            </div>
          )}
          {(state.kind === 'ready' || state.kind === 'submitting') && (
            <>
              <p>
                <strong>{state.businessName}</strong> emailed you to ask how they did. Unsubscribe, and they will not ask you for a
                review again.
              </p>
              <div className="jc-actions">
                <button
                  type="button"
                  className="jc-button jc-primary"
                  disabled={state.kind === 'submitting'}
                  onClick={() => void unsubscribe(state.businessName)}
                >
                  {state.kind === 'submitting' ? 'Unsubscribing…' : 'Unsubscribe'}
                </button>
              </div>
            </>
          )}
          {state.kind === 'done' && (
            <div className="jc-banner jc-banner-ok" role="status">
              <strong>{state.already ? 'You are already unsubscribed.' : 'You are unsubscribed.'}</strong>
              <p>{state.businessName} will not ask you for a review again.</p>
            </div>
          )}
          {state.kind === 'error' && (
            <>
              <div className="jc-banner jc-banner-error" role="alert">
                <strong>We could not reach Blipp.</strong>
                <p>Check your connection and try again.</p>
              </div>
              <div className="jc-actions">
                <button
                  type="button"
                  className="jc-button"
                  onClick={() => void (state.businessName === null ? load() : unsubscribe(state.businessName))}
                >
                  Try again
                </button>
              </div>
            </>
          )}
        </div>
      </section>
    </main>
  );
}
