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

  it('still serves the callback page without Supabase settings, since it only talks to its opener', () => {
    window.history.replaceState(null, '', '/jobber/callback?result=connected&account=Sparkle');
    render(<App config={{ ok: false, message: 'VITE_SUPABASE_URL is not set.' }} pathname="/jobber/callback" origin={ORIGIN} />);
    expect(screen.getByText('Connected to Sparkle')).toBeTruthy();
    window.history.replaceState(null, '', '/');
  });
});
