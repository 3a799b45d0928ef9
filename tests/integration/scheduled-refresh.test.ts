// The scheduled refresh for real: the pg_cron job's command posts to jobber-worker through pg_net,
// and the worker renews a token that expires within 15 minutes at the Jobber sandbox - run by hand,
// and then by pg_cron itself on the minute (the only test that turns a pg_cron job on).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../support/stack';
import { cleanup, createTenant, storedTokens, waitForSyncToSettle } from '../support/jobber_fixtures';
import { connectThroughSandbox, sandbox, signIn } from '../support/jobber_oauth';
import { withCronJob } from '../support/cron';

const sql = adminSql();
const created = { businessIds: [] as string[], userIds: [] as string[] };

beforeAll(async () => {
  await sandbox.reset();
});

afterAll(async () => {
  await cleanup(sql, created);
  await sql.end();
});

async function responseOf(requestId: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [row] = await sql<{ status_code: number | null; content: string | null; error_msg: string | null }[]>`
      select status_code, content, error_msg from net._http_response where id = ${requestId}`;
    if (row) return row;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`pg_net recorded no response for request ${requestId} within ${timeoutMs} ms`);
}

describe('scheduled token refresh through pg_cron and pg_net', () => {
  it('schedules jobber-worker refresh_tokens every minute', async () => {
    const jobs = await sql`select schedule, command from cron.job where jobname = 'jobber-refresh-tokens'`;
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.schedule).toBe('* * * * *');
    expect(jobs[0]!.command).toBe("select private.wake_worker('refresh_tokens')");
  });

  it('renews a token expiring in 5 minutes when the cron command runs', async () => {
    const t = await createTenant(sql, 'owner', 'Scheduled Refresh Co');
    created.businessIds.push(t.businessId);
    created.userIds.push(t.user.id);
    const client = await signIn(t.user.email);
    const account = await sandbox.createAccount('Scheduled Refresh Jobber');
    expect((await connectThroughSandbox(client, t.businessId, account.id)).outcome).toBe('connected');
    // The initial full sync uses (and near expiry, refreshes) the token; let it finish first.
    await waitForSyncToSettle(sql, t.businessId);
    const old = await storedTokens(sql, t.businessId);

    await sql`update public.integrations_jobber set token_expires_at = now() + interval '5 minutes' where business_id = ${t.businessId}`;
    const before = await sandbox.counters();
    const [job] = await sql<{ command: string }[]>`select command from cron.job where jobname = 'jobber-refresh-tokens'`;
    const [queued] = await sql.unsafe<{ id: string }[]>(`select (${job!.command.replace(/^select /, '')})::text as id`);
    const response = await responseOf(queued!.id);
    expect(response.error_msg).toBeNull();
    expect(response.status_code).toBe(200);
    const body = JSON.parse(response.content!);
    expect(body).toMatchObject({ task: 'refresh_tokens', failed: 0 });
    expect(body.refreshed).toBeGreaterThanOrEqual(1);

    const after = await sandbox.counters();
    expect(after.tokenCalls.refresh_token - before.tokenCalls.refresh_token).toBe(1);
    const [row] = await sql<{ token_expires_at: Date; connection_status: string }[]>`
      select token_expires_at, connection_status from public.integrations_jobber where business_id = ${t.businessId}`;
    expect(row!.connection_status).toBe('connected');
    const aheadMinutes = (row!.token_expires_at.getTime() - Date.now()) / 60_000;
    expect(aheadMinutes).toBeGreaterThan(55);
    expect(aheadMinutes).toBeLessThanOrEqual(61);
    const now = await storedTokens(sql, t.businessId);
    expect(now.refresh_token).not.toBe(old.refresh_token);
    expect((await sandbox.graphql(now.access_token!, '{ account { id } }')).status).toBe(200);
  });

  it('is woken by pg_cron itself on the minute once its job is on', async () => {
    const t = await createTenant(sql, 'owner', 'Cron Tick Co');
    created.businessIds.push(t.businessId);
    created.userIds.push(t.user.id);
    const client = await signIn(t.user.email);
    const account = await sandbox.createAccount('Cron Tick Jobber');
    expect((await connectThroughSandbox(client, t.businessId, account.id)).outcome).toBe('connected');
    await waitForSyncToSettle(sql, t.businessId);
    const old = await storedTokens(sql, t.businessId);
    await sql`update public.integrations_jobber set token_expires_at = now() + interval '5 minutes' where business_id = ${t.businessId}`;

    const refreshed = await withCronJob(sql, 'jobber-refresh-tokens', async () => {
      // pg_cron fires at the top of the next minute; give it that minute and the worker's run.
      const deadline = Date.now() + 75_000;
      while (Date.now() < deadline) {
        const now = await storedTokens(sql, t.businessId);
        if (now.refresh_token !== old.refresh_token) return now;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      return null;
    });
    expect(refreshed, 'pg_cron did not refresh the token within a minute of turning its job on').not.toBeNull();
    const [run] = await sql<{ status: string }[]>`
      select d.status from cron.job_run_details d join cron.job j using (jobid)
       where j.jobname = 'jobber-refresh-tokens' order by d.start_time desc limit 1`;
    expect(run!.status).toBe('succeeded');
    expect((await sandbox.graphql(refreshed!.access_token!, '{ account { id } }')).status).toBe(200);
  }, 120_000);
});
