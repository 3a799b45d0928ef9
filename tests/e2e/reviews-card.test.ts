// The reviews card in Chromium against the stack: settings saved (and refused in words first), held
// requests approved and skipped, "Ask recent customers" previewed then confirmed, manual opt-outs
// added and removed, the chart's data table, a decision landing without a reload, a member's
// read-only view, and the whole card on a 375-pixel-wide phone. Every state is scanned with axe
// (zero violations). Jobs and completions are written to the database as the Jobber webhook
// worker would; the decision trigger decides them. Nothing is sent: pg_cron is off in test runs.
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  createBusiness,
  createUser,
  dropFixtures,
  openDashboard,
  screenshot,
  uniqueSuffix,
  useBrowser,
  visible,
  type TestBusiness,
  type TestUser,
} from '../support/browser';
import { expectNoAxeViolations, scans } from '../support/axe';
import { insertConnection } from '../support/jobber_fixtures';
import { adminSql } from '../support/stack';

const sql = adminSql();
const businesses: TestBusiness[] = [];
const users: TestUser[] = [];

const browsers = useBrowser({
  async afterAll() {
    console.log(`reviews card axe: ${scans.length} scans, 0 violations: ${scans.map((s) => s.label).join('; ')}`);
    await dropFixtures(sql, businesses, users).catch(() => {});
    await sql.end();
  },
});
const freshPage = (viewport?: { width: number; height: number }): Promise<Page> => browsers.page(viewport);

interface ReviewBusiness {
  owner: TestUser;
  member: TestUser;
  business: TestBusiness;
}

/**
 * A business connected to Jobber (tokens far from expiry) with review requests on: first messages
 * due an hour after a job is done, so nothing falls due (or is sent) while a test looks at the card.
 */
async function reviewBusiness(settings: { requireApproval?: boolean } = {}): Promise<ReviewBusiness> {
  const owner = await createUser(sql, 'reviews-owner');
  const member = await createUser(sql, 'reviews-member');
  users.push(owner, member);
  const business = await createBusiness(sql, `Reviews Card Co ${uniqueSuffix()}`, [[owner, 'owner'], [member, 'member']]);
  businesses.push(business);
  await insertConnection(sql, business.id, {
    accountName: 'Reviews Jobber Account',
    accessToken: 'made-up-access',
    refreshToken: 'made-up-refresh',
    expiresAt: new Date(Date.now() + 6 * 3600_000),
  });
  await sql`
    update public.review_settings set enabled = true, delay_minutes = 60, review_url = 'https://example.com/reviews/card',
      require_approval = ${settings.requireApproval ?? false}, send_window_start = '00:00', send_window_end = '23:59'
    where business_id = ${business.id}`;
  return { owner, member, business };
}

/** A customer with a job, completed now (or `daysAgo` days ago) from the given source. */
async function completedJob(businessId: string, name: string, phone: string, options: { source?: string; daysAgo?: number; title?: string } = {}) {
  const [customer] = await sql<{ id: string }[]>`
    insert into public.customers (business_id, source, external_id, full_name, phone, email)
    values (${businessId}, 'jobber', ${`client-${uniqueSuffix()}`}, ${name}, ${phone}, null) returning id`;
  const [job] = await sql<{ id: string }[]>`
    insert into public.jobs (business_id, external_id, customer_id, title, job_number, total, job_status)
    values (${businessId}, ${`job-${uniqueSuffix()}`}, ${customer!.id}, ${options.title ?? 'Deep clean'}, 42, 180, 'requires_invoicing')
    returning id`;
  await sql`
    insert into public.job_completions (business_id, job_id, customer_id, kind, completed_at, source)
    values (${businessId}, ${job!.id}, ${customer!.id}, 'job_closed', now() - make_interval(days => ${options.daysAgo ?? 0}),
            ${options.source ?? 'webhook'})`;
  return { customerId: customer!.id, jobId: job!.id };
}

function reviewsCard(page: Page): Locator {
  return page.getByRole('region', { name: 'Review requests' });
}

async function openTab(page: Page, name: string | RegExp): Promise<void> {
  await reviewsCard(page).getByRole('tab', { name }).click();
}

describe('the reviews card, in Chromium', () => {
  it('saves settings after explaining what is wrong, with a live preview of the text and the email', async () => {
    const { owner, business } = await reviewBusiness();
    const page = await freshPage();
    await openDashboard(page, owner.email, business.name);
    const card = reviewsCard(page);
    await visible(card.getByText('Asking customers for reviews'));
    await visible(card.getByText('Texts: set up'));
    await expectNoAxeViolations(page, 'reviews card, on, no jobs yet');

    await openTab(page, 'Settings');
    const sms = card.getByLabel('Text message');
    await visible(sms);
    // The preview is the sender's rendering: the STOP footer and the real link base.
    await expect.poll(() => card.getByTestId('sms-preview').textContent()).toMatch(/\/functions\/v1\/review-link\?t=\w{22}\nReply STOP to opt out$/);
    await expectNoAxeViolations(page, 'reviews card, settings');
    await screenshot(page, 'reviews-settings.png');

    await sms.fill('Hi {first_name}, please review {business_name}!');
    await card.getByLabel('Send from').fill('22:00');
    await card.getByLabel('Until').fill('08:00');
    await card.getByLabel('Your review page').fill('http://example.com/reviews');
    await card.getByRole('button', { name: 'Save settings' }).click();
    const summary = card.getByRole('alert').filter({ hasText: 'things to fix before saving' });
    await visible(summary);
    await expect.poll(() => summary.textContent()).toContain('3 things to fix before saving:');
    expect(await summary.evaluate((el) => el === document.activeElement)).toBe(true);
    await expect.poll(() => sms.getAttribute('aria-invalid')).toBe('true');
    await expectNoAxeViolations(page, 'reviews card, settings with problems');
    await screenshot(page, 'reviews-settings-problems.png');
    const [unchanged] = await sql<{ sms_template: string }[]>`select sms_template from public.review_settings where business_id = ${business.id}`;
    expect(unchanged!.sms_template).not.toContain('please review');

    await sms.fill('Hi {first_name}, please review {business_name}: {link}');
    await card.getByLabel('Send from').fill('09:00');
    await card.getByLabel('Until').fill('20:00');
    await card.getByLabel('Your review page').fill('https://example.com/reviews/new');
    await card.getByLabel('Sender name').fill('Sparkle & Shine');
    await expect.poll(() => card.getByTestId('sms-preview').textContent()).toMatch(/^Hi Jane, please review Sparkle & Shine: http/);
    await card.getByRole('button', { name: 'Save settings' }).click();
    await visible(card.getByText('Settings saved.'));
    const [saved] = await sql<{ sms_template: string; send_window_start: string; review_url: string; sender_name: string }[]>`
      select sms_template, send_window_start::text, review_url, sender_name from public.review_settings where business_id = ${business.id}`;
    expect(saved).toEqual({
      sms_template: 'Hi {first_name}, please review {business_name}: {link}',
      send_window_start: '09:00:00',
      review_url: 'https://example.com/reviews/new',
      sender_name: 'Sparkle & Shine',
    });
    await visible(card.getByText('No unsaved changes.'));
  });

  it('approves one held request and skips another; the queue empties', async () => {
    const { owner, business } = await reviewBusiness({ requireApproval: true });
    await completedJob(business.id, 'Kim Lee', '+12125550161');
    await completedJob(business.id, 'Omar Diaz', '+12125550162');
    const page = await freshPage();
    await openDashboard(page, owner.email, business.name);
    const card = reviewsCard(page);
    await visible(card.getByText('2 requests are waiting for your approval'));
    await expectNoAxeViolations(page, 'reviews card, requests waiting for approval');
    await screenshot(page, 'reviews-held.png');

    await card.getByRole('button', { name: 'Approve the request to Kim Lee' }).click();
    await visible(card.getByText(/^Approved: the text to Kim Lee goes out at/));
    await card.getByRole('button', { name: 'Skip the request to Omar Diaz' }).click();
    await visible(card.getByText('Skipped: Omar Diaz will not be asked for this job.'));
    await visible(card.getByText('Asking customers for reviews'));
    const states = await sql<{ full_name: string; state: string; cancel_reason: string | null }[]>`
      select c.full_name, r.state, r.cancel_reason from public.review_requests r join public.customers c on c.id = r.customer_id
      where r.business_id = ${business.id} order by c.full_name`;
    expect(states).toEqual([
      { full_name: 'Kim Lee', state: 'scheduled', cancel_reason: null },
      { full_name: 'Omar Diaz', state: 'cancelled', cancel_reason: 'skipped' },
    ]);
    const list = card.getByRole('list', { name: 'Recent jobs' });
    await visible(list.getByText('Cancelled: skipped by an owner or admin', { exact: true }));
    await visible(list.getByText(/^Asking by text at /));
    await expectNoAxeViolations(page, 'reviews card, after approve and skip');
  });

  it('previews "Ask recent customers" (nothing written), then confirms and schedules them', async () => {
    const { owner, business } = await reviewBusiness();
    // A sending window that excludes this moment (New York time, the business's zone), so the asked
    // messages are timed for later and the sender has nothing due while the test looks.
    await sql`
      update public.review_settings s set
        send_window_start = case when x.lt < time '20:00' then x.lt + interval '2 hours' else time '01:00' end,
        send_window_end = case when x.lt < time '20:00' then x.lt + interval '3 hours' else time '02:00' end
      from (select (now() at time zone 'America/New_York')::time(0) as lt) x
      where s.business_id = ${business.id}`;
    await completedJob(business.id, 'Ava Stone', '+12125550171', { source: 'backfill', daysAgo: 5 });
    await completedJob(business.id, 'Ben Stone', '+12125550171', { source: 'backfill', daysAgo: 4 });
    await completedJob(business.id, 'Cleo Park', '+12125550173', { source: 'backfill', daysAgo: 3 });
    const page = await freshPage();
    await openDashboard(page, owner.email, business.name);
    const card = reviewsCard(page);
    await visible(card.getByRole('list', { name: 'Recent jobs' }).getByText(/^Not asked: imported from before Blipp was connected/).first());
    await openTab(page, 'Ask recent');
    await card.getByRole('button', { name: 'Preview' }).click();
    await visible(card.getByText('2 customers would be asked, of 3 imported jobs from the last 30 days.'));
    await visible(card.getByText('1 customer shares a phone or email with someone asked recently'));
    await visible(card.getByText('Nothing has been sent or scheduled yet.'));
    await expectNoAxeViolations(page, 'reviews card, ask recent preview');
    await screenshot(page, 'reviews-ask-recent.png');
    const [before] = await sql<{ n: number }[]>`select count(*)::int as n from public.review_requests where business_id = ${business.id}`;
    expect(before!.n).toBe(0);

    await card.getByRole('button', { name: 'Ask 2 customers' }).click();
    await visible(card.getByText('2 customers are being asked.'));
    await expectNoAxeViolations(page, 'reviews card, ask recent confirmed');
    const asked = await sql<{ origin: string; state: string }[]>`
      select origin, state from public.review_requests where business_id = ${business.id}`;
    expect(asked).toEqual([{ origin: 'ask_recent', state: 'scheduled' }, { origin: 'ask_recent', state: 'scheduled' }]);
    await openTab(page, 'Activity');
    await visible(card.getByText(/\(asked as a recent customer\)$/).first());
  });

  it('adds a manual opt-out in E.164 and removes it; a STOP cannot be removed', async () => {
    const { owner, business } = await reviewBusiness();
    await sql`insert into public.contact_opt_outs (business_id, channel, address, source) values (${business.id}, 'sms', '+12125550100', 'sms_stop')`;
    const page = await freshPage();
    await openDashboard(page, owner.email, business.name);
    const card = reviewsCard(page);
    await openTab(page, 'Opt-outs');
    await visible(card.getByText('+12125550100'));
    await card.getByLabel('Phone number').fill('555-01');
    await card.getByRole('button', { name: 'Add opt-out' }).click();
    await visible(card.getByText(/^That does not look like a phone number/));
    await expectNoAxeViolations(page, 'reviews card, opt-out refused');
    await card.getByLabel('Phone number').fill('(212) 555-0143');
    await card.getByRole('button', { name: 'Add opt-out' }).click();
    await visible(card.getByText('+12125550143 will get no more review texts.'));
    const rows = await sql<{ address: string; source: string; created_by: string }[]>`
      select address, source, created_by from public.contact_opt_outs where business_id = ${business.id} order by address`;
    expect(rows).toEqual([
      { address: '+12125550100', source: 'sms_stop', created_by: null },
      { address: '+12125550143', source: 'manual', created_by: owner.id },
    ]);
    const list = card.getByRole('list', { name: 'Opted-out addresses' });
    await expect.poll(() => list.getByRole('button').count()).toBe(1);
    await expectNoAxeViolations(page, 'reviews card, opt-outs');
    await list.getByRole('button', { name: 'Remove +12125550143 from the opt-outs' }).click();
    await visible(card.getByText('+12125550143 was removed from the opt-out list.'));
    const [left] = await sql<{ n: number }[]>`select count(*)::int as n from public.contact_opt_outs where business_id = ${business.id}`;
    expect(left!.n).toBe(1);
  });

  it('charts what was sent, delivered and clicked, with the numbers in a table; a new decision appears without a reload', async () => {
    const { owner, business } = await reviewBusiness();
    await completedJob(business.id, 'Dana Whitfield', '+12125550181');
    const [message] = await sql<{ id: string; request_id: string }[]>`
      select m.id, m.request_id from public.review_messages m where m.business_id = ${business.id} and m.step = 0`;
    await sql`select private.review_message_advance(${message!.id}, 'sending')`;
    await sql`select private.review_message_advance(${message!.id}, 'queued', now(), null, null, 'twilio', ${`SM${uniqueSuffix()}`})`;
    await sql`select private.review_message_advance(${message!.id}, 'sent')`;
    await sql`select private.review_message_advance(${message!.id}, 'delivered')`;
    await sql`update public.review_requests set clicked_at = now(), click_count = 1, state = 'clicked' where id = ${message!.request_id}`;
    await sql`insert into public.review_replies (business_id, customer_id, message_id, channel, from_address, body, provider_message_id)
              select ${business.id}, r.customer_id, ${message!.id}, 'sms', '+12125550181', 'Left you 5 stars!', ${`SMreply${uniqueSuffix()}`}
              from public.review_requests r where r.id = ${message!.request_id}`;
    const page = await freshPage();
    await openDashboard(page, owner.email, business.name);
    const card = reviewsCard(page);
    await visible(card.getByRole('img', { name: 'Review requests over the last 30 days: 1 sent, 1 delivered, 1 clicked.' }));
    await visible(card.getByText(/^Asked by text at .*, delivered, clicked$/));
    await visible(card.getByText('Left you 5 stars!'));
    await card.getByText('Show the numbers as a table').click();
    const table = card.getByRole('table', { name: 'Review requests per day, last 30 days' });
    await visible(table);
    expect(await table.getByRole('row').count()).toBe(32);
    expect(await table.getByRole('row').nth(30).getByRole('cell').allTextContents()).toEqual(['1', '1', '1']);
    expect(await table.getByRole('row').last().textContent()).toBe('Total111');
    await expectNoAxeViolations(page, 'reviews card, chart with its table open');
    await screenshot(page, 'reviews-activity.png');

    // A job completed while the card is open shows up by itself.
    await completedJob(business.id, 'Luis Romero', '+12125550182', { title: 'Window wash' });
    await visible(card.getByRole('list', { name: 'Recent jobs' }).getByText('Luis Romero'), 15_000);
    await visible(card.getByText(/^New: Luis Romero, Job #42 · Window wash: Asking by text at/));
  });

  it('shows a member everything read-only', async () => {
    const { member, business } = await reviewBusiness({ requireApproval: true });
    await completedJob(business.id, 'Kim Lee', '+12125550191');
    const page = await freshPage();
    await openDashboard(page, member.email, business.name);
    const card = reviewsCard(page);
    await visible(card.getByText('1 request is waiting for an owner’s or admin’s approval'));
    expect(await card.getByRole('button', { name: /^Approve/ }).count()).toBe(0);
    expect(await card.getByRole('tab', { name: 'Ask recent' }).count()).toBe(0);
    await expectNoAxeViolations(page, 'reviews card, member view');
    await openTab(page, 'Settings');
    await visible(card.getByText('Only owners and admins can change these settings.'));
    expect(await card.getByLabel('Text message').isDisabled()).toBe(true);
    expect(await card.getByRole('button', { name: 'Save settings' }).count()).toBe(0);
    await expectNoAxeViolations(page, 'reviews card, member settings');
  });

  it('fits a 375-pixel-wide phone on every tab, with no sideways scrolling', async () => {
    const { owner, business } = await reviewBusiness({ requireApproval: true });
    await completedJob(business.id, 'Maximiliana-Josephine Featherstonehaugh', '+12125550199', { title: 'Move-out deep clean of a three-bedroom apartment' });
    const page = await freshPage({ width: 375, height: 812 });
    await openDashboard(page, owner.email, business.name);
    const card = reviewsCard(page);
    await visible(card.getByText('1 request is waiting for your approval'));
    const width = () => page.evaluate(() => document.documentElement.scrollWidth);
    for (const tab of ['Activity (1 waiting)', 'Ask recent', 'Opt-outs', 'Settings']) {
      await openTab(page, tab);
      expect(await width(), `the ${tab} tab is wider than the phone`).toBeLessThanOrEqual(375);
      await expectNoAxeViolations(page, `reviews card at 375 px, ${tab}`);
    }
    await screenshot(page, 'reviews-phone-settings.png');
    await openTab(page, 'Activity (1 waiting)');
    await card.getByText('Show the numbers as a table').click();
    expect(await width()).toBeLessThanOrEqual(375);
    await screenshot(page, 'reviews-phone-activity.png');
    // Keyboard: the tab list is one stop, arrows move between tabs, focus is visible.
    await card.getByRole('tab', { name: 'Activity (1 waiting)' }).focus();
    await page.keyboard.press('ArrowRight');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      return { text: el.textContent, outline: getComputedStyle(el).outlineStyle };
    });
    expect(focused).toEqual({ text: 'Ask recent', outline: 'solid' });
  });
});
