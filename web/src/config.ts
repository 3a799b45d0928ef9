import { z } from 'zod';

export interface WebConfig {
  supabaseUrl: string;
  supabaseAnonKey: string;
  /** The dashboard origin: where the Jobber callback page lives and the only origin whose messages we trust. */
  appOrigin: string;
  /** The local Jobber sandbox, when the stack runs one: the demo page then says which account to pick. */
  jobberSandboxUrl: string | null;
}

export type ConfigResult = { ok: true; config: WebConfig } | { ok: false; message: string };

const urlSchema = z.url({ protocol: /^https?$/ });

/**
 * Validates the Vite environment once, naming the variable that is missing or wrong so the page can say
 * exactly what to fix.
 */
export function readConfig(
  env: Record<string, unknown> = import.meta.env,
  origin: string = window.location.origin,
): ConfigResult {
  const url = env['VITE_SUPABASE_URL'];
  const key = env['VITE_SUPABASE_ANON_KEY'];
  if (typeof url !== 'string' || url.trim() === '') {
    return { ok: false, message: 'VITE_SUPABASE_URL is not set. Start Vite with VITE_SUPABASE_URL=<your Supabase URL>.' };
  }
  if (!urlSchema.safeParse(url.trim()).success) {
    return { ok: false, message: `VITE_SUPABASE_URL must be an http(s) URL, got "${url}".` };
  }
  if (typeof key !== 'string' || key.trim() === '') {
    return { ok: false, message: 'VITE_SUPABASE_ANON_KEY is not set. Start Vite with VITE_SUPABASE_ANON_KEY=<your anon key>.' };
  }
  const sandbox = env['VITE_JOBBER_SANDBOX_URL'];
  const jobberSandboxUrl = typeof sandbox === 'string' && urlSchema.safeParse(sandbox.trim()).success ? sandbox.trim().replace(/\/+$/, '') : null;
  return {
    ok: true,
    config: { supabaseUrl: url.trim().replace(/\/+$/, ''), supabaseAnonKey: key.trim(), appOrigin: origin, jobberSandboxUrl },
  };
}
