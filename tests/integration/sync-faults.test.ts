// Customer sync under Jobber's failure modes and a worker crash: whatever happens between pages,
// the run ends succeeded with exactly the sandbox's clients - none lost, none twice. Each test
// owns a business and a sandbox account; the sandbox's faults are restored after every test.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adminSql, stack } from '../support/stack';
import {
  connectedTenant,
  Created,
  type FaultsPatch,
  jobberIds,
  requestSync,
  runById,
  runIsUnheld,
  runLogEvents,
  type RunRow,
  sleep,
  syncSandbox,
  waitForRun,
  wakeWorker,
} from '../support/sync';

const sql = adminSql();
const created = new Created();
const FAST_BUCKET = { bucket: { max: 10_000, restoreRate: 50_000 } } satisfies FaultsPatch;

beforeEach(async () => { await syncSandbox.setFaults(FAST_BUCKET); });
afterEach(async () => { await syncSandbox.restoreFaults(); });
afterAll(async () => {
  await syncSandbox.restoreFaults();
  await created.cleanup(sql);
  await sql.end();
});

/**
 * A connected business whose initial (empty) sync is done, then `count` clients in Jobber and a
 * full run asked for with every Jobber answer slowed by `latencyMs`, so faults land mid-run.
 */
async function slowFullRun(name: string, count: number, seed: number, latencyMs: number) {
  const business = await connectedTenant(sql, created, name);
  await waitForRun(sql, business.initialRunId);
  await syncSandbox.generate(business.accountId, count, seed);
  const sandboxIds = new Set((await syncSandbox.clients(business.accountId)).map((c) => c.id));
  expect(sandboxIds.size).toBe(count);
  await syncSandbox.setFaults({ latencyMs });
  const started = await requestSync(business.client, { business_id: business.businessId, mode: 'full' });
  expect(started.status).toBe(202);
  expect(started.body.joined).toBe(false);
  return { ...business, runId: started.body.run_id as string, sandboxIds, count };
}

const pagesAtLeast = (n: number) => (r: RunRow) => r.pages >= n || r.state !== 'running' && r.state !== 'queued';

/** The run succeeded with exactly the sandbox's clients, each once. */
async function expectExactlyTheSandbox(run: RunRow, business: { businessId: string; sandboxIds: Set<string>; count: number }) {
  expect(run).toMatchObject({
    state: 'succeeded', kind: 'full', error: null,
    processed: business.count, total: business.count, created: business.count, updated: 0, linked: 0, failed: 0, removed: 0,
    pages: Math.ceil(business.count / 100),
  });
  const ids = await jobberIds(sql, business.businessId);
  expect(ids.count).toBe(business.count);
  expect(ids.distinct).toBe(business.count);
  expect(ids.ids).toEqual(business.sandboxIds);
}

const took = (run: RunRow) => ((run.finished_at!.getTime() - run.started_at!.getTime()) / 1000).toFixed(1);
const count = (events: { event: string }[], name: string) => events.filter((e) => e.event === name).length;

describe('a sync that meets trouble mid-run', () => {
  it('survives a burst of Jobber 5xx answers without losing or doubling a client', async () => {
    const business = await slowFullRun('Faults 5xx Co', 1_500, 501, 150);
    await waitForRun(sql, business.runId, pagesAtLeast(2));
    await syncSandbox.setFaults({ failNext: { graphql5xx: 3, status: 502 }, errorRate: 0.3 });
    await waitForRun(sql, business.runId, pagesAtLeast(8));
    await syncSandbox.setFaults({ errorRate: 0 });

    const run = await waitForRun(sql, business.runId);
    const events = await runLogEvents(business.runId);
    const retries = events.filter((e) => e.event === 'jobber_retry');
    console.log(`5xx burst: ${run.processed} clients in ${took(run)} s, ${retries.length} retried requests`);
    await expectExactlyTheSandbox(run, business);
    expect(retries.length).toBeGreaterThanOrEqual(3);
    expect(retries.some((e) => e.reason === 'HTTP 502')).toBe(true);
  });

  it('waits out THROTTLED answers and a small bucket without losing or doubling a client', async () => {
    const business = await slowFullRun('Faults Throttle Co', 1_000, 502, 0);
    // A bucket that holds barely one page (3,401 requested points) and refills slowly.
    await syncSandbox.setFaults({ bucket: { max: 4_000, restoreRate: 2_500 } });
    await waitForRun(sql, business.runId, pagesAtLeast(2));
    await syncSandbox.setFaults({ throttle: true });
    await sleep(2_000);
    await syncSandbox.setFaults({ throttle: false });

    const run = await waitForRun(sql, business.runId);
    const events = await runLogEvents(business.runId);
    const waits = events.filter((e) => e.event === 'jobber_wait');
    console.log(`throttled: ${run.processed} clients in ${took(run)} s, ${run.points_spent} points, ${waits.length} waits (${count(waits.map((w) => ({ event: String(w.reason) })), 'throttled')} throttled)`);
    await expectExactlyTheSandbox(run, business);
    expect(waits.some((e) => e.reason === 'throttled')).toBe(true);
    expect(waits.some((e) => e.reason === 'pacing')).toBe(true);
  });

  it('rides out a window of HTTP 429 without losing or doubling a client', async () => {
    const business = await slowFullRun('Faults 429 Co', 1_500, 503, 150);
    await waitForRun(sql, business.runId, pagesAtLeast(2));
    await syncSandbox.setFaults({ http429: true });
    await sleep(3_000);
    await syncSandbox.setFaults({ http429: false });

    const run = await waitForRun(sql, business.runId);
    const events = await runLogEvents(business.runId);
    const retries = events.filter((e) => e.event === 'jobber_retry' && e.reason === 'HTTP 429');
    console.log(`429 window: ${run.processed} clients in ${took(run)} s, ${retries.length} retries after 429`);
    await expectExactlyTheSandbox(run, business);
    expect(retries.length).toBeGreaterThanOrEqual(1);
  });

  it('resumes from its cursor after the functions process is killed mid-run, and hands over when its budget runs out', async () => {
    const business = await slowFullRun('Faults Kill Co', 3_000, 504, 400);
    const atKill = await waitForRun(sql, business.runId, pagesAtLeast(2), 60_000, 50);
    expect(atKill.state).toBe('running');
    const kill = await fetch(`${stack.controlUrl}/functions/kill`, { method: 'POST' });
    expect(kill.status).toBe(200);
    const killedAt = await runById(sql, business.runId);
    console.log(`killed the functions at page ${killedAt.pages} of ${Math.ceil(business.count / 100)} (attempts ${killedAt.attempts})`);
    expect(killedAt.pages).toBeLessThan(Math.ceil(business.count / 100));
    const restart = await fetch(`${stack.controlUrl}/functions/restart`, { method: 'POST' });
    expect(restart.status).toBe(200);

    // The dead worker's lease (6 s after its last heartbeat) has to lapse before anyone may take the run.
    while (!(await runIsUnheld(sql, business.runId))) await sleep(200);
    const stuck = await runById(sql, business.runId);
    expect(stuck.pages).toBe(killedAt.pages); // nothing moved while the worker was dead
    await wakeWorker(sql);

    const owners = new Set<string>();
    let attemptsAfterKill = 0;
    const run = await waitForRun(sql, business.runId, (r) => {
      if (r.lease_owner) owners.add(r.lease_owner);
      attemptsAfterKill = Math.max(attemptsAfterKill, r.attempts);
      return r.state === 'succeeded' || r.state === 'failed';
    }, 120_000, 50);
    const events = await runLogEvents(business.runId);
    const claims = events.filter((e) => e.event === 'sync_claimed');
    console.log(`killed run: ${run.processed} clients in ${took(run)} s; ${claims.length} claims, ${count(events, 'sync_handed_over')} hand-overs, ${owners.size} workers after the kill`);

    await expectExactlyTheSandbox(run, business);
    // Workers other than the killed one finished it (the dead one's id lingers until the lease is taken).
    expect([...owners].filter((o) => o !== killedAt.lease_owner).length).toBeGreaterThanOrEqual(1);
    expect(attemptsAfterKill).toBeGreaterThanOrEqual(1);
    // Claimed first fresh, then resumed from the cursor after the kill (and after every hand-over).
    expect(claims[0]).toMatchObject({ resumed: false });
    expect(claims.slice(1).length).toBeGreaterThanOrEqual(2);
    expect(claims.slice(1).every((c) => c.resumed === true)).toBe(true);
    expect(count(events, 'sync_handed_over')).toBeGreaterThanOrEqual(1);
  });
});
