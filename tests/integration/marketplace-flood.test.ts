// Anonymous Marketplace callbacks (no state) through the gateway: a burst of 200, each with a real
// code for its own Jobber account, costs at most one address's allowance of token calls and leaves
// at most that many pending installs; every other caller lands on the page's "try again" result.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql, stack } from '../support/stack';
import { awayFromMinuteBoundary, cleanup } from '../support/jobber_fixtures';
import { sandbox } from '../support/jobber_oauth';

const sql = adminSql();
const accountIds: string[] = [];
// The functions' default allowance per client address per minute (MARKETPLACE_INSTALLS_PER_ADDRESS_PER_MINUTE).
const PER_ADDRESS = 5;
const BURST = 200;

beforeAll(async () => {
  await sandbox.reset();
});

afterAll(async () => {
  // Leave the allowance full for whatever runs next in this minute.
  await sql`delete from private.jobber_install_attempts`;
  await cleanup(sql, { accountIds });
  await sql.end();
});

async function pendingFor(ids: string[]): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from private.jobber_pending_installs where account_id in ${sql(ids)}`;
  return row!.n;
}

describe('a flood of anonymous Marketplace callbacks', () => {
  it(`answers ${BURST} callbacks in a burst with at most ${PER_ADDRESS} token calls and ${PER_ADDRESS} pending installs`, async () => {
    const codes: string[] = [];
    for (let i = 0; i < BURST; i++) {
      const account = await sandbox.createAccount(`Flood Jobber ${i}`);
      accountIds.push(account.id);
      codes.push(await sandbox.marketplaceCode(account.id));
    }
    // One-minute windows: start well inside one, with every allowance full.
    await awayFromMinuteBoundary(20);
    await sql`delete from private.jobber_install_attempts`;
    const before = await sandbox.counters();

    const landings = await Promise.all(codes.map(async (code) => {
      const res = await fetch(`${stack.supabaseUrl}/functions/v1/jobber-callback?code=${encodeURIComponent(code)}`, {
        redirect: 'manual',
      });
      expect(res.status).toBe(302);
      return new URL(res.headers.get('location')!);
    }));

    const after = await sandbox.counters();
    const tokenCalls = after.tokenCalls.authorization_code - before.tokenCalls.authorization_code;
    const outcomes = landings.map((l) => l.searchParams.get('code') ?? l.searchParams.get('result'));
    const claims = outcomes.filter((o) => o === 'claim').length;
    const limited = outcomes.filter((o) => o === 'rate_limited').length;
    console.log(`marketplace flood: ${BURST} callbacks -> ${claims} held for a claim, ${limited} rate_limited, ${tokenCalls} token calls`);

    expect(claims + limited).toBe(BURST);
    expect(claims).toBeGreaterThanOrEqual(1);
    expect(claims).toBeLessThanOrEqual(PER_ADDRESS);
    expect(tokenCalls).toBe(claims);
    expect(await pendingFor(accountIds)).toBe(claims);
    for (const landing of landings) {
      expect(`${landing.origin}${landing.pathname}`).toBe(`${stack.appOrigin}/jobber/callback`);
      if (landing.searchParams.get('result') === 'error') {
        expect(Object.fromEntries(landing.searchParams)).toEqual({ result: 'error', code: 'rate_limited' });
      }
    }
  });

  it('does not let a forged x-forwarded-for header through the gateway buy a fresh allowance', async () => {
    const codes: string[] = [];
    for (let i = 0; i <= PER_ADDRESS; i++) {
      const account = await sandbox.createAccount(`Forged Address Jobber ${i}`);
      accountIds.push(account.id);
      codes.push(await sandbox.marketplaceCode(account.id));
    }
    await awayFromMinuteBoundary(20);
    await sql`delete from private.jobber_install_attempts`;
    const callback = (code: string, headers: Record<string, string> = {}) =>
      fetch(`${stack.supabaseUrl}/functions/v1/jobber-callback?code=${encodeURIComponent(code)}`, { redirect: 'manual', headers })
        .then((res) => new URL(res.headers.get('location')!).searchParams);
    for (const code of codes.slice(0, PER_ADDRESS)) expect((await callback(code)).get('result')).toBe('claim');

    const before = await sandbox.counters();
    const forged = await callback(codes[PER_ADDRESS]!, { 'x-forwarded-for': '203.0.113.77' });
    expect(Object.fromEntries(forged)).toEqual({ result: 'error', code: 'rate_limited' });
    expect((await sandbox.counters()).tokenCalls.authorization_code).toBe(before.tokenCalls.authorization_code);
  });
});
