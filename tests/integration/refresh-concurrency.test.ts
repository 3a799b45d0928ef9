// Jobber rotates refresh tokens: spending one twice kills the connection. Fifty status calls that
// all find the token expired must refresh it exactly once, and the token left in Vault must be the
// one Jobber considers current.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql, stack } from '../support/stack';
import { cleanup, createTenant, storedTokens, waitForSyncToSettle } from '../support/jobber_fixtures';
import { accessTokenOf, connectThroughSandbox, sandbox, signIn } from '../support/jobber_oauth';

const sql = adminSql();
const created = { businessIds: [] as string[], userIds: [] as string[] };
const CALLERS = 50;

beforeAll(async () => {
  await sandbox.reset();
});

afterAll(async () => {
  await cleanup(sql, created);
  await sql.end();
});

describe('token refresh under concurrency', () => {
  it(`refreshes an expired token exactly once when ${CALLERS} status calls arrive together`, async () => {
    const t = await createTenant(sql, 'owner', 'Concurrency Co');
    created.businessIds.push(t.businessId);
    created.userIds.push(t.user.id);
    const client = await signIn(t.user.email);
    const account = await sandbox.createAccount('Concurrency Jobber');
    const connected = await connectThroughSandbox(client, t.businessId, account.id);
    expect(connected.outcome).toBe('connected');
    // The initial full sync uses the token too; let it finish so the burst below is alone.
    await waitForSyncToSettle(sql, t.businessId);
    const jwt = await accessTokenOf(client);
    const old = await storedTokens(sql, t.businessId);

    // Expired on both sides: in our row and at Jobber (pg_cron is off in the test stack, so no
    // scheduled refresh races the burst).
    await sql`update public.integrations_jobber set token_expires_at = now() - interval '1 minute' where business_id = ${t.businessId}`;
    await sandbox.expireTokens(account.id);
    expect((await sandbox.graphql(old.access_token!, '{ account { id } }')).status).toBe(401);

    const before = await sandbox.counters();
    const responses = await Promise.all(
      Array.from({ length: CALLERS }, () =>
        fetch(`${stack.supabaseUrl}/functions/v1/jobber-status`, {
          method: 'POST',
          headers: { authorization: `Bearer ${jwt}`, apikey: stack.anonKey, 'content-type': 'application/json' },
          body: JSON.stringify({ business_id: t.businessId }),
        }).then(async (res) => ({ status: res.status, body: await res.json() }))),
    );
    const after = await sandbox.counters();

    const ok = responses.filter((r) => r.status === 200 && r.body.connected === true && r.body.connectionStatus === 'connected');
    const refreshCalls = after.tokenCalls.refresh_token - before.tokenCalls.refresh_token;
    const codeCalls = after.tokenCalls.authorization_code - before.tokenCalls.authorization_code;
    console.log(`refresh-concurrency: ${CALLERS} concurrent jobber-status calls -> ${ok.length} answered 200 connected`);
    console.log(`refresh-concurrency: sandbox refresh_token calls during the burst = ${refreshCalls} (authorization_code calls = ${codeCalls})`);

    expect(responses.map((r) => r.status)).toEqual(Array(CALLERS).fill(200));
    expect(ok).toHaveLength(CALLERS);
    expect(refreshCalls).toBe(1);
    expect(codeCalls).toBe(0);

    // The row now expires about an hour ahead.
    const [row] = await sql<{ token_expires_at: Date }[]>`
      select token_expires_at from public.integrations_jobber where business_id = ${t.businessId}`;
    const aheadMinutes = (row!.token_expires_at.getTime() - Date.now()) / 60_000;
    expect(aheadMinutes).toBeGreaterThan(55);
    expect(aheadMinutes).toBeLessThanOrEqual(61);
    // Every caller answers with the refreshed expiry, including those that waited on the lock
    // while another caller refreshed.
    const fresh = row!.token_expires_at.toISOString();
    const stale = responses.filter((r) => r.body.token_expires_at !== fresh).length;
    console.log(`refresh-concurrency: responses still showing the pre-refresh token_expires_at = ${stale} of ${CALLERS}`);
    expect(stale).toBe(0);

    // The pair in Vault is the rotated one, and it is the one Jobber holds as current.
    const now = await storedTokens(sql, t.businessId);
    expect(now.refresh_token).not.toBe(old.refresh_token);
    expect(now.access_token).not.toBe(old.access_token);
    expect((await sandbox.graphql(now.access_token!, '{ account { id } }')).status).toBe(200);
    const oldRefresh = await sandbox.token({ grant_type: 'refresh_token', refresh_token: old.refresh_token! });
    expect(oldRefresh.status).toBe(400);
    const storedRefresh = await sandbox.token({ grant_type: 'refresh_token', refresh_token: now.refresh_token! });
    console.log(`refresh-concurrency: refresh with the token stored in Vault -> HTTP ${storedRefresh.status}; with the previous one -> HTTP ${oldRefresh.status}`);
    expect(storedRefresh.status).toBe(200);
    // That proof rotated the pair at Jobber; store it so the row stays usable until cleanup.
    const rotated = (await storedRefresh.json()) as { access_token: string; refresh_token: string };
    await sql`
      select vault.update_secret(i.access_token_secret_id, ${rotated.access_token}),
             vault.update_secret(i.refresh_token_secret_id, ${rotated.refresh_token})
      from public.integrations_jobber i where i.business_id = ${t.businessId}`;
  });
});
