import { describe, expect, it } from 'vitest';
import { readConfig } from './config';

const ORIGIN = 'http://localhost:5173';

describe('readConfig', () => {
  it('reads the Supabase URL and anon key and uses the page origin as the app origin', () => {
    expect(readConfig({ VITE_SUPABASE_URL: 'http://127.0.0.1:54321/', VITE_SUPABASE_ANON_KEY: 'anon' }, ORIGIN)).toEqual({
      ok: true,
      config: { supabaseUrl: 'http://127.0.0.1:54321', supabaseAnonKey: 'anon', appOrigin: ORIGIN, jobberSandboxUrl: null },
    });
  });

  it('reads the local Jobber sandbox URL when the stack runs one, and ignores anything that is not a URL', () => {
    const base = { VITE_SUPABASE_URL: 'http://127.0.0.1:54321', VITE_SUPABASE_ANON_KEY: 'anon' };
    expect(readConfig({ ...base, VITE_JOBBER_SANDBOX_URL: 'http://127.0.0.1:54330/' }, ORIGIN)).toMatchObject({
      ok: true,
      config: { jobberSandboxUrl: 'http://127.0.0.1:54330' },
    });
    expect(readConfig({ ...base, VITE_JOBBER_SANDBOX_URL: 'javascript:alert(1)' }, ORIGIN)).toMatchObject({
      ok: true,
      config: { jobberSandboxUrl: null },
    });
  });

  it('names VITE_SUPABASE_URL when it is missing or not a URL', () => {
    expect(readConfig({ VITE_SUPABASE_ANON_KEY: 'anon' }, ORIGIN)).toMatchObject({ ok: false, message: expect.stringContaining('VITE_SUPABASE_URL') });
    expect(readConfig({ VITE_SUPABASE_URL: 'nope', VITE_SUPABASE_ANON_KEY: 'anon' }, ORIGIN)).toMatchObject({
      ok: false,
      message: expect.stringContaining('VITE_SUPABASE_URL'),
    });
  });

  it('names VITE_SUPABASE_ANON_KEY when it is missing', () => {
    expect(readConfig({ VITE_SUPABASE_URL: 'http://127.0.0.1:54321' }, ORIGIN)).toMatchObject({
      ok: false,
      message: expect.stringContaining('VITE_SUPABASE_ANON_KEY'),
    });
  });
});
