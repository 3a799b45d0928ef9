import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { WebConfig } from '../config';

let client: SupabaseClient | undefined;

/** The app's one Supabase client; everything else receives it as an argument so tests can pass a fake. */
export function getSupabase(config: WebConfig): SupabaseClient {
  client ??= createClient(config.supabaseUrl, config.supabaseAnonKey, {
    auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: false },
  });
  return client;
}
