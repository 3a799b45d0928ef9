// Sending review requests end to end on the running stack: a business connected to the Jobber
// sandbox, jobs closed there, their completions recorded as the webhook worker records them, the
// decision trigger waking send_review_messages, the worker asking the Jobber sandbox whether each
// job is still done and sending through the messaging sandbox's Twilio. Faults: jobs reopened or
// deleted after scheduling, opt-outs, contacts gone, settings changed, refusals, 429 bursts, the
// functions process killed mid-batch, an answer lost after Twilio created the message. The
// tracked link: a click redirects and stops the follow-ups.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminSql, stack } from '../support/stack';
import { connectedTenant, Created, syncSandbox, waitForRun } from '../support/sync';
import { sandbox as messaging, until } from '../support/messaging';

const admin = adminSql();
const created = new Created();
let business: Awaited<ReturnType<typeof connectedTenant>>;
let seq = 0;

async function jobber<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${stack.sandboxUrl}/_sandbox/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`Jobber sandbox ${method} ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

interface SandboxJob {
  id: string;
  completedAt: string | null;
  visits: { id: string; completedAt: string | null }[];
}

/** A phone unique to this run, in the fictional 555 range the messaging sandbox treats as a mobile. */
const PHONE_BASE = 2000 + Math.floor(Math.random() * 5000);
function phone(): string {
  seq++;
  return `+1303555${PHONE_BASE + seq}`;
}

async function settings(patch: Record<string, unknown>) {
  const sets = Object.entries(patch);
  for (const [column, value] of sets) {
    await admin.unsafe(`update public.review_settings set ${column} = $1 where business_id = $2`, [value as never, business.businessId]);
  }
}

/**
 * A customer with a job closed in the Jobber sandbox, and its completion recorded as the webhook
 * worker records it (one insert: the decision trigger runs and, when due, wakes the sender).
 */
async function closedJob(o: { phone?: string | null; email?: string | null } = {}) {
  const number = o.phone === undefined ? phone() : o.phone;
  const client = await syncSandbox.createClient(business.accountId, {
    firstName: 'Robin',
    lastName: `Tester${seq}`,
    phones: number ? [{ number, primary: true }] : [],
  });
  const job = await jobber<SandboxJob>('POST', `accounts/${encodeURIComponent(business.accountId)}/jobs`, {
    clientId: client.id,
    title: 'Gutter cleaning',
    total: 240,
  });
  const closed = await jobber<SandboxJob>('POST', `jobs/${encodeURIComponent(job.id)}/close`, {});
  const [customer] = await admin<{ id: string }[]>`
    insert into public.customers (business_id, source, external_id, full_name, phone, email)
    values (${business.businessId}, 'jobber', ${client.id}, ${`Robin Tester${seq}`}, ${number}, ${o.email ?? null})
    returning id`;
  const [row] = await admin<{ id: string }[]>`
    insert into public.jobs (business_id, external_id, customer_id, title, job_status, total, completed_at, property_time_zone)
    values (${business.businessId}, ${job.id}, ${customer!.id}, 'Gutter cleaning', 'requires_invoicing', 240,
            ${closed.completedAt}, 'UTC')
    returning id`;
  await admin`
    insert into public.job_visits (business_id, job_id, external_id, completed_at, assigned_to)
    values (${business.businessId}, ${row!.id}, ${job.visits[0]!.id}, ${closed.completedAt}, '{Sam Lee}')`;
  return { customerId: customer!.id, jobId: row!.id, sandboxJobId: job.id, phone: number };
}

async function complete(jobIds: string[]) {
  await admin`
    insert into public.job_completions (business_id, job_id, customer_id, kind, completed_at, source)
    select j.business_id, j.id, j.customer_id, 'job_closed', j.completed_at, 'webhook'
    from public.jobs j where j.id in ${admin(jobIds)}
    on conflict do nothing`;
}

interface MessageRow {
  id: string;
  request_id: string;
  step: number;
  status: string;
  provider_message_id: string | null;
  error_code: string | null;
  cancel_reason: string | null;
  scheduled_for: Date;
  attempts: number;
}

async function messagesOf(jobId: string): Promise<MessageRow[]> {
  return await admin<MessageRow[]>`
    select m.id, m.request_id, m.step, m.status, m.provider_message_id, m.error_code, m.cancel_reason, m.scheduled_for, m.attempts
    from public.review_messages m join public.review_requests r on r.id = m.request_id
    where r.job_id = ${jobId} order by m.step`;
}

async function requestOf(jobId: string) {
  const [r] = await admin<{ id: string; state: string; cancel_reason: string | null; link_token: string; click_count: number }[]>`
    select id, state, cancel_reason, link_token, click_count from public.review_requests where job_id = ${jobId}`;
  return r!;
}

/** The provider took it: `queued`, or already moved on by its status callbacks (sms-webhook). */
const taken = (status: string | undefined) => status === 'queued' || status === 'sent' || status === 'delivered';

/** Polls the database until `check` holds (the worker runs in the functions process). */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`Timed out; last seen ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What the pg_cron tick would do: makes the job's pending messages due now and wakes the sender. */
async function dueNow(jobId: string) {
  await admin`
    update public.review_messages m set scheduled_for = now()
    from public.review_requests r
    where r.id = m.request_id and r.job_id = ${jobId} and m.status = 'scheduled' and m.step = 0`;
  await admin`select private.wake_worker('send_review_messages')`;
}

async function textsTo(number: string) {
  const { body } = await messaging('GET', `/messages?channel=sms&direction=outbound-api&to=${encodeURIComponent(number)}`);
  return body.messages as Array<{ id: string; body: string; status: string }>;
}

beforeAll(async () => {
  business = await connectedTenant(admin, created, 'Review Sending Co');
  await waitForRun(admin, business.initialRunId);
  await admin`
    update public.review_settings set enabled = true, review_url = 'https://g.page/r/review-sending-co/review',
      delay_minutes = 0, follow_ups = 1, follow_up_days = 3, send_window_start = '00:00', send_window_end = '23:59:59'
    where business_id = ${business.businessId}`;
});

beforeEach(async () => {
  await messaging('POST', '/reset', {});
  await settings({ delay_minutes: 0, follow_ups: 1, send_window_start: '00:00', send_window_end: '23:59:59' });
});

afterAll(async () => {
  await messaging('POST', '/reset', {});
  await created.cleanup(admin);
  await admin.end();
});

describe('sending review requests through the stack', () => {
  it('a job completed with no delay reaches the SMS sandbox: queued with its sid, the tracked link in the text', async () => {
    const job = await closedJob();
    const started = Date.now();
    await complete([job.jobId]);
    const [step0] = await eventually(() => messagesOf(job.jobId), (m) => taken(m[0]?.status));
    console.log(`review sending: completion recorded -> accepted by the SMS sandbox in ${Date.now() - started} ms`);
    const texts = await textsTo(job.phone!);
    expect(texts).toHaveLength(1);
    expect(texts[0]!.id).toBe(step0!.provider_message_id);
    const request = await requestOf(job.jobId);
    expect(texts[0]!.body).toContain(`${stack.supabaseUrl}/functions/v1/review-link?t=${request.link_token}`);
    expect(texts[0]!.body).toContain("review Sam Lee's work");
    expect(texts[0]!.body.endsWith('Reply STOP to opt out')).toBe(true);
    expect(request.state).toBe('in_progress');
  });

  it('a job reopened in Jobber after scheduling is cancelled at send time (job_reopened), nothing sent', async () => {
    await settings({ delay_minutes: 60 });
    const job = await closedJob();
    await complete([job.jobId]);
    expect((await messagesOf(job.jobId))[0]!.status).toBe('scheduled');
    await jobber('POST', `jobs/${encodeURIComponent(job.sandboxJobId)}/reopen`, {});
    await dueNow(job.jobId);
    const request = await eventually(() => requestOf(job.jobId), (r) => r.state === 'cancelled');
    expect(request.cancel_reason).toBe('job_reopened');
    expect((await messagesOf(job.jobId)).map((m) => m.status)).toEqual(['cancelled', 'cancelled']);
    expect(await textsTo(job.phone!)).toHaveLength(0);
  });

  it('a job deleted in Jobber after scheduling is cancelled at send time (job_deleted)', async () => {
    await settings({ delay_minutes: 60 });
    const job = await closedJob();
    await complete([job.jobId]);
    await jobber('DELETE', `jobs/${encodeURIComponent(job.sandboxJobId)}`);
    await dueNow(job.jobId);
    const request = await eventually(() => requestOf(job.jobId), (r) => r.state === 'cancelled');
    expect(request.cancel_reason).toBe('job_deleted');
    expect(await textsTo(job.phone!)).toHaveLength(0);
  });

  it('a customer who opted out between scheduling and sending gets nothing (opted_out)', async () => {
    await settings({ delay_minutes: 60 });
    const job = await closedJob();
    await complete([job.jobId]);
    await admin`
      insert into public.contact_opt_outs (business_id, channel, address, source)
      values (${business.businessId}, 'sms', ${job.phone}, 'sms_stop')`;
    await dueNow(job.jobId);
    const request = await eventually(() => requestOf(job.jobId), (r) => r.state === 'cancelled');
    expect(request.cancel_reason).toBe('opted_out');
    expect(await textsTo(job.phone!)).toHaveLength(0);
  });

  it('a customer with no usable contact left at send time is not messaged (no_contact)', async () => {
    await settings({ delay_minutes: 60, follow_ups: 0 });
    const job = await closedJob();
    await complete([job.jobId]);
    await admin`update public.customers set phone_usable = false where id = ${job.customerId}`;
    await dueNow(job.jobId);
    const [step0] = await eventually(() => messagesOf(job.jobId), (m) => m[0]?.status === 'cancelled');
    expect(step0!.cancel_reason).toBe('no_contact');
    expect((await requestOf(job.jobId)).state).toBe('cancelled');
    expect(await textsTo(job.phone!)).toHaveLength(0);
  });

  it('settings changed while pending: a narrower send window re-times the message instead of sending it', async () => {
    await settings({ delay_minutes: 60, follow_ups: 0 });
    const job = await closedJob();
    await complete([job.jobId]);
    const [now] = await admin<{ hour: number }[]>`select extract(hour from now() at time zone 'UTC')::int as hour`;
    const start = (now!.hour + 2) % 24;
    await settings({ send_window_start: `${start}:00`, send_window_end: start === 23 ? '23:59:59' : `${start + 1}:00` });
    await dueNow(job.jobId);
    const [retimed] = await eventually(() => messagesOf(job.jobId), (m) => m[0]!.scheduled_for.getTime() > Date.now() + 60_000);
    expect(retimed!.status).toBe('scheduled');
    expect(retimed!.scheduled_for.getUTCHours()).toBe(start);
    expect(retimed!.scheduled_for.getUTCMinutes()).toBe(0);
    expect(retimed!.attempts).toBe(0);
    expect(await textsTo(job.phone!)).toHaveLength(0);
  });

  it('a refusal (21614, a landline) fails the text with Twilio\'s code and marks the number unusable', async () => {
    await settings({ follow_ups: 0 });
    const job = await closedJob({ phone: '+13035550102' });
    await complete([job.jobId]);
    const [step0] = await eventually(() => messagesOf(job.jobId), (m) => m[0]?.status === 'failed');
    expect(step0!.error_code).toBe('21614');
    const [customer] = await admin<{ phone_usable: boolean }[]>`select phone_usable from public.customers where id = ${job.customerId}`;
    expect(customer!.phone_usable).toBe(false);
    expect((await requestOf(job.jobId)).state).toBe('done');
  });

  it('a burst of completions against a 2-per-second limit: every text accepted, none twice', async () => {
    await settings({ follow_ups: 0 });
    await messaging('PUT', '/faults', { limits: { smsPerSecond: 2, smsBurst: 2 } });
    const jobs: Awaited<ReturnType<typeof closedJob>>[] = [];
    for (let i = 0; i < 12; i++) jobs.push(await closedJob());
    await complete(jobs.map((j) => j.jobId));
    for (const job of jobs) await eventually(() => messagesOf(job.jobId), (m) => taken(m[0]?.status), 60_000);
    for (const job of jobs) expect(await textsTo(job.phone!)).toHaveLength(1);
    const { body: counters } = await messaging('GET', '/counters');
    console.log(`review sending: 12 texts under a 2/s limit, ${JSON.stringify(counters)}`);
  });

  it('the functions process killed mid-batch: after a restart every text is sent, none twice', async () => {
    await settings({ follow_ups: 0 });
    await messaging('PUT', '/faults', { latencyMs: 700 });
    const jobs: Awaited<ReturnType<typeof closedJob>>[] = [];
    for (let i = 0; i < 16; i++) jobs.push(await closedJob());
    await complete(jobs.map((j) => j.jobId));
    // Kill it once some, not all, have gone out.
    await eventually(async () => {
      const rows = await admin<{ n: number }[]>`
        select count(*)::int as n from public.review_messages m join public.review_requests r on r.id = m.request_id
        where r.job_id in ${admin(jobs.map((j) => j.jobId))} and m.status in ('queued', 'sent', 'delivered')`;
      return rows[0]!.n;
    }, (n) => n >= 2, 60_000);
    expect((await fetch(`${stack.controlUrl}/functions/kill`, { method: 'POST' })).status).toBe(200);
    const [left] = await admin<{ n: number }[]>`
      select count(*)::int as n from public.review_messages m join public.review_requests r on r.id = m.request_id
      where r.job_id in ${admin(jobs.map((j) => j.jobId))} and m.status in ('scheduled', 'sending')`;
    expect(left!.n).toBeGreaterThan(0);
    expect((await fetch(`${stack.controlUrl}/functions/restart`, { method: 'POST' })).status).toBe(200);
    await messaging('PUT', '/faults', { latencyMs: 0 });
    // The dead worker's lease lapses (as it would after SEND_LEASE_MS); then the next tick runs.
    await admin`update private.worker_leases set expires_at = now() - interval '1 second' where task = 'send_review_messages'`;
    await admin`select private.wake_worker('send_review_messages')`;
    for (const job of jobs) await eventually(() => messagesOf(job.jobId), (m) => taken(m[0]?.status), 60_000);
    for (const job of jobs) expect(await textsTo(job.phone!)).toHaveLength(1);
  });

  it('an answer lost after Twilio created the message is resolved by looking it up, never by sending again', async () => {
    await settings({ follow_ups: 0 });
    await messaging('PUT', '/faults', { twilio: { failAfterCreate: 1 } });
    const job = await closedJob();
    await complete([job.jobId]);
    const [step0] = await eventually(() => messagesOf(job.jobId), (m) => taken(m[0]?.status));
    const texts = await textsTo(job.phone!);
    expect(texts).toHaveLength(1);
    expect(step0!.provider_message_id).toBe(texts[0]!.id);
    expect(step0!.attempts).toBe(1);
  });

  it('tapping the link answers 302 to the review page, marks the request clicked and cancels the follow-up', async () => {
    const job = await closedJob();
    await complete([job.jobId]);
    await eventually(() => messagesOf(job.jobId), (m) => taken(m[0]?.status));
    const request = await requestOf(job.jobId);
    const res = await fetch(`${stack.supabaseUrl}/functions/v1/review-link?t=${request.link_token}`, {
      redirect: 'manual',
      headers: { 'user-agent': 'Mozilla/5.0 (Linux; Android 14) Mobile' },
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://g.page/r/review-sending-co/review');
    const after = await requestOf(job.jobId);
    expect([after.state, after.click_count]).toEqual(['clicked', 1]);
    const [, followUp] = await messagesOf(job.jobId);
    expect([followUp!.status, followUp!.cancel_reason]).toEqual(['cancelled', 'clicked']);

    const unknown = await fetch(`${stack.supabaseUrl}/functions/v1/review-link?t=AAAAAAAAAAAAAAAAAAAAAA`, { redirect: 'manual' });
    expect(unknown.status).toBe(302);
    expect(unknown.headers.get('location')).toBe(`${stack.appOrigin}/`);
  });
});
