// What a test needs to reach the running local stack. `npm test` exports these variables for the
// private stack it starts; to run a file by hand against `npm start`, export them from
// .local/stack.json (see README).
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import postgres from 'postgres';
import WebSocket from 'ws';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through "npm test", which starts a stack for them.`);
  return value;
}

export const stack = {
  get supabaseUrl() { return required('SUPABASE_URL'); },
  get anonKey() { return required('SUPABASE_ANON_KEY'); },
  get serviceRoleKey() { return required('SUPABASE_SERVICE_ROLE_KEY'); },
  get dbUrl() { return required('SUPABASE_DB_URL'); },
  get adminDbUrl() { return required('STACK_ADMIN_DB_URL'); },
  get sandboxUrl() { return required('JOBBER_SANDBOX_URL'); },
  get messagingSandboxUrl() { return required('MESSAGING_SANDBOX_URL'); },
  get appOrigin() { return required('APP_ORIGIN'); },
  get controlUrl() { return required('STACK_CONTROL_URL'); },
  get logDir() { return required('STACK_LOG_DIR'); },
  get jwtSecret() { return required('JWT_SECRET'); },
};

export const DEMO = {
  password: 'password123',
  owner: { email: 'owner@demo.test', id: 'a1111111-1111-4111-8111-111111111111' },
  member: { email: 'member@demo.test', id: 'a2222222-2222-4222-8222-222222222222' },
  other: { email: 'other@demo.test', id: 'a3333333-3333-4333-8333-333333333333' },
  businessA: 'b1111111-1111-4111-8111-111111111111',
  businessB: 'b2222222-2222-4222-8222-222222222222',
} as const;

/** A supabase-js client as the browser has it (anon key; Node 20 needs the ws transport). */
export function browserClient(): SupabaseClient {
  return createClient(stack.supabaseUrl, stack.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
  });
}

export async function signedInClient(email: string): Promise<SupabaseClient> {
  const client = browserClient();
  const { error } = await client.auth.signInWithPassword({ email, password: DEMO.password });
  if (error) throw new Error(`Cannot sign in ${email}: ${error.message}`);
  return client;
}

/** Superuser connection for test setup and for reading what a user may not. */
export function adminSql() {
  return postgres(stack.adminDbUrl, { max: 3, onnotice: () => {} });
}
