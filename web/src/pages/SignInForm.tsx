import { useId, useState, type FormEvent } from 'react';
import type { AuthClient } from '../lib/useSession';

export const DEMO_USERS = ['owner@demo.test', 'member@demo.test', 'other@demo.test'] as const;
export const DEMO_PASSWORD = 'password123';

export function SignInForm({ supabase, showDemoUsers = true }: { supabase: AuthClient; showDemoUsers?: boolean }) {
  const emailId = useId();
  const passwordId = useId();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setPending(true);
    setError(null);
    try {
      const { error: signInError } = await supabase.auth.signInWithPassword({ email: email.trim(), password });
      if (signInError) setError(`Could not sign in: ${signInError.message}`);
    } catch (caught) {
      setError(`Could not sign in: ${caught instanceof Error ? caught.message : 'the server could not be reached.'}`);
    } finally {
      setPending(false);
    }
  }

  return (
    <form className="app-form" onSubmit={(event) => void onSubmit(event)} aria-label="Sign in">
      <div className="app-field">
        <label htmlFor={emailId}>Email</label>
        <input id={emailId} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
      </div>
      <div className="app-field">
        <label htmlFor={passwordId}>Password</label>
        <input
          id={passwordId}
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </div>
      {error && (
        <p className="app-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="jc-button jc-primary" disabled={pending}>
        Sign in
      </button>
      {showDemoUsers && (
        <p className="app-hint">
          Demo users: {DEMO_USERS.join(', ')} — password <code>{DEMO_PASSWORD}</code>
        </p>
      )}
    </form>
  );
}
