import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from './App';

const ORIGIN = 'http://localhost:5173';

describe('App', () => {
  it('names the missing variable on the page when the Supabase settings are absent', () => {
    render(<App config={{ ok: false, message: 'VITE_SUPABASE_URL is not set.' }} pathname="/" origin={ORIGIN} />);
    expect(screen.getByRole('heading', { name: 'Blipp cannot start' })).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toBe('VITE_SUPABASE_URL is not set.');
  });

  it("still shows the callback page's fixed wording without Supabase settings", () => {
    window.history.replaceState(null, '', '/jobber/callback?result=error&code=access_denied&message=Call%20555-0100');
    render(<App config={{ ok: false, message: 'VITE_SUPABASE_URL is not set.' }} pathname="/jobber/callback" origin={ORIGIN} />);
    expect(screen.getByRole('alert').textContent).toBe('Jobber access was not granted.');
    expect(document.body.textContent).not.toContain('555-0100');
    window.history.replaceState(null, '', '/');
  });
});
