import type { Session } from '@supabase/supabase-js';
import { FunctionsHttpError } from '@supabase/supabase-js';
import { vi } from 'vitest';
import { statusFromRow, type JobberStatusRow } from '../jobber/status';
import type { AppSupabase } from '../pages/DemoPage';

export const BUSINESS_ID = '11111111-1111-4111-8111-111111111111';
export const OTHER_BUSINESS_ID = '22222222-2222-4222-8222-222222222222';
export const APP_ORIGIN = 'http://localhost:5173';

type InvokeResult = { data: unknown; error: unknown };
type FunctionHandler = (body: Record<string, unknown>) => InvokeResult | Promise<InvokeResult>;

/** A non-2xx answer exactly as supabase-js reports it: FunctionsHttpError whose context is the Response. */
export function httpError(status: number, code: string, message: string): InvokeResult {
  const response = new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
  return { data: null, error: new FunctionsHttpError(response) };
}

export function ok(data: unknown): InvokeResult {
  return { data, error: null };
}

export function makeRow(overrides: Partial<JobberStatusRow> = {}): JobberStatusRow {
  return {
    business_id: BUSINESS_ID,
    business_name: 'Acme Plumbing',
    connected: false,
    connection_status: 'disconnected',
    account_name: null,
    needs_reconnect: false,
    error_message: null,
    token_expires_at: null,
    connected_at: null,
    last_sync: null,
    last_webhook_at: null,
    customers_total: 0,
    customers_from_jobber: 0,
    sync_run_id: null,
    sync_kind: null,
    sync_state: 'never',
    sync_processed: 0,
    sync_total: null,
    sync_synced: 0,
    sync_errors: 0,
    sync_started_at: null,
    sync_finished_at: null,
    sync_error: null,
    webhooks_pending: 0,
    webhooks_failed: 0,
    ...overrides,
  };
}

export function connectedRow(overrides: Partial<JobberStatusRow> = {}): JobberStatusRow {
  return makeRow({
    connected: true,
    connection_status: 'connected',
    account_name: 'Sparkle Cleaning Co',
    connected_at: '2025-10-12T03:00:00.000Z',
    token_expires_at: '2025-10-12T04:27:49.112Z',
    last_sync: '2025-10-12T03:27:49.112Z',
    customers_total: 1234,
    customers_from_jobber: 1200,
    sync_run_id: '33333333-3333-4333-8333-333333333333',
    sync_kind: 'full',
    sync_state: 'succeeded',
    sync_processed: 1200,
    sync_total: 1200,
    sync_synced: 1200,
    sync_errors: 0,
    sync_started_at: '2025-10-12T03:20:00.000Z',
    sync_finished_at: '2025-10-12T03:27:49.112Z',
    ...overrides,
  });
}

export interface FakeMembership {
  role: 'owner' | 'admin' | 'member';
  business: { id: string; name: string };
}

export interface FakeOptions {
  /** jobber_status view rows, by business id. Mutate `fake.rows` to change what the next read sees. */
  rows?: Record<string, JobberStatusRow>;
  functions?: Record<string, FunctionHandler>;
  memberships?: FakeMembership[];
  customerCounts?: Record<string, number>;
  signedInAs?: { id: string; email: string } | null;
}

type Filter = { column: string; value: unknown };

/**
 * A hand-written stand-in for the supabase-js client: only `functions.invoke`, `from(...)` reads with
 * `select` / `eq` / `maybeSingle` / count, and the `auth` calls the pages use.
 */
export function createFakeSupabase(options: FakeOptions = {}) {
  const rows: Record<string, JobberStatusRow> = { ...(options.rows ?? {}) };
  const functions: Record<string, FunctionHandler> = {
    'jobber-status': (body) => {
      const row = rows[String(body['business_id'])];
      return row ? ok(statusFromRow(row)) : httpError(403, 'not_a_member', 'You are not a member of that business.');
    },
    ...(options.functions ?? {}),
  };
  const memberships = options.memberships ?? [];
  const customerCounts = options.customerCounts ?? {};

  const invoke = vi.fn(async (name: string, invokeOptions?: { body?: unknown }) => {
    const handler = functions[name];
    if (!handler) return httpError(404, 'not_found', `No fake for function ${name}.`);
    return handler((invokeOptions?.body ?? {}) as Record<string, unknown>);
  });

  const viewReads = vi.fn();

  function query(table: string) {
    const filters: Filter[] = [];
    let head = false;
    const value = (column: string) => filters.find((f) => f.column === column)?.value;

    function result(): { data: unknown; error: unknown; count?: number | null } {
      switch (table) {
        case 'jobber_status': {
          viewReads(value('business_id'));
          const row = rows[String(value('business_id'))];
          return { data: row ? [row] : [], error: null };
        }
        case 'business_members':
          return { data: memberships.filter(() => value('user_id') === session?.user.id), error: null };
        case 'customers': {
          const count = customerCounts[String(value('business_id'))] ?? 0;
          return { data: head ? null : [], count, error: null };
        }
        default:
          return { data: null, error: { message: `relation "${table}" does not exist` } };
      }
    }

    const builder = {
      select(_columns?: string, opts?: { count?: string; head?: boolean }) {
        head = opts?.head ?? false;
        return builder;
      },
      eq(column: string, v: unknown) {
        filters.push({ column, value: v });
        return builder;
      },
      async maybeSingle() {
        const r = result();
        const list = Array.isArray(r.data) ? r.data : [];
        return { data: list[0] ?? null, error: r.error };
      },
      then<T>(resolve: (value: ReturnType<typeof result>) => T, reject?: (reason: unknown) => T) {
        return Promise.resolve(result()).then(resolve, reject);
      },
    };
    return builder;
  }

  // Auth
  let session: Session | null = options.signedInAs ? sessionFor(options.signedInAs) : null;
  const listeners = new Set<(event: string, session: Session | null) => void>();
  const emit = (event: string) => listeners.forEach((listener) => listener(event, session));
  const auth = {
    getSession: vi.fn(async () => ({ data: { session }, error: null })),
    onAuthStateChange: vi.fn((listener: (event: string, session: Session | null) => void) => {
      listeners.add(listener);
      return { data: { subscription: { id: 'fake', callback: listener, unsubscribe: () => listeners.delete(listener) } } };
    }),
    signInWithPassword: vi.fn(async ({ email, password }: { email: string; password: string }) => {
      if (password !== 'password123') {
        return { data: { user: null, session: null }, error: { message: 'Invalid login credentials' } };
      }
      session = sessionFor({ id: `user-${email}`, email });
      emit('SIGNED_IN');
      return { data: { user: session.user, session }, error: null };
    }),
    signOut: vi.fn(async () => {
      session = null;
      emit('SIGNED_OUT');
      return { error: null };
    }),
  };

  const from = vi.fn(query);
  const client = { functions: { invoke }, from, auth };
  return {
    client: client as unknown as AppSupabase,
    rows,
    functions,
    invoke,
    from,
    auth,
    viewReads,
    /** Calls of one function, as the bodies it received. */
    bodiesOf: (name: string) => invoke.mock.calls.filter(([n]) => n === name).map(([, o]) => o?.body),
  };
}

function sessionFor(user: { id: string; email: string }): Session {
  return {
    access_token: 'fake-access-token',
    refresh_token: 'fake-refresh-token',
    expires_in: 3600,
    token_type: 'bearer',
    user: { id: user.id, email: user.email, app_metadata: {}, user_metadata: {}, aud: 'authenticated', created_at: '2025-01-01T00:00:00Z' },
  };
}
