// "Connect Jobber" end to end through the gateway, the functions and the real Jobber sandbox:
// connect, deny, replay, someone else's account (SPEC §12), and disconnect. The file owns its
// businesses, users and sandbox accounts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql, stack } from '../support/stack';
import { addMember, cleanup, createTenant, createUser, storedTokens, waitForSyncToSettle } from '../support/jobber_fixtures';
import {
  approveInJobber,
  completeTicket,
  connectThroughSandbox,
  followCallback,
  sandbox,
  signIn,
  startConnect,
  statusOf,
} from '../support/jobber_oauth';

const sql = adminSql();
const created = { businessIds: [] as string[], userIds: [] as string[] };

async function tenant(name: string) {
  const t = await createTenant(sql, 'owner', name);
  created.businessIds.push(t.businessId);
  created.userIds.push(t.user.id);
  return { businessId: t.businessId, user: t.user, client: await signIn(t.user.email) };
}

beforeAll(async () => {
  await sandbox.reset();
});

afterAll(async () => {
  await cleanup(sql, created);
  await sql.end();
});

describe('connecting Jobber through the sandbox', () => {
  it('connects a business: the dashboard lands on result=connected and the status shows the account', async () => {
    const { businessId, client } = await tenant('Connect Flow Co');
    const account = await sandbox.createAccount('Connect Flow Jobber');
    const before = await sandbox.counters();

    const result = await connectThroughSandbox(client, businessId, account.id);
    expect(`${result.landing.origin}${result.landing.pathname}`).toBe(`${stack.appOrigin}/jobber/callback`);
    // The page's address holds only the one-time ticket; the account name comes from jobber-complete.
    expect(Object.keys(Object.fromEntries(result.landing.searchParams))).toEqual(['result', 'ticket']);
    expect(result.landing.searchParams.get('result')).toBe('confirm');
    expect(result.completion).toEqual({
      status: 200,
      body: { result: 'connected', account_name: 'Connect Flow Jobber', business_id: businessId },
    });

    const after = await sandbox.counters();
    expect(after.tokenCalls.authorization_code - before.tokenCalls.authorization_code).toBe(1);

    const status = await statusOf(client, businessId);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ connected: true, connectionStatus: 'connected', account_name: 'Connect Flow Jobber', needs_reconnect: false });
    expect(status.body.sync).toMatchObject({ kind: 'full' });

    // One status, read two ways: once the initial sync has settled, the view's status column (what
    // the card polls under RLS) is exactly what jobber-status answers.
    await waitForSyncToSettle(sql, businessId);
    const settled = await statusOf(client, businessId);
    const { data: view, error } = await client.from('jobber_status').select('status').eq('business_id', businessId);
    expect(error).toBeNull();
    expect(view).toEqual([{ status: settled.body }]);
    expect(settled.body).toMatchObject({ connected: true, connectionStatus: 'connected', account_name: 'Connect Flow Jobber' });

    const [row] = await sql`select account_id from public.integrations_jobber where business_id = ${businessId}`;
    expect(row!.account_id).toBe(account.id);
    // The stored access token works at Jobber.
    const tokens = await storedTokens(sql, businessId);
    const probe = await sandbox.graphql(tokens.access_token!, '{ account { id name } }');
    expect((await probe.json()).data.account).toEqual({ id: account.id, name: 'Connect Flow Jobber' });
  });

  it('lands on access_denied when the owner denies consent, and stores nothing', async () => {
    const { businessId, client } = await tenant('Deny Co');
    const account = await sandbox.createAccount('Deny Jobber');
    const result = await connectThroughSandbox(client, businessId, account.id, { decision: 'deny' });
    expect(Object.fromEntries(result.landing.searchParams)).toEqual({ result: 'error', code: 'access_denied' });
    expect(result.completion).toBeNull();
    const rows = await sql`select 1 from public.integrations_jobber where business_id = ${businessId}`;
    expect(rows).toHaveLength(0);
  });

  it('answers a replayed callback with invalid_state and a replayed ticket with not_found, with no second code exchange', async () => {
    const { businessId, client } = await tenant('Replay Co');
    const account = await sandbox.createAccount('Replay Jobber');
    const result = await connectThroughSandbox(client, businessId, account.id);
    expect(result.outcome).toBe('connected');
    const before = await sandbox.counters();
    const replay = await followCallback(result.callbackUrl);
    expect(Object.fromEntries(replay.searchParams)).toEqual({ result: 'error', code: 'invalid_state' });
    const again = await completeTicket(client, result.landing.searchParams.get('ticket')!);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('not_found');
    const after = await sandbox.counters();
    expect(after.tokenCalls.authorization_code).toBe(before.tokenCalls.authorization_code);
  });

  it("never attaches the Jobber account of whoever approves someone else's consent link (SPEC §12)", async () => {
    // Mallory starts connecting her business and sends the consent link to Victor, a Jobber owner
    // who also uses Blipp ("connect to get reviews"). Victor approves his own Jobber account.
    const mallory = await tenant('Mallory Reviews Co');
    const victor = await tenant('Victor Plumbing');
    const victorsJobber = await sandbox.createAccount('Victor Plumbing Jobber');
    const before = await sandbox.counters();
    const consentLink = await startConnect(mallory.client, mallory.businessId);
    const landing = await followCallback(await approveInJobber(consentLink, victorsJobber.id));
    expect(landing.searchParams.get('result')).toBe('confirm');
    const ticket = landing.searchParams.get('ticket')!;

    // Victor's browser is signed out of Mallory's session: his callback page completes nothing.
    const noCode = await sandbox.counters();
    expect(noCode.tokenCalls.authorization_code).toBe(before.tokenCalls.authorization_code);
    expect(await sql`select 1 from public.integrations_jobber where business_id = ${mallory.businessId}`).toHaveLength(0);

    // Signed in as himself, Victor is not the person who started: refused, and the ticket dies.
    const asVictor = await completeTicket(victor.client, ticket);
    expect(asVictor.status).toBe(403);
    expect(asVictor.body.error.code).toBe('not_a_member');
    // Mallory, handed the link afterwards, finds nothing left to finish.
    const asMallory = await completeTicket(mallory.client, ticket);
    expect(asMallory.status).toBe(404);
    expect(asMallory.body.error.code).toBe('not_found');

    const after = await sandbox.counters();
    expect(after.tokenCalls.authorization_code).toBe(before.tokenCalls.authorization_code);
    expect(await sql`select 1 from public.integrations_jobber where business_id = ${mallory.businessId}`).toHaveLength(0);
    expect((await statusOf(mallory.client, mallory.businessId)).body.connected).toBe(false);
    expect((await sandbox.state()).accounts.find((a) => a.id === victorsJobber.id)?.connected).toBe(false);

    // Victor's account is not taken: he can still connect it to his own business.
    const own = await connectThroughSandbox(victor.client, victor.businessId, victorsJobber.id);
    expect(own.outcome).toBe('connected');
    const final = await sandbox.counters();
    expect(final.tokenCalls.authorization_code).toBe(before.tokenCalls.authorization_code + 1);
  });

  it('lets only the user who started connecting finish it: another owner of the same business gets not_initiator', async () => {
    const { businessId, client } = await tenant('Two Owners Co');
    const coOwner = await createUser(sql, 'owner');
    created.userIds.push(coOwner.id);
    await addMember(sql, businessId, coOwner.id, 'owner');
    const account = await sandbox.createAccount('Two Owners Jobber');
    const before = await sandbox.counters();
    const landing = await followCallback(await approveInJobber(await startConnect(client, businessId), account.id));
    const refused = await completeTicket(await signIn(coOwner.email), landing.searchParams.get('ticket')!);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('not_initiator');
    const afterRefusal = await completeTicket(client, landing.searchParams.get('ticket')!);
    expect(afterRefusal.body.error.code).toBe('not_found');
    expect((await sandbox.counters()).tokenCalls.authorization_code).toBe(before.tokenCalls.authorization_code);
    expect(await sql`select 1 from public.integrations_jobber where business_id = ${businessId}`).toHaveLength(0);
  });

  it('refuses the user who started once demoted to member (forbidden_role), exchanging nothing', async () => {
    const { businessId, user, client } = await tenant('Demoted Co');
    const account = await sandbox.createAccount('Demoted Jobber');
    const before = await sandbox.counters();
    const landing = await followCallback(await approveInJobber(await startConnect(client, businessId), account.id));
    await addMember(sql, businessId, user.id, 'member');
    const refused = await completeTicket(client, landing.searchParams.get('ticket')!);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden_role');
    expect((await sandbox.counters()).tokenCalls.authorization_code).toBe(before.tokenCalls.authorization_code);
  });

  it('refuses a Jobber account that another business already connected (account_in_use)', async () => {
    const first = await tenant('First Owner Co');
    const second = await tenant('Second Owner Co');
    const account = await sandbox.createAccount('Shared Jobber');
    expect((await connectThroughSandbox(first.client, first.businessId, account.id)).outcome).toBe('connected');
    const result = await connectThroughSandbox(second.client, second.businessId, account.id);
    expect(result.completion?.status).toBe(409);
    expect(result.outcome).toBe('account_in_use');
    const rows = await sql`select 1 from public.integrations_jobber where business_id = ${second.businessId}`;
    expect(rows).toHaveLength(0);
    const status = await statusOf(first.client, first.businessId);
    expect(status.body.connectionStatus).toBe('connected');
  });

  it('lets only owners and admins start connecting: a member gets 403 forbidden_role', async () => {
    const { businessId } = await tenant('Member Co');
    const member = await createUser(sql, 'member');
    created.userIds.push(member.id);
    await addMember(sql, businessId, member.id, 'member');
    const client = await signIn(member.email);
    const { data, error } = await client.functions.invoke('jobber-connect', { body: { business_id: businessId } });
    expect(data).toBeNull();
    const response = (error as { context: Response }).context;
    expect(response.status).toBe(403);
    expect((await response.json()).error.code).toBe('forbidden_role');
  });

  it('disconnects: Jobber is told, the old token stops working, customers stay', async () => {
    const { businessId, client } = await tenant('Disconnect Co');
    const account = await sandbox.createAccount('Disconnect Jobber');
    await connectThroughSandbox(client, businessId, account.id);
    // Let the initial sync finish, then make sure there are customers to keep.
    await waitForSyncToSettle(sql, businessId);
    const oldTokens = await storedTokens(sql, businessId);
    await sql`insert into public.customers (business_id, source, external_id, full_name)
              values (${businessId}, 'jobber', 'client-kept', 'Kept Customer'), (${businessId}, 'manual', null, 'Typed In')`;
    const customersBefore = (await statusOf(client, businessId)).body.customers;
    expect(customersBefore.total).toBeGreaterThanOrEqual(2);
    expect(customersBefore.from_jobber).toBeGreaterThanOrEqual(1);
    expect((await sandbox.state()).accounts.find((a) => a.id === account.id)?.connected).toBe(true);

    const { data, error } = await client.functions.invoke('jobber-disconnect', { body: { business_id: businessId } });
    expect(error).toBeNull();
    expect(data).toEqual({ disconnected: true });

    expect((await sandbox.state()).accounts.find((a) => a.id === account.id)?.connected).toBe(false);
    const probe = await sandbox.graphql(oldTokens.access_token!, '{ account { id } }');
    expect(await probe.text()).toMatch(/disconnected this app/i);

    const status = await statusOf(client, businessId);
    expect(status.body).toMatchObject({ connected: false, connectionStatus: 'disconnected' });
    expect(status.body.customers).toEqual(customersBefore);
    const kept = await sql`select full_name from public.customers where business_id = ${businessId} and status <> 'removed' order by full_name`;
    expect(kept.map((r) => r.full_name)).toEqual(expect.arrayContaining(['Kept Customer', 'Typed In']));
    const [secrets] = await sql`select count(*)::int as n from vault.secrets where name like ${`jobber/${businessId}/%`}`;
    expect(secrets!.n).toBe(0);
  });
});
