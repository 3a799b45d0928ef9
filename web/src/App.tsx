import type { ConfigResult } from './config';
import { getSupabase } from './lib/supabase';
import { DemoPage } from './pages/DemoPage';
import { JobberCallbackPage } from './pages/JobberCallbackPage';
import { JobberClaimPage } from './pages/JobberClaimPage';
import { UnsubscribePage } from './pages/UnsubscribePage';

export function ConfigErrorPage({ message }: { message: string }) {
  return (
    <main className="app app-narrow">
      <h1>Blipp cannot start</h1>
      <p className="app-error" role="alert">
        {message}
      </p>
    </main>
  );
}

/** Routing by path: the dashboard demo, the OAuth callback page, the Marketplace claim screen and the unsubscribe page. */
export function App({ config, pathname, origin }: { config: ConfigResult; pathname: string; origin: string }) {
  const path = pathname.replace(/\/+$/, '') || '/';
  // The callback page shows errors and hands claims on even without Supabase settings; only
  // finishing a connection needs them.
  if (path === '/jobber/callback') {
    return <JobberCallbackPage appOrigin={config.ok ? config.config.appOrigin : origin} supabase={config.ok ? getSupabase(config.config) : null} />;
  }
  if (!config.ok) return <ConfigErrorPage message={config.message} />;
  // A customer's page, reached from a review email: no sign-in, no Supabase client.
  if (path === '/unsubscribe') return <UnsubscribePage functionsUrl={`${config.config.supabaseUrl}/functions/v1`} />;
  const supabase = getSupabase(config.config);
  switch (path) {
    case '/':
      return <DemoPage supabase={supabase} appOrigin={config.config.appOrigin} sandboxUrl={config.config.jobberSandboxUrl} />;
    case '/jobber/claim':
      return <JobberClaimPage supabase={supabase} />;
    default:
      return (
        <main className="app app-narrow">
          <h1>Page not found</h1>
          <p>
            <a href="/">Back to Blipp</a>
          </p>
        </main>
      );
  }
}
