import { useEffect, useMemo, useRef, useState } from 'react';
import { describeError } from '../jobber/messages';
import { parseCallbackResult, toJobberMessage } from './callbackResult';

export interface JobberCallbackPageProps {
  /** The dashboard origin: the only target origin messages are posted to. */
  appOrigin: string;
  search?: string;
  /** Same-window navigation (used for Marketplace claims); replaceable in tests. */
  navigate?: (url: string) => void;
}

function defaultNavigate(url: string): void {
  window.location.replace(url);
}

/**
 * Where jobber-callback redirects the browser. In the connect popup it reports to the opener and closes;
 * opened any other way it shows the result itself.
 */
export function JobberCallbackPage({ appOrigin, search = window.location.search, navigate = defaultNavigate }: JobberCallbackPageProps) {
  const result = useMemo(() => parseCallbackResult(search), [search]);
  const handled = useRef(false);
  const [reportedToOpener, setReportedToOpener] = useState(false);

  useEffect(() => {
    // Runs once even under StrictMode's double effects: posting twice would be harmless but noisy.
    if (handled.current) return;
    handled.current = true;
    if (result.kind === 'claim') {
      navigate(`/jobber/claim?claim=${encodeURIComponent(result.claim)}`);
      return;
    }
    const opener = window.opener as Window | null;
    if (opener === null || opener.closed) return;
    try {
      opener.postMessage(toJobberMessage(result), appOrigin);
      setReportedToOpener(true);
      window.close();
    } catch {
      // The opener went away or navigated elsewhere: fall back to showing the result here.
    }
  }, [result, appOrigin, navigate]);

  return (
    <main className="app app-narrow">
      <h1>Jobber</h1>
      {result.kind === 'claim' ? (
        <p>Finishing your Jobber install…</p>
      ) : result.kind === 'connected' ? (
        <div className="jc-banner jc-banner-ok" role="status">
          <strong>Connected to {result.accountName}</strong>
          <p>Your Jobber clients are being imported into Blipp.</p>
        </div>
      ) : (
        <div className="jc-banner jc-banner-error" role="alert">
          <strong>{describeError(result.code, result.message)}</strong>
        </div>
      )}
      {reportedToOpener && <p className="jc-muted">You can close this window.</p>}
      {result.kind !== 'claim' && (
        <p>
          <a href="/">Back to Blipp</a>
        </p>
      )}
    </main>
  );
}
