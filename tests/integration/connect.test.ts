// "Connect Jobber" end to end through the gateway, the functions and the real Jobber sandbox:
// connect, deny, replay, and disconnect. The file owns its business, owner and sandbox account.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql, stack } from '../support/stack';
import { addMember, cleanup, createTenant, createUser, storedTokens, waitForSyncToSettle } from '../support/jobber_fixtures';
import { connectThroughSandbox, followCallback, sandbox, signIn, statusOf } from '../support/jobber_oauth';

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
    expect(Object.fromEntries(result.landing.searchParams)).toEqual({ result: 'connected', account: 'Connect Flow Jobber' });

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
    expect(result.landing.searchParams.get('result')).toBe('error');
    expect(result.landing.searchParams.get('code')).toBe('access_denied');
    const rows = await sql`select 1 from public.integrations_jobber where business_id = ${businessId}`;
    expect(rows).toHaveLength(0);
  });

  it('answers a replayed callback with invalid_state and no second code exchange', async () => {
    const { businessId, client } = await tenant('Replay Co');
    const account = await sandbox.createAccount('Replay Jobber');
    const result = await connectThroughSandbox(client, businessId, account.id);
    expect(result.landing.searchParams.get('result')).toBe('connected');
    const before = await sandbox.counters();
    const replay = await followCallback(result.callbackUrl);
    expect(replay.searchParams.get('result')).toBe('error');
    expect(replay.searchParams.get('code')).toBe('invalid_state');
    const after = await sandbox.counters();
    expect(after.tokenCalls.authorization_code).toBe(before.tokenCalls.authorization_code);
  });

  it('refuses a Jobber account that another business already connected (account_in_use)', async () => {
    const first = await tenant('First Owner Co');
    const second = await tenant('Second Owner Co');
    const account = await sandbox.createAccount('Shared Jobber');
    expect((await connectThroughSandbox(first.client, first.businessId, account.id)).landing.searchParams.get('result')).toBe('connected');
    const result = await connectThroughSandbox(second.client, second.businessId, account.id);
    expect(result.landing.searchParams.get('result')).toBe('error');
    expect(result.landing.searchParams.get('code')).toBe('account_in_use');
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
