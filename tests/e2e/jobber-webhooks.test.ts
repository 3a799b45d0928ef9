// The card's "Updates from Jobber" row in Chromium, as the owner and a member watch it: a job
// closed in the Jobber sandbox moves the row and the jobs count on their own (no reload), closing
// it again after a reopen still counts one job; failed updates show with Replay for the owner only,
// and replaying them clears them. The card passes axe-core in each of these states.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectNoAxeViolations } from '../support/axe';
import {
  createBusiness,
  createSandboxAccount,
  createUser,
  dropFixtures,
  jobberCard,
  openDashboard,
  screenshot,
  uniqueSuffix,
  useBrowser,
  visible,
  type TestBusiness,
  type TestUser,
} from '../support/browser';
import { connectThroughSandbox, signIn as signInApi } from '../support/jobber_oauth';
import { adminSql } from '../support/stack';
import { completions, newJob, until, untilConnectionSettled, work } from '../support/webhooks';

const sql = adminSql();
const businesses: TestBusiness[] = [];
const users: TestUser[] = [];

const browsers = useBrowser({
  async afterAll() {
    await dropFixtures(sql, businesses, users).catch(() => {});
    await sql.end();
  },
});
const freshPage = () => browsers.page();

/** The value cell of one row of the card's details, by the row's label. */
const detail = (page: Page, label: string) => jobberCard(page).locator('dl.jc-details > div').filter({ has: page.getByText(label, { exact: true }) }).locator('dd');

describe("the card's updates row, in Chromium", () => {
  it('follows a job closed in Jobber, counts it once through a reopen, and replays failed updates for the owner only', async () => {
    const suffix = uniqueSuffix();
    const owner = await createUser(sql, 'owner');
    const member = await createUser(sql, 'member');
    users.push(owner, member);
    const business = await createBusiness(sql, `E2E Updates ${suffix}`, [[owner, 'owner'], [member, 'member']]);
    businesses.push(business);
    const account = await createSandboxAccount(`E2E Updates Jobber ${suffix}`);
    const connected = await connectThroughSandbox(await signInApi(owner.email), business.id, account.id);
    expect(connected.outcome).toBe('connected');
    await untilConnectionSettled(sql, business.id);
    const job = await newJob(account.id, 'Window washing');

    const page = await freshPage();
    await openDashboard(page, owner.email, business.name);
    const updates = detail(page, 'Updates from Jobber');
    const jobs = detail(page, 'Jobs done (30 days)');
    await visible(jobs.getByText('0', { exact: true }));

    // Close the job in Jobber; the card reads the status on its own and moves.
    const closedAt = Date.now();
    await work.close(job.id);
    await jobs.getByText(/^1 \(last/).waitFor({ timeout: 10_000 });
    console.log(`job closed in the sandbox -> the card's jobs count moved in ${Date.now() - closedAt} ms`);
    await visible(updates.getByText('Receiving updates'));
    expect(await updates.textContent()).toMatch(/^● Receiving updates \(last (just now|\d+ seconds? ago)\)/);
    await screenshot(page, 'card-updates-received.png');
    await expectNoAxeViolations(page, 'dashboard, card receiving updates');

    await work.reopen(job.id);
    await work.close(job.id);
    await until(async () => (await work.events()).filter((e) => e.itemId === job.id && e.state === 'pending').length, (n) => n === 0, 'the deliveries');
    await until(async () => (await sql<{ n: number }[]>`
      select count(*)::int as n from private.jobber_webhook_events where business_id = ${business.id} and state in ('pending', 'processing')`)[0]!.n,
      (n) => n === 0, 'the worker catching up');
    expect((await completions(sql, business.id)).map((c) => c.kind)).toEqual(['job_closed']);
    await page.waitForTimeout(1_500); // a couple of the card's polls
    expect(await jobs.textContent()).toMatch(/^1 \(last/);

    // Two updates that failed for good (as after 8 tries while Jobber was down).
    await sql`
      insert into private.jobber_webhook_events (account_id, topic, item_id, occurred_at, business_id, state, attempts, last_error, processed_at)
      values (${account.id}, 'JOB_UPDATE', ${job.id}, now() - interval '1 hour', ${business.id}, 'failed', 8, 'Jobber could not be reached.', now()),
             (${account.id}, 'CLIENT_UPDATE', ${job.clientId}, now() - interval '1 hour', ${business.id}, 'failed', 8, 'Jobber could not be reached.', now())`;
    await visible(updates.getByText('2 updates failed'));

    const memberPage = await freshPage();
    await openDashboard(memberPage, member.email, business.name);
    const memberUpdates = detail(memberPage, 'Updates from Jobber');
    await visible(memberUpdates.getByText('2 updates failed'));
    expect(await memberUpdates.getByRole('button').count()).toBe(0);
    await visible(memberUpdates.getByText('Ask an owner or admin to replay them.', { exact: false }));
    await expectNoAxeViolations(memberPage, 'dashboard, member view with failed updates');

    const replay = updates.getByRole('button', { name: 'Replay' });
    await visible(replay);
    await screenshot(page, 'card-updates-failed.png');
    await expectNoAxeViolations(page, 'dashboard, card with failed updates and Replay');
    await replay.click();
    await updates.getByText('Receiving updates').waitFor({ timeout: 15_000 });
    await replay.waitFor({ state: 'detached' });
    const events = await sql<{ state: string }[]>`
      select state from private.jobber_webhook_events where business_id = ${business.id} and attempts = 0 and topic in ('JOB_UPDATE', 'CLIENT_UPDATE')
        and occurred_at < now() - interval '30 minutes'`;
    expect(events.map((e) => e.state).filter((s) => s === 'failed')).toEqual([]);
    expect((await completions(sql, business.id)).map((c) => c.kind)).toEqual(['job_closed']);
  });
});
