// Jobber's webhooks end to end: the sandbox fires them (signed, through the gateway) at
// jobber-webhook, the coalesced wake reaches jobber-worker's process_webhooks through pg_net, the
// worker re-fetches from the sandbox and applies - one job_completions row per finished job or
// visit, whatever Jobber's delivery faults (duplicates, reordering, the old spelling, a slow
// receiver, drops that reconciliation must find) and whatever Jobber answers while processing
// (5xx, THROTTLED, an expired token). Each test owns a business and a sandbox account; the
// sandbox's faults are restored after every test.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { adminSql, stack } from '../support/stack';
import { accessTokenOf, statusOf } from '../support/jobber_oauth';
import { Created, newMember, syncSandbox } from '../support/sync';
import {
  completions,
  deliver,
  inbox,
  inboxSettled,
  newJob,
  settledBusiness,
  signed,
  sleep,
  until,
  wake,
  work,
} from '../support/webhooks';

const sql = adminSql();
const created = new Created();

afterEach(async () => {
  await work.restoreWebhookFaults();
  await syncSandbox.restoreFaults();
});
afterAll(async () => {
  await work.restoreWebhookFaults();
  await syncSandbox.restoreFaults();
  await created.cleanup(sql);
  await sql.end();
});

const kinds = (rows: { kind: string }[]) => rows.map((r) => r.kind).sort();

/** The functions' log events since `since`. */
async function logEventsSince(since: number): Promise<{ event: string; reason?: string; ts: string }[]> {
  const text = await readFile(join(stack.logDir, 'functions.log'), 'utf8').catch(() => '');
  const out = [];
  for (const line of text.split('\n')) {
    const start = line.indexOf('{');
    if (start < 0) continue;
    try {
      const e = JSON.parse(line.slice(start));
      if (typeof e.ts === 'string' && Date.parse(e.ts) >= since) out.push(e);
    } catch { /* not a log event */ }
  }
  return out;
}

describe('a job finished in Jobber', () => {
  it('a visit completed in the sandbox becomes one visit_completed row within seconds, with its technician', async () => {
    const business = await settledBusiness(sql, created, 'Webhook Visit Co');
    const tech = await work.addUser(business.accountId, 'Priya', 'Natarajan');
    const job = await newJob(business.accountId, 'Gutter cleaning', { assignedUserIds: [tech.id] });
    const started = Date.now();
    await work.complete(job.id);
    const [row] = await until(() => completions(sql, business.businessId), (r) => r.length === 1, 'the completion');
    console.log(`visit completed in the sandbox -> job_completions row in ${row!.created_at.getTime() - started} ms`);
    expect(row).toMatchObject({ kind: 'visit_completed', source: 'webhook', job: job.id, visit: job.visits[0]!.id });
    const [visit] = await sql<{ assigned_to: string[] }[]>`
      select assigned_to from public.job_visits where business_id = ${business.businessId} and external_id = ${job.visits[0]!.id}`;
    expect(visit!.assigned_to).toEqual(['Priya Natarajan']);
    const [stored] = await sql<{ property_time_zone: string; customer: string }[]>`
      select j.property_time_zone, c.full_name as customer from public.jobs j join public.customers c on c.id = j.customer_id
      where j.business_id = ${business.businessId} and j.external_id = ${job.id}`;
    expect(stored).toEqual({ property_time_zone: 'America/Denver', customer: expect.stringMatching(/^Webhook Customer /) });

    await inboxSettled(sql, business.accountId);
    const status = await statusOf(business.client, business.businessId);
    expect(status.body.webhooks).toMatchObject({ pending: 0, failed: 0 });
    expect(Date.now() - Date.parse(status.body.webhooks.last_event_at)).toBeLessThan(30_000);
    expect(status.body.jobs.completed_30d).toBe(1);
  });

  it('close, reopen and close again: one job_closed row, and the job follows Jobber', async () => {
    const business = await settledBusiness(sql, created, 'Webhook Close Co');
    const job = await newJob(business.accountId, 'Window washing');
    await work.close(job.id);
    await until(() => completions(sql, business.businessId), (r) => r.length === 1, 'the job_closed completion');
    await work.reopen(job.id);
    await until(
      async () => (await sql<{ completed_at: Date | null }[]>`
        select completed_at from public.jobs where business_id = ${business.businessId} and external_id = ${job.id}`)[0],
      (j) => j !== undefined && j.completed_at === null,
      'the job reopening',
    );
    const closed = await work.close(job.id);
    await inboxSettled(sql, business.accountId);
    await until(
      async () => (await sql<{ job_status: string }[]>`
        select job_status from public.jobs where business_id = ${business.businessId} and external_id = ${job.id}`)[0]?.job_status,
      (s) => s === closed.jobStatus,
      'the job closing again',
    );
    expect(kinds(await completions(sql, business.businessId))).toEqual(['job_closed']);
  });
});

describe('deliveries as Jobber makes them', () => {
  it('the same delivery 100 times at once, through the gateway, is recorded once', async () => {
    const business = await settledBusiness(sql, created, 'Webhook Burst Co');
    const job = await newJob(business.accountId, 'Burst job');
    const { body, signature } = signed({ topic: 'JOB_UPDATE', accountId: business.accountId, itemId: job.id, occurredAt: job.updatedAt });
    const answers = await Promise.all(Array.from({ length: 100 }, () => deliver(body, signature)));
    expect(answers.map((a) => a.status)).toEqual(Array(100).fill(200));
    expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);
    const rows = (await inboxSettled(sql, business.accountId)).filter((r) => r.topic === 'JOB_UPDATE' && r.item_id === job.id);
    expect(rows.map((r) => r.state)).toEqual(['done']);
  });

  it('refuses bad deliveries with their codes and stores nothing of them', async () => {
    const business = await settledBusiness(sql, created, 'Webhook Refuse Co');
    const before = (await inbox(sql, business.accountId)).length;
    const fields = { topic: 'JOB_CLOSED', accountId: business.accountId, itemId: 'Z2lkOi8vSm9iYmVyL0pvYi85OTk5', occurredAt: new Date().toISOString() };
    const good = signed(fields);
    const answers = {
      badSignature: await deliver(good.body, 'bm90IGl0'),
      otherSecret: await deliver(good.body, signed(fields, 'another-apps-secret').signature),
      noHeader: await deliver(good.body, null),
      altered: await deliver(good.body.replace('JOB_CLOSED', 'JOB_UPDATE'), good.signature),
      tooBig: await deliver(JSON.stringify({ pad: 'x'.repeat(300 * 1024) }), null),
    };
    expect(Object.fromEntries(Object.entries(answers).map(([k, a]) => [k, [a.status, a.body.error.code]]))).toEqual({
      badSignature: [401, 'invalid_signature'],
      otherSecret: [401, 'invalid_signature'],
      noHeader: [401, 'invalid_signature'],
      altered: [401, 'invalid_signature'],
      tooBig: [413, 'payload_too_large'],
    });
    const { createHmac } = await import('node:crypto');
    const sign = (b: string) => createHmac('sha256', process.env.JOBBER_CLIENT_SECRET!).update(b).digest('base64');
    const notJson = await deliver('{"data": oops', sign('{"data": oops'));
    expect([notJson.status, notJson.body.error.code]).toEqual([400, 'invalid_request']);
    const wrongShape = await deliver('{"data":{"webHookEvent":{"topic":"JOB_CLOSED"}}}', sign('{"data":{"webHookEvent":{"topic":"JOB_CLOSED"}}}'));
    expect([wrongShape.status, wrongShape.body.error.code]).toEqual([400, 'invalid_request']);
    expect((await inbox(sql, business.accountId)).length).toBe(before);
  });

  it('an unknown account and a topic Blipp does not act on are answered 200 and stored ignored', async () => {
    const business = await settledBusiness(sql, created, 'Webhook Ignore Co');
    const stranger = `Z2lkOi8vSm9iYmVyL0FjY291bnQvOTk5OTk5${Date.now()}`;
    const unknownAccount = signed({ topic: 'JOB_CLOSED', accountId: stranger, itemId: 'j', occurredAt: new Date().toISOString() });
    const unknownTopic = signed({ topic: 'INVOICE_CREATE', accountId: business.accountId, itemId: 'inv-1', occurredAt: new Date().toISOString() });
    try {
      expect(await deliver(unknownAccount.body, unknownAccount.signature)).toEqual({ status: 200, body: { received: true, duplicate: false } });
      expect(await deliver(unknownTopic.body, unknownTopic.signature)).toEqual({ status: 200, body: { received: true, duplicate: false } });
      expect((await inbox(sql, stranger)).map((r) => r.state)).toEqual(['ignored']);
      expect((await inbox(sql, business.accountId)).filter((r) => r.topic === 'INVOICE_CREATE').map((r) => r.state)).toEqual(['ignored']);
    } finally {
      await sql`delete from private.jobber_webhook_events where account_id = ${stranger}`;
    }
  });
});

describe("Jobber's delivery faults", () => {
  it('every delivery sent twice, concurrently: each event stored once, one completion', async () => {
    const business = await settledBusiness(sql, created, 'Webhook Duplicate Co');
    const job = await newJob(business.accountId, 'Twice told');
    await work.setWebhookFaults({ duplicate: true });
    await work.close(job.id);
    await until(() => completions(sql, business.businessId), (r) => r.length === 1, 'the completion');
    await sleep(500);
    const rows = await inboxSettled(sql, business.accountId);
    const closing = rows.filter((r) => r.item_id === job.id && (r.topic === 'JOB_CLOSED' || r.topic === 'JOB_UPDATE'));
    expect(closing.map((r) => r.topic).sort()).toEqual(['JOB_CLOSED', 'JOB_UPDATE']);
    const sent = (await work.events()).filter((e) => e.itemId === job.id && e.topic === 'JOB_CLOSED');
    expect(sent[0]!.attempts).toBe(2);
    expect(kinds(await completions(sql, business.businessId))).toEqual(['job_closed']);
  });

  it('deliveries out of order - the close first, the older updates after it - leave the job as Jobber has it', async () => {
    const business = await settledBusiness(sql, created, 'Webhook Reorder Co');
    const job = await newJob(business.accountId, 'Back to front');
    await work.setWebhookFaults({ reorder: true, reorderWindowMs: 60_000 });
    await work.complete(job.id);
    const closed = await work.close(job.id);
    // Switching reorder off sends what it held newest first: the close's JOB_UPDATE and JOB_CLOSED,
    // then the visit's JOB_UPDATE and VISIT_COMPLETE, one after another.
    await work.setWebhookFaults({ reorder: false });
    await until(() => completions(sql, business.businessId), (r) => r.length === 2, 'both completions');
    await inboxSettled(sql, business.accountId);
    // An even older JOB_UPDATE, delivered by hand after everything else.
    const stale = signed({ topic: 'JOB_UPDATE', accountId: business.accountId, itemId: job.id, occurredAt: '2020-01-01T00:00:00Z' });
    expect((await deliver(stale.body, stale.signature)).status).toBe(200);
    await inboxSettled(sql, business.accountId);
    const [stored] = await sql<{ job_status: string; completed_at: Date; remote_updated_at: Date }[]>`
      select job_status, completed_at, remote_updated_at from public.jobs where business_id = ${business.businessId} and external_id = ${job.id}`;
    expect(stored).toEqual({
      job_status: closed.jobStatus,
      completed_at: new Date(closed.completedAt!),
      remote_updated_at: new Date(closed.updatedAt),
    });
    expect(kinds(await completions(sql, business.businessId))).toEqual(['job_closed', 'visit_completed']);
  });

  it('reads the old spelling, occuredAt', async () => {
    const business = await settledBusiness(sql, created, 'Webhook Spelling Co');
    const job = await newJob(business.accountId, 'Old app');
    await work.setWebhookFaults({ oldSpelling: true });
    await work.close(job.id);
    const [row] = await until(() => completions(sql, business.businessId), (r) => r.length === 1, 'the completion');
    expect(row!.kind).toBe('job_closed');
  });

  it('a receiver Jobber counts as too slow is retried, and each retry is a duplicate', async () => {
    const business = await settledBusiness(sql, created, 'Webhook Slow Co');
    const job = await newJob(business.accountId, 'Slowly');
    await work.setWebhookFaults({ slow: ['JOB_CLOSED'], retryBaseMs: 100, maxAttempts: 3 });
    await work.close(job.id);
    await until(async () => (await work.events()).find((e) => e.itemId === job.id && e.topic === 'JOB_CLOSED'), (e) => e?.state === 'failed', 'Jobber giving up');
    const rows = (await inboxSettled(sql, business.accountId)).filter((r) => r.item_id === job.id && r.topic === 'JOB_CLOSED');
    expect(rows).toHaveLength(1);
    expect(kinds(await completions(sql, business.businessId))).toEqual(['job_closed']);
  });

  it('a dropped VISIT_COMPLETE (and the JOB_UPDATE after it) is found by reconciliation', async () => {
    const business = await settledBusiness(sql, created, 'Webhook Dropped Co');
    const job = await newJob(business.accountId, 'Lost in the post', { visits: 3, intervalDays: 7 });
    await work.setWebhookFaults({ drop: ['VISIT_COMPLETE', 'JOB_UPDATE'] });
    await work.completeVisit(job.visits[0]!.id);
    await sleep(1_000);
    expect(await completions(sql, business.businessId)).toHaveLength(0);
    await wake(sql, 'reconcile', { business_id: business.businessId });
    const [row] = await until(() => completions(sql, business.businessId), (r) => r.length === 1, 'reconciliation finding it');
    expect(row).toMatchObject({ kind: 'visit_completed', source: 'reconcile', visit: job.visits[0]!.id });
    await wake(sql, 'reconcile', { business_id: business.businessId });
    await sleep(1_500);
    expect(await completions(sql, business.businessId)).toHaveLength(1);
  });
});

describe('Jobber answering badly while the worker processes', () => {
  it('rides out 5xx answers', async () => {
    const business = await settledBusiness(sql, created, 'Webhook 5xx Co');
    const job = await newJob(business.accountId, 'Through the storm');
    const since = Date.now();
    await syncSandbox.setFaults({ failNext: { graphql5xx: 3, status: 502 } });
    await work.close(job.id);
    await until(() => completions(sql, business.businessId), (r) => r.length === 1, 'the completion');
    const retries = (await logEventsSince(since)).filter((e) => e.event === 'jobber_retry' && e.reason === 'HTTP 502');
    expect(retries.length).toBeGreaterThanOrEqual(1);
  });

  it('waits out THROTTLED answers', async () => {
    const business = await settledBusiness(sql, created, 'Webhook Throttle Co');
    const job = await newJob(business.accountId, 'Patience');
    const since = Date.now();
    await syncSandbox.setFaults({ throttle: true });
    await work.close(job.id);
    await until(async () => (await logEventsSince(since)).some((e) => e.event === 'jobber_wait' && e.reason === 'throttled'), Boolean, 'a throttled wait');
    expect(await completions(sql, business.businessId)).toHaveLength(0);
    await syncSandbox.setFaults({ throttle: false });
    await until(() => completions(sql, business.businessId), (r) => r.length === 1, 'the completion after the throttle');
  });

  it('refreshes a token Jobber refuses (401) once, then applies', async () => {
    const business = await settledBusiness(sql, created, 'Webhook Refresh Co');
    const job = await newJob(business.accountId, 'New token');
    await work.expireTokens(business.accountId);
    const before = await work.counters() as unknown as { tokenCalls: { refresh_token: number } };
    await work.close(job.id);
    await until(() => completions(sql, business.businessId), (r) => r.length === 1, 'the completion after the refresh');
    const after = await work.counters() as unknown as { tokenCalls: { refresh_token: number } };
    expect(after.tokenCalls.refresh_token - before.tokenCalls.refresh_token).toBe(1);
  });
});

describe('failed updates, and Jobber letting go', () => {
  it('an owner replays dead letters and they land; a member is refused', async () => {
    const business = await settledBusiness(sql, created, 'Webhook Replay Co');
    const job = await newJob(business.accountId, 'Second chance');
    await work.setWebhookFaults({ drop: ['JOB_CLOSED', 'JOB_UPDATE'] });
    const closed = await work.close(job.id);
    // As if every try had failed: the two events of the close, dead letters.
    await sql`
      insert into private.jobber_webhook_events (account_id, topic, item_id, occurred_at, business_id, state, attempts, last_error, processed_at)
      values (${business.accountId}, 'JOB_CLOSED', ${job.id}, ${closed.updatedAt}, ${business.businessId}, 'failed', 8, 'Jobber could not be reached.', now()),
             (${business.accountId}, 'JOB_UPDATE', ${job.id}, ${closed.updatedAt}, ${business.businessId}, 'failed', 8, 'Jobber could not be reached.', now())`;
    expect((await statusOf(business.client, business.businessId)).body.webhooks.failed).toBe(2);

    const member = await newMember(sql, created, business.businessId);
    const replay = async (client: typeof business.client) => {
      const res = await fetch(`${stack.supabaseUrl}/functions/v1/jobber-replay`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await accessTokenOf(client)}`, apikey: stack.anonKey, 'content-type': 'application/json' },
        body: JSON.stringify({ business_id: business.businessId }),
      });
      return { status: res.status, body: await res.json() };
    };
    const refused = await replay(member.client);
    expect([refused.status, refused.body.error.code]).toEqual([403, 'forbidden_role']);
    expect(await replay(business.client)).toEqual({ status: 202, body: { requeued: 2 } });
    const [row] = await until(() => completions(sql, business.businessId), (r) => r.length === 1, 'the replayed close landing');
    expect(row).toMatchObject({ kind: 'job_closed', source: 'webhook' });
    await inboxSettled(sql, business.accountId);
    expect((await statusOf(business.client, business.businessId)).body.webhooks).toMatchObject({ pending: 0, failed: 0 });
  });

  it('APP_DISCONNECT while a sync runs: the sync is cancelled, the tokens deleted, the card says disconnected in Jobber', async () => {
    const business = await settledBusiness(sql, created, 'Webhook Goodbye Co');
    await syncSandbox.generate(business.accountId, 1_500, 808);
    await syncSandbox.setFaults({ latencyMs: 200 });
    const res = await fetch(`${stack.supabaseUrl}/functions/v1/jobber-sync`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await accessTokenOf(business.client)}`, apikey: stack.anonKey, 'content-type': 'application/json' },
      body: JSON.stringify({ business_id: business.businessId, mode: 'full' }),
    });
    const { run_id: runId } = await res.json();
    await until(
      async () => (await sql<{ pages: number }[]>`select pages from public.jobber_sync_runs where id = ${runId}`)[0]!.pages,
      (pages) => pages >= 2,
      'the sync getting going',
    );
    const before = await work.counters();
    await work.disconnect(business.accountId);
    const run = await until(
      async () => (await sql<{ state: string; error: string | null }[]>`select state, error from public.jobber_sync_runs where id = ${runId}`)[0]!,
      (r) => r.state !== 'running',
      'the sync stopping',
    );
    expect(run).toEqual({ state: 'cancelled', error: 'Cancelled because Jobber says this app was disconnected from the account.' });
    const [connection] = await sql<{ connection_status: string; needs_reconnect: boolean; access_token_secret_id: string | null }[]>`
      select connection_status, needs_reconnect, access_token_secret_id from public.integrations_jobber where business_id = ${business.businessId}`;
    expect(connection).toEqual({ connection_status: 'disconnected', needs_reconnect: true, access_token_secret_id: null });
    const status = await statusOf(business.client, business.businessId);
    expect(status.body).toMatchObject({ connected: false, connectionStatus: 'disconnected', needs_reconnect: true });
    expect(status.body.error_message).toMatch(/^Jobber says this app was disconnected from the Jobber account/);
    const appDisconnect = (await inboxSettled(sql, business.accountId)).filter((r) => r.topic === 'APP_DISCONNECT');
    expect(appDisconnect.map((r) => r.state)).toEqual(['done']);
    // No appDisconnect call back: Jobber let go first, and every call after it is refused anyway.
    const after = await work.counters();
    expect(after.graphqlCalls - before.graphqlCalls).toBeLessThanOrEqual(2);
  });
});
