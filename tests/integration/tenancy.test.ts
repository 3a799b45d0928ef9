import { afterAll, describe, expect, it } from 'vitest';
import { adminSql, browserClient, DEMO, signedInClient, stack } from '../support/stack';

const sql = adminSql();
afterAll(async () => { await sql.end(); });

describe('tenancy through the gateway and PostgREST', () => {
  it('signs a demo user in with a password and returns their session', async () => {
    const client = browserClient();
    const { data, error } = await client.auth.signInWithPassword({ email: DEMO.owner.email, password: DEMO.password });
    expect(error).toBeNull();
    expect(data.user?.id).toBe(DEMO.owner.id);
    expect(data.session?.access_token).toMatch(/^eyJ/);
    const { data: me } = await client.auth.getUser();
    expect(me.user?.email).toBe(DEMO.owner.email);
  });

  it('refuses a wrong password', async () => {
    const { error } = await browserClient().auth.signInWithPassword({ email: DEMO.owner.email, password: 'nope' });
    expect(error?.message).toBe('Invalid login credentials');
  });

  it('rotates refresh tokens: the old one stops working once used', async () => {
    const client = await signedInClient(DEMO.member.email);
    const { data: first } = await client.auth.getSession();
    const oldRefresh = first.session!.refresh_token;
    const { data: refreshed, error } = await client.auth.refreshSession();
    expect(error).toBeNull();
    expect(refreshed.session?.refresh_token).not.toBe(oldRefresh);
    const replay = await fetch(`${stack.supabaseUrl}/auth/v1/token?grant_type=refresh_token`, {
      method: 'POST',
      headers: { apikey: stack.anonKey, 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: oldRefresh }),
    });
    expect(replay.status).toBe(400);
  });

  it('lets a member read their own business and nothing of another', async () => {
    const client = await signedInClient(DEMO.member.email);
    const { data, error } = await client.from('businesses').select('id, name').order('name');
    expect(error).toBeNull();
    expect(data).toEqual([{ id: DEMO.businessA, name: 'Brightside Cleaning' }]);
    const { data: other } = await client.from('businesses').select('id').eq('id', DEMO.businessB);
    expect(other).toEqual([]);
    const { data: customers } = await client.from('customers').select('business_id');
    expect(customers!.length).toBeGreaterThan(0);
    expect(new Set(customers!.map((c) => c.business_id))).toEqual(new Set([DEMO.businessA]));
  });

  it('shows the status view only for the caller\'s businesses, without token material', async () => {
    const client = await signedInClient(DEMO.other.email);
    const { data, error } = await client.from('jobber_status').select('*');
    expect(error).toBeNull();
    expect(data!.map((r) => r.business_id)).toEqual([DEMO.businessB]);
    expect(Object.keys(data![0]).some((k) => k.includes('secret') || k.includes('token_secret'))).toBe(false);
    const { error: tokenError } = await client.from('integrations_jobber').select('access_token_secret_id');
    expect(tokenError?.message).toBe('permission denied for table integrations_jobber');
  });

  it('gives anonymous callers nothing', async () => {
    const { data, error } = await browserClient().from('businesses').select('id');
    expect(data).toBeNull();
    expect(error?.code).toBe('42501');
  });

  it('rejects requests without an apikey like the hosted gateway does', async () => {
    const response = await fetch(`${stack.supabaseUrl}/rest/v1/businesses`);
    expect(response.status).toBe(401);
  });

  it('lets an owner add a manual customer but not one that pretends to come from Jobber', async () => {
    const client = await signedInClient(DEMO.owner.email);
    const ok = await client.from('customers').insert({ business_id: DEMO.businessA, full_name: 'Test Person', source: 'manual' });
    expect(ok.error).toBeNull();
    const forged = await client.from('customers').insert({ business_id: DEMO.businessA, full_name: 'Forged', source: 'jobber', external_id: 'x' });
    expect(forged.error?.message).toBe('new row violates row-level security policy for table "customers"');
    await sql`delete from public.customers where full_name = 'Test Person'`;
  });
});
