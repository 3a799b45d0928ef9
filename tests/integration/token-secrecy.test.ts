// Tokens live in Vault and nowhere else: after a real connect, neither the access token, the
// refresh token nor the OAuth code appears in any table outside vault, in any log of the stack, or
// in anything the browser received; and once the connection is finished the code has left Vault too.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql, stack } from '../support/stack';
import { cleanup, createTenant, storedTokens } from '../support/jobber_fixtures';
import { connectThroughSandbox, ResponseLog, sandbox, signIn, statusOf } from '../support/jobber_oauth';

const sql = adminSql();
const created = { businessIds: [] as string[], userIds: [] as string[] };
const SCHEMAS = ['public', 'private', 'auth', 'net', 'supabase_migrations', 'cron'];

beforeAll(async () => {
  await sandbox.reset();
});

afterAll(async () => {
  await cleanup(sql, created);
  await sql.end();
});

/** Every row of every table and view in SCHEMAS, as text, one relation per entry. */
async function dumpDatabase(): Promise<Map<string, string>> {
  const relations = await sql<{ schema: string; name: string }[]>`
    select table_schema as schema, table_name as name from information_schema.tables
    where table_schema in ${sql(SCHEMAS)} order by 1, 2`;
  const dump = new Map<string, string>();
  for (const r of relations) {
    const quoted = (id: string) => `"${id.replace(/"/g, '""')}"`;
    const rows = await sql.unsafe<{ row: string }[]>(`select t::text as row from ${quoted(r.schema)}.${quoted(r.name)} t`);
    dump.set(`${r.schema}.${r.name}`, rows.map((x) => x.row).join('\n'));
  }
  return dump;
}

async function readLogs(): Promise<Map<string, string>> {
  const logs = new Map<string, string>();
  for (const name of await readdir(stack.logDir)) {
    logs.set(name, await readFile(join(stack.logDir, name), 'utf8'));
  }
  return logs;
}

function whereFound(haystacks: Map<string, string>, needles: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [where, text] of haystacks) {
    for (const [what, needle] of Object.entries(needles)) if (text.includes(needle)) found.push(`${what} in ${where}`);
  }
  return found;
}

describe('token secrecy', () => {
  it('keeps the access token, refresh token and OAuth code out of tables, logs and responses', async () => {
    const t = await createTenant(sql, 'owner', 'Secrecy Co');
    created.businessIds.push(t.businessId);
    created.userIds.push(t.user.id);
    const browser = new ResponseLog();
    const client = await signIn(t.user.email, browser);
    const account = await sandbox.createAccount('Secrecy Jobber');

    const result = await connectThroughSandbox(client, t.businessId, account.id, { log: browser });
    expect(result.outcome).toBe('connected');
    expect(result.code).toMatch(/.{16,}/);
    const status = await statusOf(client, t.businessId, browser);
    expect(status.body.connected).toBe(true);
    const view = await client.from('jobber_status').select('*').eq('business_id', t.businessId);
    expect(view.data).toHaveLength(1);
    await client.from('integrations_jobber').select('*').eq('business_id', t.businessId);
    await client.from('jobber_sync_runs').select('*').eq('business_id', t.businessId);

    const tokens = await storedTokens(sql, t.businessId);
    expect(tokens.access_token).toMatch(/^eyJ/);
    expect(tokens.refresh_token!.length).toBeGreaterThan(20);
    const needles = {
      access_token: tokens.access_token!,
      refresh_token: tokens.refresh_token!,
      oauth_code: result.code!,
    };

    // Give the log pipes a moment to flush.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const tables = await dumpDatabase();
    const logs = await readLogs();
    expect(tables.has('public.integrations_jobber')).toBe(true);
    expect(tables.has('private.jobber_oauth_states')).toBe(true);
    expect(tables.get('public.integrations_jobber')).toContain(t.businessId);
    expect([...logs.keys()]).toEqual(expect.arrayContaining(['functions.log', 'jobber-sandbox.log', 'postgrest.log', 'net-worker.log', 'postgres.log']));
    expect(logs.get('functions.log')).toContain('jobber-callback');
    expect(browser.seen.length).toBeGreaterThanOrEqual(5);
    // The Location header the browser followed carries a one-time ticket, not the code or a token;
    // the page then finished the connection through jobber-complete.
    expect(browser.text()).toContain('result=confirm');
    expect(browser.text()).toContain('"result":"connected"');

    // The search itself works: Vault, left out of the dump, does hold the tokens.
    const [vault] = await sql<{ text: string }[]>`select string_agg(d::text, '\n') as text from vault.decrypted_secrets d`;
    expect(whereFound(new Map([['vault', vault!.text]]), needles)).toEqual(['access_token in vault', 'refresh_token in vault']);

    console.log(`token-secrecy: searched ${tables.size} relations, ${logs.size} log files, ${browser.seen.length} responses`);
    expect(whereFound(tables, needles)).toEqual([]);
    expect(whereFound(logs, needles)).toEqual([]);
    expect(whereFound(new Map([['browser responses', browser.text()]]), needles)).toEqual([]);
  });
});
