// What the customer-sync integration tests share: the sandbox's client and fault switches, a
// connected business of the test's own, sync requests as the card makes them, waiting on runs,
// waking the worker as pg_cron does, and an independent reading of SPEC §8's field mapping to
// compare stored customers against. Connecting reuses jobber_oauth.ts.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SupabaseClient } from '@supabase/supabase-js';
import type postgres from 'postgres';
import { sandboxControl } from './sandbox_control';
import { stack } from './stack';
import { createTenant, createUser, addMember, cleanup } from './jobber_fixtures';
import { accessTokenOf, connectThroughSandbox, signIn } from './jobber_oauth';

type Sql = postgres.Sql;

// ---- the sandbox --------------------------------------------------------------------------------

export interface SandboxAddress {
  street1?: string;
  street2?: string;
  city?: string;
  province?: string;
  postalCode?: string;
  country?: string;
}

export interface SandboxClient {
  id: string;
  name: string;
  firstName: string;
  lastName: string;
  companyName: string | null;
  isCompany: boolean;
  isLead: boolean;
  isArchived: boolean;
  updatedAt: string;
  emails: { address: string; primary: boolean }[];
  phones: { number: string; primary: boolean }[];
  billingAddress: SandboxAddress | null;
  properties: { id: string; address: SandboxAddress }[];
}

export interface FaultsPatch {
  latencyMs?: number;
  errorRate?: number;
  http429?: boolean;
  throttle?: boolean;
  bucket?: { max?: number; restoreRate?: number };
  failNext?: { graphql5xx?: number; status?: 500 | 502 | 503 };
}

export const DEFAULT_FAULTS = {
  errorRate: 0,
  http429: false,
  throttle: false,
  latencyMs: 0,
  bucket: { max: 10_000, restoreRate: 500 },
  failNext: { graphql5xx: 0 },
} as const;

export const syncSandbox = {
  createAccount: (name: string) => sandboxControl<{ id: string; name: string }>('POST', 'accounts', { name }),
  generate: (accountId: string, count: number, seed: number) =>
    sandboxControl<{ created: number }>('POST', `accounts/${encodeURIComponent(accountId)}/clients/generate`, { count, seed }),
  createClient: (accountId: string, input: Record<string, unknown>) =>
    sandboxControl<SandboxClient>('POST', `accounts/${encodeURIComponent(accountId)}/clients`, input),
  updateClient: (clientId: string, input: Record<string, unknown>) =>
    sandboxControl<SandboxClient>('PATCH', `clients/${encodeURIComponent(clientId)}`, input),
  deleteClient: (clientId: string) => sandboxControl<{ deleted: string }>('DELETE', `clients/${encodeURIComponent(clientId)}`),
  setFaults: (patch: FaultsPatch) => sandboxControl<unknown>('PUT', 'faults', patch),
  restoreFaults: () => sandboxControl<unknown>('PUT', 'faults', DEFAULT_FAULTS),
  counters: () => sandboxControl<{ graphqlCalls: number } & Record<string, unknown>>('GET', 'counters'),
  /** Every client of the account, in Jobber's (id) order, read through the control API. */
  async clients(accountId: string): Promise<SandboxClient[]> {
    const all: SandboxClient[] = [];
    let after: string | null = null;
    for (;;) {
      const query: string = `first=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`;
      const page: { clients: SandboxClient[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } =
        await sandboxControl('GET', `accounts/${encodeURIComponent(accountId)}/clients?${query}`);
      all.push(...page.clients);
      if (!page.pageInfo.hasNextPage) return all;
      after = page.pageInfo.endCursor;
    }
  },
};

// ---- a business of the test's own ---------------------------------------------------------------

/** Tracks what a test file creates so afterAll can remove it. */
export class Created {
  businessIds: string[] = [];
  userIds: string[] = [];
  async cleanup(sql: Sql) {
    await cleanup(sql, { businessIds: this.businessIds, userIds: this.userIds });
  }
}

export async function newTenant(sql: Sql, created: Created, name: string) {
  const t = await createTenant(sql, 'owner', name);
  created.businessIds.push(t.businessId);
  created.userIds.push(t.user.id);
  return { businessId: t.businessId, ownerId: t.user.id, client: await signIn(t.user.email) };
}

/** A signed-in user who is a plain member of `businessId`. */
export async function newMember(sql: Sql, created: Created, businessId: string) {
  const user = await createUser(sql, 'member');
  created.userIds.push(user.id);
  await addMember(sql, businessId, user.id, 'member');
  return { userId: user.id, client: await signIn(user.email) };
}

/**
 * A business connected to a fresh sandbox account. The callback queues the initial full sync;
 * the caller decides whether to wait for it (`initialRun`).
 */
export async function connectedTenant(sql: Sql, created: Created, name: string, before?: (accountId: string, businessId: string) => Promise<void>) {
  const tenant = await newTenant(sql, created, name);
  const account = await syncSandbox.createAccount(`${name} Jobber`);
  await before?.(account.id, tenant.businessId);
  const result = await connectThroughSandbox(tenant.client, tenant.businessId, account.id);
  if (result.outcome !== 'connected') {
    throw new Error(`Connecting ${name} ended ${result.outcome} (landed on ${result.landing.href})`);
  }
  const initialRun = await latestRun(sql, tenant.businessId);
  if (!initialRun) throw new Error(`Connecting ${name} queued no sync run`);
  return { ...tenant, accountId: account.id, initialRunId: initialRun.id };
}

// ---- runs ---------------------------------------------------------------------------------------

export interface RunRow {
  id: string;
  business_id: string;
  kind: 'full' | 'incremental';
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  trigger: string;
  pages: number;
  processed: number;
  total: number | null;
  created: number;
  updated: number;
  linked: number;
  unchanged: number;
  failed: number;
  removed: number;
  points_spent: string;
  errors: { external_id: string | null; message: string }[];
  error: string | null;
  attempts: number;
  cursor: string | null;
  lease_owner: string | null;
  retry_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
}

export async function runById(sql: Sql, runId: string): Promise<RunRow> {
  const [row] = await sql<RunRow[]>`select * from public.jobber_sync_runs where id = ${runId}`;
  if (!row) throw new Error(`No sync run ${runId}`);
  return row;
}

export async function latestRun(sql: Sql, businessId: string): Promise<RunRow | undefined> {
  const [row] = await sql<RunRow[]>`
    select * from public.jobber_sync_runs where business_id = ${businessId}
    order by created_at desc, queued_at desc limit 1`;
  return row;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls until `done(run)`; throws with the last row seen when `timeoutMs` passes. A run that Jobber's
 * failures made give itself back to retry later waits for pg_cron's next tick, and the test stack
 * runs without pg_cron (tests/support/cron.ts): once its retry time has come, this does what the
 * tick would do and wakes the worker, as the tick's own command.
 */
export async function waitForRun(
  sql: Sql,
  runId: string,
  done: (run: RunRow) => boolean = (r) => r.state === 'succeeded' || r.state === 'failed' || r.state === 'cancelled',
  timeoutMs = 120_000,
  everyMs = 250,
): Promise<RunRow> {
  const until = Date.now() + timeoutMs;
  let run = await runById(sql, runId);
  let tickedFor: number | null = null;
  while (!done(run)) {
    const retryAt = run.retry_at?.getTime() ?? null;
    if (run.state === 'running' && run.lease_owner === null && retryAt !== null && retryAt <= Date.now() && tickedFor !== retryAt) {
      tickedFor = retryAt;
      await wakeWorker(sql);
    }
    if (Date.now() > until) {
      throw new Error(`Sync run ${runId} did not get there in ${timeoutMs / 1000} s; last seen: ${JSON.stringify({
        state: run.state, pages: run.pages, processed: run.processed, total: run.total, attempts: run.attempts, error: run.error,
        lease_owner: run.lease_owner, retry_at: run.retry_at,
      })}`);
    }
    await sleep(everyMs);
    run = await runById(sql, runId);
  }
  return run;
}

/** Wakes jobber-worker's continue_syncs exactly as the pg_cron job does. */
export async function wakeWorker(sql: Sql) {
  await sql`select private.wake_worker('continue_syncs')`;
}

/** True once nobody holds the run: its holder's lease lapsed or ended (or it never had one). */
export async function runIsUnheld(sql: Sql, runId: string): Promise<boolean> {
  const [row] = await sql<{ unheld: boolean }[]>`
    select not private.worker_lease_live(lease_owner) as unheld from public.jobber_sync_runs where id = ${runId}`;
  return row?.unheld ?? true;
}

/** jobber-sync as the card calls it, with the raw status and body. */
export async function requestSync(client: SupabaseClient, body: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.supabaseUrl}/functions/v1/jobber-sync`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await accessTokenOf(client)}`,
      apikey: stack.anonKey,
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

export interface LogEvent {
  event: string;
  request_id?: string;
  run_id?: string;
  [key: string]: unknown;
}

/**
 * The functions' log events of every invocation that worked on `runId`: lines naming the run,
 * plus the lines of the same requests (Jobber retries and waits carry only the request id).
 */
export async function runLogEvents(runId: string): Promise<LogEvent[]> {
  const text = await readFile(join(stack.logDir, 'functions.log'), 'utf8').catch(() => '');
  const events: LogEvent[] = [];
  for (const line of text.split('\n')) {
    const start = line.indexOf('{');
    if (start < 0) continue;
    try {
      events.push(JSON.parse(line.slice(start)) as LogEvent);
    } catch {
      // not a JSON event line
    }
  }
  const requests = new Set(events.filter((e) => e.run_id === runId && e.request_id).map((e) => e.request_id));
  return events.filter((e) => e.run_id === runId || (e.request_id !== undefined && requests.has(e.request_id)));
}

// ---- customers ----------------------------------------------------------------------------------

export interface CustomerRow {
  id: string;
  source: string;
  external_id: string | null;
  full_name: string;
  email: string | null;
  phone: string | null;
  address: string | null;
  status: string;
  email_usable: boolean;
  phone_usable: boolean;
  remote_updated_at: Date | null;
  updated_at: Date;
}

export async function customersOf(sql: Sql, businessId: string): Promise<CustomerRow[]> {
  return sql<CustomerRow[]>`
    select id, source, external_id, full_name, email, phone, address, status, email_usable, phone_usable,
           remote_updated_at, updated_at
    from public.customers where business_id = ${businessId} order by id`;
}

/** Jobber customers of the business: how many, how many distinct ids, and the ids. */
export async function jobberIds(sql: Sql, businessId: string) {
  const rows = await sql<{ external_id: string }[]>`
    select external_id from public.customers where business_id = ${businessId} and source = 'jobber'`;
  const ids = rows.map((r) => r.external_id);
  return { count: ids.length, distinct: new Set(ids).size, ids: new Set(ids) };
}

// ---- SPEC §8 "Field mapping", read independently of the product's mapper -------------------------

const clean = (v: string | null | undefined) => {
  const s = (v ?? '').normalize('NFC').replace(/\s+/gu, ' ').trim();
  return s === '' ? null : s;
};

function pickContact<T extends { primary: boolean }>(items: T[], value: (t: T) => string): string | null {
  const present = items.filter((i) => value(i).trim() !== '');
  const chosen = present.find((i) => i.primary) ?? present[0];
  return chosen ? value(chosen) : null;
}

function line(a: SandboxAddress | null | undefined): string | null {
  if (!a) return null;
  const region = [clean(a.province), clean(a.postalCode)].filter(Boolean).join(' ');
  const parts = [clean(a.street1), clean(a.street2), clean(a.city), region || null, clean(a.country)].filter((p) => p !== null);
  return parts.length ? parts.join(', ') : null;
}

/**
 * The phone forms the sandbox generates, as E.164 with a US business (libphonenumber's answers for
 * these shapes): "+44 20 7946 0nnn" is a valid UK number; ten bare digits become +1 and are not
 * textable (555 area); anything else cannot be read and is kept as given.
 */
function expectedPhone(raw: string | null): { phone: string | null; usable: boolean } {
  const given = raw?.trim() ?? '';
  if (given === '') return { phone: null, usable: false };
  if (/^\+44 20 7946 0\d{3}$/.test(given)) return { phone: `+${given.replace(/\D/g, '')}`, usable: true };
  if (/^\d{10}$/.test(given)) return { phone: `+1${given}`, usable: false };
  return { phone: given, usable: false };
}

const INVALID_EMAILS = new Set(['not-an-email', 'anna@@example.com', 'bob@example', 'spaced out@example.com']);

/** What SPEC §8 says the customer row for `c` holds (US business). */
export function expectedCustomer(c: SandboxClient) {
  const emailRaw = pickContact(c.emails, (e) => e.address);
  const email = emailRaw === null ? null : emailRaw.normalize('NFC').trim().toLowerCase() || null;
  const phone = expectedPhone(pickContact(c.phones, (p) => p.number));
  return {
    external_id: c.id,
    full_name: clean(c.name) ?? clean(c.companyName) ?? clean(`${c.firstName} ${c.lastName}`) ?? '',
    email,
    email_usable: email !== null && !INVALID_EMAILS.has(email),
    phone: phone.phone,
    phone_usable: phone.usable,
    address: line(c.billingAddress) ?? line(c.properties[0]?.address),
    status: c.isArchived ? 'archived' : c.isLead ? 'lead' : 'active',
    remote_updated_at: new Date(c.updatedAt).toISOString(),
  };
}

/** The same fields of a stored row, shaped like expectedCustomer's answer. */
export function storedCustomer(row: CustomerRow) {
  return {
    external_id: row.external_id,
    full_name: row.full_name,
    email: row.email,
    email_usable: row.email_usable,
    phone: row.phone,
    phone_usable: row.phone_usable,
    address: row.address,
    status: row.status,
    remote_updated_at: row.remote_updated_at?.toISOString() ?? null,
  };
}
