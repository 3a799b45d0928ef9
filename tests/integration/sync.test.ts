// Customer sync end to end: jobber-sync → pg_net → jobber-worker → the Jobber sandbox → the sync
// SQL functions, checked against the sandbox's own data and SPEC §8's mapping rules. The file owns
// its users, businesses and sandbox accounts; the sandbox's faults are restored after every test.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adminSql } from '../support/stack';
import { statusOf } from '../support/jobber_oauth';
import {
  connectedTenant,
  Created,
  customersOf,
  expectedCustomer,
  jobberIds,
  newMember,
  newTenant,
  requestSync,
  type RunRow,
  type SandboxClient,
  sleep,
  storedCustomer,
  syncSandbox,
  waitForRun,
} from '../support/sync';
import { work } from '../support/webhooks';

const sql = adminSql();
const created = new Created();
const SEED = 20_261_127;
const GENERATED = 2_350;

// Fast refills keep the file quick; nothing here is about throttling (see sync-faults.test.ts).
beforeEach(async () => { await syncSandbox.setFaults({ bucket: { max: 10_000, restoreRate: 50_000 } }); });
afterEach(async () => { await syncSandbox.restoreFaults(); });
// What these tests measure is the sync: Jobber's client webhooks would apply the same edits first
// (the webhook worker uses the sync's own apply function), so here they are lost on the way, as
// Jobber may lose them (webhooks.test.ts covers that path).
beforeAll(async () => { await work.setWebhookFaults({ drop: ['CLIENT_CREATE', 'CLIENT_UPDATE', 'CLIENT_DESTROY'] }); });
afterAll(async () => {
  await syncSandbox.restoreFaults();
  await work.restoreWebhookFaults();
  await created.cleanup(sql);
  await sql.end();
});

const seconds = (run: RunRow) => ((run.finished_at!.getTime() - run.started_at!.getTime()) / 1000).toFixed(1);

describe('syncing Jobber clients into customers', () => {
  // Shared by the tests of this describe, which run in order on one business.
  let business: Awaited<ReturnType<typeof connectedTenant>>;
  let clients: SandboxClient[];
  let byEmail: SandboxClient; // adopts the manual customer with that email
  let byPhone: SandboxClient; // adopts the manual customer with that phone
  const manual = { email: '', phone: '', other: '' }; // customer ids

  beforeAll(async () => {
    business = await connectedTenant(sql, created, 'Sync Full Co', async (accountId, businessId) => {
      await syncSandbox.generate(accountId, GENERATED, SEED);
      clients = await syncSandbox.clients(accountId);
      const expected = clients.map(expectedCustomer);
      const emailCounts = new Map<string, number>();
      const phoneCounts = new Map<string, number>();
      for (const e of expected) {
        if (e.email) emailCounts.set(e.email, (emailCounts.get(e.email) ?? 0) + 1);
        if (e.phone) phoneCounts.set(e.phone, (phoneCounts.get(e.phone) ?? 0) + 1);
      }
      // A client whose (only-once) email a manual customer has, and which has no address of its own,
      // so the adopted customer must keep the manual address.
      const emailIndex = expected.findIndex((e) =>
        e.email !== null && e.email_usable && emailCounts.get(e.email) === 1 && e.address === null && !e.phone);
      // A client reachable only by its (only-once, valid E.164) phone, with no email of its own.
      const phoneIndex = expected.findIndex((e) =>
        e.email === null && e.phone_usable && phoneCounts.get(e.phone!) === 1);
      expect(emailIndex).toBeGreaterThanOrEqual(0);
      expect(phoneIndex).toBeGreaterThanOrEqual(0);
      byEmail = clients[emailIndex]!;
      byPhone = clients[phoneIndex]!;

      const rows = await sql<{ id: string; full_name: string }[]>`
        insert into public.customers (business_id, source, full_name, email, phone, address)
        values
          (${businessId}, 'manual', 'Manual By Email', ${expected[emailIndex]!.email!.toUpperCase()}, null, '9 Kept Lane, Springfield'),
          (${businessId}, 'manual', 'Manual By Phone', 'kept-phone@manual.test', ${expected[phoneIndex]!.phone}, null),
          (${businessId}, 'import', 'Manual Nobody', 'nobody@manual.test', '+14155550000', null)
        returning id, full_name`;
      manual.email = rows.find((r) => r.full_name === 'Manual By Email')!.id;
      manual.phone = rows.find((r) => r.full_name === 'Manual By Phone')!.id;
      manual.other = rows.find((r) => r.full_name === 'Manual Nobody')!.id;
    });
  });

  it('runs the initial full sync of 2,350 clients, adopting the two matching manual customers', async () => {
    const run = await waitForRun(sql, business.initialRunId);
    console.log(`initial full sync: ${run.processed} clients in ${seconds(run)} s, ${run.pages} pages, ${run.attempts} attempts`);
    expect(run).toMatchObject({
      kind: 'full', trigger: 'connect', state: 'succeeded', error: null,
      processed: GENERATED, total: GENERATED, created: GENERATED - 2, linked: 2, updated: 0, failed: 0, removed: 0,
      pages: Math.ceil(GENERATED / 100),
    });
    expect(run.errors).toEqual([]);

    const ids = await jobberIds(sql, business.businessId);
    expect(ids.count).toBe(GENERATED);
    expect(ids.distinct).toBe(GENERATED);
    expect(ids.ids).toEqual(new Set(clients.map((c) => c.id)));
    const rows = await customersOf(sql, business.businessId);
    expect(rows.length).toBe(GENERATED + 1);

    // Adopted in place: same row, now Jobber's, Jobber's values where it has one, the rest kept.
    const email = rows.find((r) => r.id === manual.email)!;
    // Jobber has no address and no phone for it: the manual address stays, the phone flags too.
    expect(storedCustomer(email)).toEqual({ ...expectedCustomer(byEmail), address: '9 Kept Lane, Springfield', phone_usable: true });
    expect(email.source).toBe('jobber');
    const phone = rows.find((r) => r.id === manual.phone)!;
    expect(storedCustomer(phone)).toEqual({ ...expectedCustomer(byPhone), email: 'kept-phone@manual.test', email_usable: true });
    expect(phone.source).toBe('jobber');
    expect(rows.find((r) => r.id === manual.other)).toMatchObject({ source: 'import', status: 'active', external_id: null });

    // Every other customer is exactly what SPEC §8 says its client maps to.
    const stored = new Map(rows.filter((r) => r.source === 'jobber').map((r) => [r.external_id, r]));
    const adopted = new Set([byEmail.id, byPhone.id]);
    const mismatches = clients
      .filter((c) => !adopted.has(c.id))
      .map((c) => ({ expected: expectedCustomer(c), actual: storedCustomer(stored.get(c.id)!) }))
      .filter(({ expected, actual }) => JSON.stringify(expected) !== JSON.stringify(actual));
    expect(mismatches.slice(0, 3)).toEqual([]);

    // The interesting cases, spelled out.
    const archived = clients.filter((c) => c.isArchived);
    const leads = clients.filter((c) => c.isLead && !c.isArchived);
    const noContact = clients.filter((c) => c.emails.length === 0 && c.phones.length === 0);
    const companies = clients.filter((c) => c.isCompany && c.companyName);
    const unicode = clients.filter((c) => /[^\u0000-\u007f]/u.test(c.name) && !adopted.has(c.id));
    console.log(`generated: ${archived.length} archived, ${leads.length} leads, ${noContact.length} without contacts, ${companies.length} companies, ${unicode.length} non-ASCII names`);
    expect(archived.length).toBeGreaterThan(0);
    expect(archived.every((c) => stored.get(c.id)!.status === 'archived')).toBe(true);
    expect(leads.length).toBeGreaterThan(0);
    expect(leads.every((c) => stored.get(c.id)!.status === 'lead')).toBe(true);
    expect(noContact.length).toBeGreaterThan(0);
    expect(noContact.every((c) => stored.get(c.id)!.email === null && stored.get(c.id)!.phone === null)).toBe(true);
    expect(companies.length).toBeGreaterThan(0);
    expect(companies.every((c) => stored.get(c.id)!.full_name === c.companyName!.normalize('NFC').replace(/\s+/gu, ' ').trim())).toBe(true);
    const cjk = clients.find((c) => c.name.includes('小明') && !adopted.has(c.id))!;
    expect(stored.get(cjk.id)!.full_name).toBe(cjk.name.replace(/\s+/gu, ' ').trim());

    const groups = new Map<string, SandboxClient[]>();
    for (const c of clients.filter((c) => !adopted.has(c.id))) {
      const address = expectedCustomer(c).email;
      if (address !== null) groups.set(address, [...(groups.get(address) ?? []), c]);
    }
    const sharedEmail = [...groups].find(([, group]) => group.length >= 2)!;
    const sharing = rows.filter((r) => r.source === 'jobber' && r.email === sharedEmail[0]);
    expect(sharing.map((r) => r.external_id).sort()).toEqual(sharedEmail[1].map((c) => c.id).sort());
    expect(new Set(sharing.map((r) => r.id)).size).toBe(sharedEmail[1].length);
  });

  it('joins the running run when two syncs are asked for at once', async () => {
    // An incremental run with nothing new finishes in milliseconds; slow Jobber down so the first
    // run is still live when the second request arrives, however the two requests are scheduled.
    await syncSandbox.setFaults({ latencyMs: 1_500 });
    const [a, b] = await Promise.all([
      requestSync(business.client, { business_id: business.businessId }),
      requestSync(business.client, { business_id: business.businessId }),
    ]);
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(a.body.run_id).toBe(b.body.run_id);
    expect([a.body.joined, b.body.joined].sort()).toEqual([false, true]);
    const runs = await sql<{ id: string }[]>`
      select id from public.jobber_sync_runs where business_id = ${business.businessId} and id <> ${business.initialRunId}`;
    expect(runs.map((r) => r.id)).toEqual([a.body.run_id]);

    const run = await waitForRun(sql, a.body.run_id);
    console.log(`incremental sync with nothing new: ${run.processed} clients in ${seconds(run)} s`);
    // A full run has succeeded, so the card's Sync is incremental; nothing changed in Jobber.
    expect(run).toMatchObject({ kind: 'incremental', trigger: 'manual', state: 'succeeded', created: 0, updated: 0, linked: 0, failed: 0, removed: 0 });
  });

  it('updates exactly the three clients edited in Jobber on an incremental run', async () => {
    const adopted = new Set([byEmail.id, byPhone.id]);
    const edited = clients.filter((c) => !c.isCompany && !adopted.has(c.id)).slice(10, 13);
    const before = new Map((await customersOf(sql, business.businessId)).map((r) => [r.id, r.updated_at.getTime()]));
    await sleep(1_100); // Jobber's updatedAt has second precision
    for (const [i, c] of edited.entries()) {
      const changed = await syncSandbox.updateClient(c.id, { firstName: `Edited${i}`, lastName: 'Person' });
      expect(changed.name).toBe(`Edited${i} Person`);
    }

    const started = await requestSync(business.client, { business_id: business.businessId });
    expect(started.status).toBe(202);
    expect(started.body.joined).toBe(false);
    const run = await waitForRun(sql, started.body.run_id);
    console.log(`incremental sync after 3 edits: ${run.processed} clients in ${seconds(run)} s`);
    expect(run).toMatchObject({ kind: 'incremental', state: 'succeeded', updated: 3, created: 0, linked: 0, failed: 0, removed: 0 });
    expect(run.unchanged).toBe(run.processed - 3);

    const after = await customersOf(sql, business.businessId);
    const touched = after.filter((r) => r.updated_at.getTime() !== before.get(r.id));
    expect(touched.map((r) => r.external_id).sort()).toEqual(edited.map((c) => c.id).sort());
    expect(touched.map((r) => r.full_name).sort()).toEqual(['Edited0 Person', 'Edited1 Person', 'Edited2 Person']);
    expect(after.length).toBe(before.size);
  });

  let resync: RunRow;

  it('marks exactly the client deleted in Jobber as removed on a full run, and never a manual customer', async () => {
    const adopted = new Set([byEmail.id, byPhone.id]);
    const gone = clients.filter((c) => !adopted.has(c.id) && !c.isArchived)[42]!;
    await syncSandbox.deleteClient(gone.id);

    const started = await requestSync(business.client, { business_id: business.businessId, mode: 'full' });
    expect(started.status).toBe(202);
    const run = (resync = await waitForRun(sql, started.body.run_id));
    console.log(`full re-sync of ${run.processed} clients in ${seconds(run)} s`);
    expect(run).toMatchObject({
      kind: 'full', state: 'succeeded', processed: GENERATED - 1, total: GENERATED - 1,
      created: 0, linked: 0, failed: 0, removed: 1,
    });

    const rows = await customersOf(sql, business.businessId);
    expect(rows.length).toBe(GENERATED + 1);
    const removed = rows.filter((r) => r.status === 'removed');
    expect(removed.map((r) => r.external_id)).toEqual([gone.id]);
    expect(rows.find((r) => r.id === manual.other)).toMatchObject({ source: 'import', status: 'active' });
  });

  it('rewrites nothing on a full re-sync when nothing changed in Jobber, adopted customers included', async () => {
    // Nothing changed in Jobber since the incremental run, so every client is unchanged.
    expect({ updated: resync.updated, unchanged: resync.unchanged }).toEqual({ updated: 0, unchanged: GENERATED - 1 });
    // The customer adopted by phone keeps the email Jobber does not have, and it stays usable.
    const rows = await customersOf(sql, business.businessId);
    expect(rows.find((r) => r.id === manual.phone)).toMatchObject({ email: 'kept-phone@manual.test', email_usable: true });
    expect(rows.find((r) => r.id === manual.email)).toMatchObject({ address: '9 Kept Lane, Springfield', phone: null, phone_usable: true });
  });
});

describe('sync requests that must be refused, and what other businesses see', () => {
  let business: Awaited<ReturnType<typeof connectedTenant>>;

  beforeAll(async () => {
    business = await connectedTenant(sql, created, 'Sync Guard Co', async (accountId) => {
      await syncSandbox.generate(accountId, 20, SEED + 1);
    });
    await waitForRun(sql, business.initialRunId);
  });

  it('answers 422 not_connected for a business that is not connected', async () => {
    const lonely = await newTenant(sql, created, 'Sync Unconnected Co');
    const res = await requestSync(lonely.client, { business_id: lonely.businessId });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('not_connected');
    expect(await sql`select 1 from public.jobber_sync_runs where business_id = ${lonely.businessId}`).toHaveLength(0);
  });

  it('answers 403 not_a_member for a business the caller does not belong to', async () => {
    const outsider = await newTenant(sql, created, 'Sync Outsider Co');
    const res = await requestSync(outsider.client, { business_id: business.businessId });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('not_a_member');
    const unknown = await requestSync(outsider.client, { business_id: crypto.randomUUID() });
    expect(unknown.status).toBe(403);
    expect(unknown.body.error.code).toBe('not_a_member');
  });

  it('answers 400 naming mode for a mode that does not exist, and for unknown fields', async () => {
    const res = await requestSync(business.client, { business_id: business.businessId, mode: 'everything' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toMatch(/mode/);
    const extra = await requestSync(business.client, { business_id: business.businessId, force: true });
    expect(extra.status).toBe(400);
    expect(extra.body.error.code).toBe('invalid_request');
    const noId = await requestSync(business.client, {});
    expect(noId.status).toBe(400);
    expect(noId.body.error.message).toMatch(/business_id/);
  });

  it('shows a run to members of its business only', async () => {
    const member = await newMember(sql, created, business.businessId);
    const mine = await member.client.from('jobber_sync_runs').select('id, state').eq('id', business.initialRunId);
    expect(mine.error).toBeNull();
    expect(mine.data).toEqual([{ id: business.initialRunId, state: 'succeeded' }]);
    expect((await statusOf(member.client, business.businessId)).status).toBe(200);

    const outsider = await newTenant(sql, created, 'Sync Nosy Co');
    const theirs = await outsider.client.from('jobber_sync_runs').select('id').eq('id', business.initialRunId);
    expect(theirs.error).toBeNull();
    expect(theirs.data).toEqual([]);
    const status = await statusOf(outsider.client, business.businessId);
    expect(status.status).toBe(403);
    expect(status.body.error.code).toBe('not_a_member');
  });

  it('stores a client with a 5,000-character name and an invalid email safely', async () => {
    const long = await syncSandbox.createClient(business.accountId, {
      firstName: 'Ö'.repeat(2_500),
      lastName: 'x'.repeat(2_499),
      emails: [{ address: 'not an email', primary: true }],
      phones: [{ number: '+44 20 7946 0999', primary: true }],
    });
    expect(long.name.length).toBe(5_000);
    const started = await requestSync(business.client, { business_id: business.businessId });
    const run = await waitForRun(sql, started.body.run_id);
    expect(run).toMatchObject({ kind: 'incremental', state: 'succeeded', created: 1, failed: 0 });
    expect(run.errors).toEqual([]);
    const [row] = await sql<{ full_name: string; email: string; email_usable: boolean; phone: string; phone_usable: boolean }[]>`
      select full_name, email, email_usable, phone, phone_usable from public.customers
      where business_id = ${business.businessId} and external_id = ${long.id}`;
    expect(row!.full_name).toBe('Ö'.repeat(500));
    expect(row).toMatchObject({ email: 'not an email', email_usable: false, phone: '+442079460999', phone_usable: true });
  });
});

describe('the status while a sync runs and after', () => {
  it('reports progress during a slow run and the totals once it succeeds', async () => {
    const business = await connectedTenant(sql, created, 'Sync Status Co');
    await waitForRun(sql, business.initialRunId);
    const count = 800;
    await syncSandbox.generate(business.accountId, count, SEED + 2);
    await syncSandbox.setFaults({ latencyMs: 700 });

    const started = await requestSync(business.client, { business_id: business.businessId, mode: 'full' });
    expect(started.status).toBe(202);
    const seen: { state: string; processed: number; total: number | null }[] = [];
    for (;;) {
      const { status, body } = await statusOf(business.client, business.businessId);
      expect(status).toBe(200);
      expect(body.sync.run_id).toBe(started.body.run_id);
      seen.push({ state: body.sync.state, processed: body.sync.processed, total: body.sync.total });
      if (!['queued', 'running'].includes(body.sync.state)) break;
      expect(body.sync.kind).toBe('full');
      if (body.sync.total !== null) expect(body.sync.processed).toBeLessThanOrEqual(body.sync.total);
      await sleep(300);
    }
    const during = seen.filter((s) => s.state === 'running' && s.processed > 0);
    console.log(`status polled ${seen.length} times; ${during.length} mid-run answers, e.g. ${JSON.stringify(during[0])}`);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((s) => s.total === count && s.processed < count)).toBe(true);

    const { body } = await statusOf(business.client, business.businessId);
    expect(body.sync).toMatchObject({ state: 'succeeded', kind: 'full', processed: count, total: count, synced: count, errors: 0, error: null });
    expect(body.customers).toEqual({ total: count, from_jobber: count });
    expect(body.last_sync).toBe(body.sync.finished_at);
    expect(Date.parse(body.last_sync)).toBeGreaterThan(Date.now() - 60_000);
  });
});
