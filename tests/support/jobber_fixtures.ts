// Rows a Jobber-connection test needs, created through the superuser connection so each test owns
// fresh users and businesses (never the seed's) and can remove everything it made. Plain `postgres`
// only, so both the Deno handler tests and the vitest integration tests can use it.
import type postgres from 'postgres';

type Sql = postgres.Sql;
export type Role = 'owner' | 'admin' | 'member';

export const TEST_PASSWORD = 'password123';

export interface TestUser {
  id: string;
  email: string;
}

export async function createUser(sql: Sql, label = 'user'): Promise<TestUser> {
  const id = crypto.randomUUID();
  const email = `${label}-${id.slice(0, 8)}@conn.test`;
  await sql`
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
      raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values ('00000000-0000-0000-0000-000000000000', ${id}, 'authenticated', 'authenticated', ${email},
      extensions.crypt(${TEST_PASSWORD}, extensions.gen_salt('bf')), now(),
      '{"provider":"email","providers":["email"]}', '{}', now(), now())`;
  return { id, email };
}

export async function createBusiness(sql: Sql, name = 'Connection Test Co'): Promise<string> {
  const [row] = await sql<{ id: string }[]>`insert into public.businesses (name) values (${name}) returning id`;
  return row!.id;
}

export async function addMember(sql: Sql, businessId: string, userId: string, role: Role): Promise<void> {
  await sql`insert into public.business_members (business_id, user_id, role) values (${businessId}, ${userId}, ${role})
            on conflict (business_id, user_id) do update set role = excluded.role`;
}

/** A business with one user in `role` (owner by default). */
export async function createTenant(sql: Sql, role: Role = 'owner', name?: string) {
  const user = await createUser(sql, role);
  const businessId = await createBusiness(sql, name);
  await addMember(sql, businessId, user.id, role);
  return { businessId, user };
}

export interface ConnectionSeed {
  accountId?: string;
  accountName?: string;
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  status?: 'connected' | 'error';
}

/**
 * A connected integration row with its tokens in Vault, as jobber_store_connection leaves it. The
 * test stack runs with pg_cron's jobs off (tests/support/cron.ts), so no scheduled refresh ever
 * spends these made-up tokens.
 */
export async function insertConnection(sql: Sql, businessId: string, seed: ConnectionSeed) {
  const [secrets] = await sql<{ access_id: string; refresh_id: string }[]>`
    select vault.create_secret(${seed.accessToken}, ${`jobber/${businessId}/access_token`}) as access_id,
           vault.create_secret(${seed.refreshToken}, ${`jobber/${businessId}/refresh_token`}) as refresh_id`;
  const accountId = seed.accountId ?? `acct-${crypto.randomUUID()}`;
  await sql`
    insert into public.integrations_jobber (business_id, access_token_secret_id, refresh_token_secret_id,
      token_expires_at, token_refreshed_at, account_id, account_name, connection_status, connected_at)
    values (${businessId}, ${secrets!.access_id}, ${secrets!.refresh_id}, ${seed.expiresAt}, now(), ${accountId},
      ${seed.accountName ?? 'Test Jobber Account'}, ${seed.status ?? 'connected'}, now())`;
  return { accountId, accessSecretId: secrets!.access_id, refreshSecretId: secrets!.refresh_id };
}

/** The decrypted tokens the connection row points at (null once deleted). */
export async function storedTokens(sql: Sql, businessId: string) {
  const [row] = await sql<{ access_token: string | null; refresh_token: string | null }[]>`
    select a.decrypted_secret as access_token, r.decrypted_secret as refresh_token
    from public.integrations_jobber i
    left join vault.decrypted_secrets a on a.id = i.access_token_secret_id
    left join vault.decrypted_secrets r on r.id = i.refresh_token_secret_id
    where i.business_id = ${businessId}`;
  return row ?? { access_token: null, refresh_token: null };
}

export async function vaultSecretCount(sql: Sql, ids: (string | null | undefined)[]): Promise<number> {
  const present = ids.filter((id): id is string => typeof id === 'string');
  if (present.length === 0) return 0;
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from vault.secrets where id in ${sql(present)}`;
  return row!.n;
}

/** Removes businesses (and, by cascade, their rows), their Vault secrets, pending installs and users. */
export async function cleanup(
  sql: Sql,
  what: { businessIds?: string[]; userIds?: string[]; accountIds?: string[] },
): Promise<void> {
  const businessIds = what.businessIds ?? [];
  const accountIds = what.accountIds ?? [];
  if (businessIds.length > 0) {
    await sql`
      delete from vault.secrets s
      using public.integrations_jobber i
      where i.business_id in ${sql(businessIds)}
        and s.id in (i.access_token_secret_id, i.refresh_token_secret_id)`;
    for (const id of businessIds) {
      await sql`delete from vault.secrets where name like ${`jobber/${id}/%`}`;
    }
    await sql`delete from public.businesses where id in ${sql(businessIds)}`;
  }
  if (accountIds.length > 0) {
    const pending = await sql<{ id: string; a: string; r: string }[]>`
      delete from private.jobber_pending_installs where account_id in ${sql(accountIds)}
      returning id, access_token_secret_id as a, refresh_token_secret_id as r`;
    for (const p of pending) await sql`delete from vault.secrets where id in (${p.a}, ${p.r})`;
  }
  if ((what.userIds ?? []).length > 0) {
    await sql`delete from auth.users where id in ${sql(what.userIds!)}`;
  }
}

/**
 * Waits until the business has no queued or running sync run and its first reconciliation is done
 * (the initial sync after connecting, and the reconciliation it wakes, use - and may refresh - the
 * token). Gives up quietly after `timeoutMs`: where no worker picks runs up, a queued run never
 * touches the token.
 */
export async function waitForSyncToSettle(sql: Sql, businessId: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // The initial full sync, and the first reconciliation it wakes (both call Jobber with the
    // connection's token): settled once neither is live.
    const [row] = await sql<{ n: number }[]>`
      select (select count(*)::int from public.jobber_sync_runs where business_id = ${businessId} and state in ('queued', 'running'))
           + (select count(*)::int from public.integrations_jobber
              where business_id = ${businessId} and connection_status = 'connected' and last_job_sync_at is null)
           + (select count(*)::int from private.jobber_reconciles where business_id = ${businessId} and window_start is not null) as n`;
    if (row!.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Rate limits count in one-minute windows (Marketplace installs): a test that fills a window waits
 * here first, so the window cannot turn over, and refill the allowance, while it runs.
 */
export async function awayFromMinuteBoundary(clearSeconds = 15): Promise<void> {
  const now = new Date();
  const second = now.getUTCSeconds() + now.getUTCMilliseconds() / 1000;
  if (second < 1 || second > 60 - clearSeconds) {
    const wait = second < 1 ? (1 - second) * 1000 : (61 - second) * 1000;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
