// What the webhook and reconciliation tests share: the sandbox's jobs and visits and its webhook
// fault switches, deliveries signed as Jobber signs them, the inbox and completions as stored, a
// connected business whose initial sync and first reconciliation have settled, and waiting.
import { createHmac } from 'node:crypto';
import type postgres from 'postgres';
import { sandboxControl } from './sandbox_control';
import { stack } from './stack';
import { connectedTenant, type Created, syncSandbox } from './sync';
import { isConnectionSettled } from '../../stack/sandbox_connect.ts';

type Sql = postgres.Sql;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface SandboxVisit {
  id: string;
  completedAt: string | null;
  isLastScheduledVisit: boolean;
  assignedUsers: { id: string; name: string }[];
}

export interface SandboxJob {
  id: string;
  clientId: string;
  jobNumber: number;
  title: string;
  jobStatus: string;
  completedAt: string | null;
  updatedAt: string;
  visits: SandboxVisit[];
}

export type Topic = 'CLIENT_CREATE' | 'CLIENT_UPDATE' | 'CLIENT_DESTROY' | 'JOB_CREATE' | 'JOB_UPDATE' | 'JOB_CLOSED' | 'VISIT_COMPLETE' | 'APP_DISCONNECT' | 'JOB_DESTROY';

export interface WebhookFaults {
  drop?: boolean | Topic[];
  duplicate?: boolean | Topic[];
  slow?: boolean | Topic[];
  reorder?: boolean;
  reorderWindowMs?: number;
  oldSpelling?: boolean;
  retryBaseMs?: number;
  maxAttempts?: number;
}

export const DEFAULT_WEBHOOK_FAULTS: Required<WebhookFaults> = {
  drop: false, duplicate: false, slow: false, reorder: false, reorderWindowMs: 200, oldSpelling: false, retryBaseMs: 1000, maxAttempts: 5,
};

export interface SandboxEvent {
  topic: Topic;
  accountId: string;
  itemId: string;
  attempts: number;
  lastStatus: number | null;
  state: 'pending' | 'delivered' | 'failed' | 'dropped' | 'unsubscribed';
}

export const work = {
  users: (accountId: string) => sandboxControl<{ users: { id: string; firstName: string; lastName: string }[] }>('GET', `accounts/${encodeURIComponent(accountId)}/users`),
  addUser: (accountId: string, firstName: string, lastName: string) =>
    sandboxControl<{ id: string }>('POST', `accounts/${encodeURIComponent(accountId)}/users`, { firstName, lastName }),
  createJob: (accountId: string, input: Record<string, unknown>) => sandboxControl<SandboxJob>('POST', `accounts/${encodeURIComponent(accountId)}/jobs`, input),
  job: (jobId: string) => sandboxControl<SandboxJob>('GET', `jobs/${encodeURIComponent(jobId)}`),
  complete: (jobId: string) => sandboxControl<SandboxJob>('POST', `jobs/${encodeURIComponent(jobId)}/complete`, {}),
  completeVisit: (visitId: string) => sandboxControl<SandboxJob>('POST', `visits/${encodeURIComponent(visitId)}/complete`, {}),
  close: (jobId: string) => sandboxControl<SandboxJob>('POST', `jobs/${encodeURIComponent(jobId)}/close`, {}),
  reopen: (jobId: string) => sandboxControl<SandboxJob>('POST', `jobs/${encodeURIComponent(jobId)}/reopen`, {}),
  remove: (jobId: string) => sandboxControl<unknown>('DELETE', `jobs/${encodeURIComponent(jobId)}`),
  disconnect: (accountId: string) => sandboxControl<{ disconnected: boolean }>('POST', `accounts/${encodeURIComponent(accountId)}/disconnect`, {}),
  expireTokens: (accountId: string) => sandboxControl<unknown>('POST', `accounts/${encodeURIComponent(accountId)}/tokens/expire`, {}),
  setWebhookFaults: (faults: WebhookFaults) => sandboxControl<unknown>('PUT', 'faults', { webhooks: faults }),
  restoreWebhookFaults: () => sandboxControl<unknown>('PUT', 'faults', { webhooks: DEFAULT_WEBHOOK_FAULTS }),
  events: () => sandboxControl<{ events: SandboxEvent[] }>('GET', 'events').then((e) => e.events),
  counters: () => sandboxControl<{ graphqlCalls: number; webhooks: { sent: number; delivered: number; failed: number; responses: { topic: string; status: number; attempt: number }[] } }>('GET', 'counters'),
};

/** A job with `visits` visits for a fresh client of the account, in a city the sandbox geocodes. */
export async function newJob(accountId: string, title: string, options: Record<string, unknown> = {}): Promise<SandboxJob> {
  const client = await syncSandbox.createClient(accountId, {
    firstName: 'Webhook',
    lastName: `Customer ${Math.random().toString(36).slice(2, 8)}`,
    emails: [{ address: `webhook-${Math.random().toString(36).slice(2, 10)}@example.com`, primary: true }],
  });
  return await work.createJob(accountId, { clientId: client.id, title, place: 'denver', total: 250, ...options });
}

// ---- deliveries signed as Jobber signs them ------------------------------------------------------------

/** The Jobber app's client secret the stack's functions check signatures with. */
const secret = () => {
  const value = process.env.JOBBER_CLIENT_SECRET;
  if (!value) throw new Error('JOBBER_CLIENT_SECRET is not set: run the tests through "npm test".');
  return value;
};

export function signed(fields: Record<string, unknown>, key = secret()): { body: string; signature: string } {
  const body = JSON.stringify({ data: { webHookEvent: { appId: '0b1f8d36-5e1a-4c4b-9a8e-2f6d3c1b7a90', ...fields } } });
  return { body, signature: createHmac('sha256', key).update(body).digest('base64') };
}

/** POSTs a delivery to jobber-webhook through the gateway, as Jobber does. */
export async function deliver(body: string, signature: string | null): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signature !== null) headers['x-jobber-hmac-sha256'] = signature;
  const res = await fetch(`${stack.supabaseUrl}/functions/v1/jobber-webhook`, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

// ---- what is stored --------------------------------------------------------------------------------------

export interface InboxRow {
  id: string;
  topic: string;
  item_id: string;
  state: string;
  attempts: number;
  last_error: string | null;
}

export async function inbox(sql: Sql, accountId: string): Promise<InboxRow[]> {
  return sql<InboxRow[]>`
    select id, topic, item_id, state, attempts, last_error from private.jobber_webhook_events
    where account_id = ${accountId} order by id`;
}

export interface CompletionRow {
  kind: 'job_closed' | 'visit_completed';
  source: 'webhook' | 'reconcile' | 'backfill';
  job: string;
  visit: string | null;
  completed_at: Date;
  created_at: Date;
}

export async function completions(sql: Sql, businessId: string): Promise<CompletionRow[]> {
  return sql<CompletionRow[]>`
    select c.kind, c.source, j.external_id as job, v.external_id as visit, c.completed_at, c.created_at
    from public.job_completions c
    join public.jobs j on j.id = c.job_id
    left join public.job_visits v on v.id = c.visit_id
    where c.business_id = ${businessId}
    order by c.created_at, c.kind`;
}

/** Polls `read` until `done` holds; throws with the last value after `timeoutMs`. */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen in ${timeoutMs / 1000} s; last seen: ${JSON.stringify(value)}`);
    await sleep(everyMs);
    value = await read();
  }
  return value;
}

/**
 * As `until`, while doing what pg_cron's minute sweep of process_webhooks does in production (the
 * test stack runs with pg_cron off): waking the worker, here every few seconds. After an outage
 * the wake that was in flight may never be settled by the worker it woke; the sweep is what picks
 * the inbox up again then.
 */
export async function untilSwept<T>(sql: Sql, read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  let lastWake = 0;
  return until(async () => {
    if (Date.now() - lastWake > 3_000) {
      lastWake = Date.now();
      await wake(sql, 'process_webhooks').catch(() => undefined);
    }
    return read();
  }, done, what, timeoutMs);
}

/** Every event of the account the inbox has is finished (done or ignored): nothing waits or fails. */
export async function inboxSettled(sql: Sql, accountId: string, timeoutMs = 30_000): Promise<InboxRow[]> {
  return until(() => inbox(sql, accountId), (rows) => rows.every((r) => r.state === 'done' || r.state === 'ignored'), 'the inbox settling', timeoutMs);
}

/** Wakes a worker task exactly as its pg_cron job (or a kick) does. */
export async function wake(sql: Sql, task: 'process_webhooks' | 'reconcile', input: Record<string, unknown> = {}): Promise<void> {
  await sql`select private.wake_worker(${task}, ${sql.json(input as never)}::jsonb)`;
}

/** Waits until the business's initial full sync and first reconciliation are done and no sync runs. */
export async function untilConnectionSettled(sql: Sql, businessId: string): Promise<void> {
  await until(() => isConnectionSettled(sql, businessId), Boolean, 'the initial sync and first reconciliation', 60_000);
}

/** A business connected to a fresh sandbox account, its initial full sync and first reconciliation done. */
export async function settledBusiness(sql: Sql, created: Created, name: string) {
  const business = await connectedTenant(sql, created, name);
  await until(
    async () => (await sql<{ state: string; reconciled: boolean }[]>`
      select r.state, i.last_job_sync_at is not null as reconciled
      from public.jobber_sync_runs r join public.integrations_jobber i on i.business_id = r.business_id
      where r.id = ${business.initialRunId}`)[0],
    (row) => row?.state === 'succeeded' && row.reconciled,
    `${name}'s initial sync and first reconciliation`,
    60_000,
  );
  return business;
}
