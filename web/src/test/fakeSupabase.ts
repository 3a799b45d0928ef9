import type { Session } from '@supabase/supabase-js';
import { FunctionsHttpError } from '@supabase/supabase-js';
import { vi } from 'vitest';
import type { JobberStatus } from '../jobber/status';
import type { AppSupabase } from '../pages/DemoPage';
import { callRpc, createFakeTables, tableQuery, type Row, type RpcHandler } from './fakeTables';

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

/** Nested overrides for a status JSON: any top-level field, or some fields of a nested object. */
export type StatusOverrides = Partial<Omit<JobberStatus, 'connection' | 'customers' | 'sync' | 'webhooks' | 'jobs'>> & {
  connection?: Partial<JobberStatus['connection']>;
  customers?: Partial<JobberStatus['customers']>;
  sync?: Partial<JobberStatus['sync']>;
  webhooks?: Partial<JobberStatus['webhooks']>;
  jobs?: Partial<JobberStatus['jobs']>;
};

/** The status JSON of a business that never connected (as the jobber_status view builds it). */
export function makeStatus(overrides: StatusOverrides = {}): JobberStatus {
  const base: JobberStatus = {
    connected: false,
    connectionStatus: 'disconnected',
    account_name: null,
    last_sync: null,
    token_expires_at: null,
    connection: { account_name: null, last_sync: null, connected_at: null },
    needs_reconnect: false,
    error_message: null,
    customers: { total: 0, from_jobber: 0 },
    sync: {
      run_id: null, kind: null, state: 'never', processed: 0, total: null, synced: 0, errors: 0,
      started_at: null, finished_at: null, error: null, created: 0, updated: 0, removed: 0, since: null,
    },
    webhooks: { last_event_at: null, pending: 0, failed: 0 },
    jobs: { completed_30d: 0, last_completed_at: null },
  };
  const { connection, customers, sync, webhooks, jobs, ...top } = overrides;
  return {
    ...base,
    ...top,
    connection: { ...base.connection, ...connection },
    customers: { ...base.customers, ...customers },
    sync: { ...base.sync, ...sync },
    webhooks: { ...base.webhooks, ...webhooks },
    jobs: { ...base.jobs, ...jobs },
  };
}

/** A connected business that finished a full sync of 1,200 Jobber clients. */
export function connectedStatus(overrides: StatusOverrides = {}): JobberStatus {
  const connected = makeStatus({
    connected: true,
    connectionStatus: 'connected',
    account_name: 'Sparkle Cleaning Co',
    last_sync: '2025-10-12T03:27:49.112Z',
    token_expires_at: '2025-10-12T04:27:49.112Z',
    connection: { account_name: 'Sparkle Cleaning Co', last_sync: '2025-10-12T03:27:49.112Z', connected_at: '2025-10-12T03:00:00.000Z' },
    customers: { total: 1234, from_jobber: 1200 },
    sync: {
      run_id: '33333333-3333-4333-8333-333333333333', kind: 'full', state: 'succeeded', processed: 1200, total: 1200,
      synced: 1200, errors: 0, started_at: '2025-10-12T03:20:00.000Z', finished_at: '2025-10-12T03:27:49.112Z', error: null,
      created: 1200, updated: 0, removed: 0, since: null,
    },
  });
  const { connection, customers, sync, webhooks, jobs, ...top } = overrides;
  return {
    ...connected,
    ...top,
    connection: { ...connected.connection, ...connection },
    customers: { ...connected.customers, ...customers },
    sync: { ...connected.sync, ...sync },
    webhooks: { ...connected.webhooks, ...webhooks },
    jobs: { ...connected.jobs, ...jobs },
  };
}

export interface FakeMembership {
  role: 'owner' | 'admin' | 'member';
  business: { id: string; name: string };
}

export interface FakeOptions {
  /**
   * The status JSON of each business, by id: what the jobber_status view's `status` column holds and
   * jobber-status answers. Mutate `fake.statuses` to change what the next read sees.
   */
  statuses?: Record<string, JobberStatus>;
  functions?: Record<string, FunctionHandler>;
  memberships?: FakeMembership[];
  signedInAs?: { id: string; email: string } | null;
  /** Other tables and views, answered by the in-memory engine of fakeTables.ts. */
  tables?: Record<string, Row[]>;
  /** `supabase.rpc(name, args)` answers. */
  rpc?: Record<string, RpcHandler>;
}

type Filter = { column: string; value: unknown };

/**
 * A hand-written stand-in for the supabase-js client: only `functions.invoke`, `from(...)` reads with
 * `select` / `eq` / `maybeSingle`, and the `auth` calls the pages use.
 */
export function createFakeSupabase(options: FakeOptions = {}) {
  const statuses: Record<string, JobberStatus> = { ...(options.statuses ?? {}) };
  const functions: Record<string, FunctionHandler> = {
    'jobber-status': (body) => {
      const status = statuses[String(body['business_id'])];
      return status ? ok(structuredClone(status)) : httpError(403, 'not_a_member', 'You are not a member of that business.');
    },
    ...(options.functions ?? {}),
  };
  const memberships = options.memberships ?? [];
  const db = createFakeTables({ ...(options.tables ? { tables: options.tables } : {}), ...(options.rpc ? { rpc: options.rpc } : {}) });

  const invoke = vi.fn(async (name: string, invokeOptions?: { body?: unknown }) => {
    const handler = functions[name];
    if (!handler) return httpError(404, 'not_found', `No fake for function ${name}.`);
    return handler((invokeOptions?.body ?? {}) as Record<string, unknown>);
  });

  const viewReads = vi.fn();

  function query(table: string) {
    if (table !== 'jobber_status' && table !== 'business_members' && table in db.tables) return tableQuery(db, table);
    const filters: Filter[] = [];
    let selected = '*';
    const value = (column: string) => filters.find((f) => f.column === column)?.value;

    function result(): { data: unknown; error: unknown } {
      switch (table) {
        case 'jobber_status': {
          const businessId = String(value('business_id'));
          viewReads(businessId, selected);
          const status = statuses[businessId];
          return { data: status ? [{ business_id: businessId, status: structuredClone(status) }] : [], error: null };
        }
        case 'business_members':
          return { data: memberships.filter(() => value('user_id') === session?.user.id), error: null };
        default:
          return { data: null, error: { message: `relation "${table}" does not exist` } };
      }
    }

    const builder = {
      select(columns?: string, _opts?: { count?: string; head?: boolean }) {
        selected = columns ?? '*';
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
  const rpc = vi.fn((fn: string, args?: Record<string, unknown>) => callRpc(db, fn, args ?? {}));
  const client = { functions: { invoke }, from, rpc, auth };
  return {
    client: client as unknown as AppSupabase,
    statuses,
    functions,
    invoke,
    from,
    rpc,
    auth,
    /** The in-memory tables, rpc handlers and injected failures behind `from` and `rpc`. */
    db,
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
