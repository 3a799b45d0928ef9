// The webhook path through outages of our own: the worker killed in the middle of a batch (nothing
// lost, nothing applied twice), and the database restarted while Jobber's webhooks keep arriving
// (they are answered 503, Jobber retries, and every one lands once), also again and again under a
// flood of deliveries (the functions keep answering). The test runner's control
// server kills and restarts the functions process and the database (stack/test_runner.ts).
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { adminSql, stack } from '../support/stack';
import { Created, syncSandbox } from '../support/sync';
import { completions, deliver, inbox, inboxSettled, newJob, type SandboxJob, settledBusiness, signed, sleep, until, untilSwept, wake, work } from '../support/webhooks';

const sql = adminSql();
const created = new Created();

afterEach(async () => {
  await work.restoreWebhookFaults();
  await syncSandbox.restoreFaults();
});
afterAll(async () => {
  await created.cleanup(sql);
  await sql.end();
});

async function controlStack(path: string): Promise<void> {
  const res = await fetch(`${stack.controlUrl}${path}`, { method: 'POST' });
  if (!res.ok) throw new Error(`stack control ${path} answered ${res.status}`);
}

describe('the webhook worker through outages', () => {
  it('is killed mid-batch: after a restart every completion lands exactly once', async () => {
    const business = await settledBusiness(sql, created, 'Outage Kill Co');
    const COUNT = 30;
    const jobs: SandboxJob[] = [];
    for (let i = 0; i < COUNT; i++) jobs.push(await newJob(business.accountId, `Job ${i}`));
    await inboxSettled(sql, business.accountId);
    // Slow Jobber answers keep the worker inside its batches for the kill to land in one.
    await syncSandbox.setFaults({ latencyMs: 250 });
    for (const job of jobs) await work.complete(job.id);
    await until(() => completions(sql, business.businessId), (rows) => rows.length >= 3, 'the worker getting going');
    await controlStack('/functions/kill');
    const atKill = (await completions(sql, business.businessId)).length;
    const held = (await inbox(sql, business.accountId)).filter((r) => r.state === 'processing').length;
    console.log(`killed the functions process with ${atKill} of ${COUNT} completions recorded and ${held} events held`);
    expect(atKill).toBeLessThan(COUNT);
    await controlStack('/functions/restart');
    await syncSandbox.setFaults({ latencyMs: 0 });
    // The killed worker's lease lapses (WEBHOOK_LEASE_MS is 6 s in test runs); pg_cron's sweep
    // (off in test runs) would then wake the worker - the test does what the tick would.
    await sleep(6_500);
    await wake(sql, 'process_webhooks');
    const rows = await until(() => completions(sql, business.businessId), (r) => r.length >= COUNT, 'every completion', 90_000);
    await inboxSettled(sql, business.accountId, 60_000);
    await sleep(1_000);
    const final = await completions(sql, business.businessId);
    expect(final).toHaveLength(COUNT);
    expect(new Set(final.map((r) => r.visit)).size).toBe(COUNT);
    expect(new Set(final.map((r) => r.visit))).toEqual(new Set(jobs.map((j) => j.visits[0]!.id)));
    expect(rows.every((r) => r.kind === 'visit_completed')).toBe(true);
    const [decided] = await sql<{ decisions: number; completions: number }[]>`
      select (select count(*)::int from public.review_decisions where business_id = ${business.businessId}) as decisions,
             (select count(*)::int from public.job_completions where business_id = ${business.businessId}) as completions`;
    expect(decided!.decisions).toBe(decided!.completions);
    const events = await inbox(sql, business.accountId);
    expect(events.filter((e) => e.state !== 'done' && e.state !== 'ignored')).toEqual([]);
    const reclaimed = events.filter((e) => e.attempts > 0);
    console.log(`${reclaimed.length} events were claimed again after the kill`);
  });

  it('meets a database restart while webhooks arrive: 503s, then Jobber\'s retries land, each once', async () => {
    const business = await settledBusiness(sql, created, 'Outage Database Co');
    const COUNT = 12;
    const jobs: SandboxJob[] = [];
    for (let i = 0; i < COUNT; i++) jobs.push(await newJob(business.accountId, `Job ${i}`));
    await inboxSettled(sql, business.accountId);
    await work.setWebhookFaults({ retryBaseMs: 400, maxAttempts: 10 });

    // Jobs finish one after another while the database goes down for 3 seconds and comes back.
    const finishing = (async () => {
      for (const job of jobs) {
        await work.close(job.id);
        await sleep(250);
      }
    })();
    await sleep(500);
    await controlStack('/database/restart?downMs=3000');
    await finishing;

    // Whatever the outage cut short is taken up again by the minute sweep, which this test stands in for.
    const rows = await untilSwept(sql, () => completions(sql, business.businessId).catch(() => []), (r) => r.length >= COUNT, 'every close landing', 90_000);
    await inboxSettled(sql, business.accountId, 60_000);
    // The sandbox keeps its last 200 answers; this test's deliveries are the latest of them.
    const responses = (await work.counters()).webhooks.responses.filter((r) => r.topic === 'JOB_CLOSED' || r.topic === 'JOB_UPDATE');
    const unavailable = responses.filter((r) => r.status === 503).length;
    console.log(`database restart: ${unavailable} deliveries answered 503 (${responses.filter((r) => r.status === 0 || r.status >= 500).length} failed in all), all ${COUNT} closes recorded`);
    expect(unavailable).toBeGreaterThan(0);
    expect(rows).toHaveLength(COUNT);
    expect(new Set(rows.map((r) => r.job))).toEqual(new Set(jobs.map((j) => j.id)));
    const sent = await until(
      async () => (await work.events()).filter((e) => jobs.some((j) => j.id === e.itemId)),
      (events) => events.every((e) => e.state !== 'pending'),
      'Jobber finishing its retries',
      60_000,
    );
    expect(sent.filter((e) => e.state !== 'delivered')).toEqual([]);
  });

  it('keeps answering through database restarts under a flood of deliveries, and stores the next one', async () => {
    const business = await settledBusiness(sql, created, 'Outage Flood Co');
    const job = await newJob(business.accountId, 'After the flood');
    await inboxSettled(sql, business.accountId);
    // Deliveries for an account nobody connected are stored 'ignored': the flood exercises the
    // request path and the inbox's writes without giving the worker anything to fetch.
    const floodAccount = `flood-${Date.now()}`;
    const answers = new Map<number, number>();
    let flooding = true;
    const senders = Array.from({ length: 40 }, async (_, sender) => {
      for (let i = 0; flooding; i++) {
        const { body, signature } = signed({ topic: 'JOB_UPDATE', accountId: floodAccount, itemId: `flood-${sender}-${i}`, occurredAt: new Date().toISOString() });
        const { status } = await deliver(body, signature).catch(() => ({ status: 0 }));
        answers.set(status, (answers.get(status) ?? 0) + 1);
      }
    });
    try {
      // Each restart cuts connections with writes still queued in the driver (what once left the
      // functions' pool unable to send anything again; stack/functions_server.ts).
      for (let restart = 0; restart < 6; restart++) {
        await sleep(500);
        await controlStack('/database/restart?downMs=300');
      }
      await sleep(1_000);
    } finally {
      flooding = false;
      await Promise.all(senders);
    }
    console.log(`flood through 6 database restarts: answers ${JSON.stringify(Object.fromEntries(answers))}`);
    expect(answers.get(200) ?? 0).toBeGreaterThan(0);
    expect(answers.get(503) ?? 0).toBeGreaterThan(0);
    expect([...answers.keys()].filter((status) => status !== 200 && status !== 503)).toEqual([]);

    const { body, signature } = signed({ topic: 'JOB_UPDATE', accountId: business.accountId, itemId: job.id, occurredAt: new Date().toISOString() });
    await until(() => deliver(body, signature), (r) => r.status === 200, 'a delivery accepted after the restarts');
    const events = await untilSwept(sql, () => inbox(sql, business.accountId), (rows) => rows.some((r) => r.item_id === job.id && r.topic === 'JOB_UPDATE' && r.state === 'done'), 'the delivery processed');
    expect(events.filter((r) => r.item_id === job.id && r.topic === 'JOB_UPDATE')).toHaveLength(1);
    await sql`delete from private.jobber_webhook_events where account_id = ${floodAccount}`;
  });
});
