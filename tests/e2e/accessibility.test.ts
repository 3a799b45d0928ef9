// Every page and every card state, as a person sees them in Chromium, scanned with axe (contrast,
// names, labels, landmarks): zero violations. Also what axe cannot judge alone: the primary buttons
// outside the card are really painted (the invisible "Sign in"), and keyboard focus shows a ring.
// Card states that take time or faults to reach for real are set up in the database directly, with
// made-up tokens that never meet Jobber (far from expiry, no runnable sync).
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  createBusiness,
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
import { expectNoAxeViolations, scans } from '../support/axe';
import { insertConnection } from '../support/jobber_fixtures';
import { adminSql, DEMO } from '../support/stack';

const sql = adminSql();
const businesses: TestBusiness[] = [];
const users: TestUser[] = [];

const browsers = useBrowser({
  async afterAll() {
    console.log(`axe: ${scans.length} scans, 0 violations: ${scans.map((s) => s.label).join('; ')}`);
    await dropFixtures(sql, businesses, users).catch(() => {});
    await sql.end();
  },
});

async function freshPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browsers.context();
  return { context, page: await context.newPage() };
}

async function business(role: 'owner' | 'member' = 'owner', withMember = false) {
  const owner = await createUser(sql, 'a11y-owner');
  users.push(owner);
  const members: Array<[TestUser, 'owner' | 'member']> = [[owner, 'owner']];
  let member: TestUser | null = null;
  if (withMember || role === 'member') {
    member = await createUser(sql, 'a11y-member');
    users.push(member);
    members.push([member, 'member']);
  }
  const b = await createBusiness(sql, `A11y Windows ${uniqueSuffix()}`, members);
  businesses.push(b);
  return { owner, member, business: b };
}

/** The computed colours of an element, to prove a button is painted rather than white on nothing. */
function colours(page: Page, selector: string) {
  return page.locator(selector).first().evaluate((el) => {
    const style = getComputedStyle(el);
    return { background: style.backgroundColor, color: style.color };
  });
}

describe('accessibility of every page, in Chromium', () => {
  it('the landing page: a visible Sign in button, focus rings, and no axe violations', async () => {
    const { page } = await freshPage();
    await page.goto('/');
    const signIn = page.getByRole('form', { name: 'Sign in' }).getByRole('button', { name: 'Sign in' });
    await visible(signIn);
    expect(await colours(page, 'form[aria-label="Sign in"] button[type="submit"]')).toEqual({
      background: 'rgb(31, 95, 191)',
      color: 'rgb(255, 255, 255)',
    });
    await expectNoAxeViolations(page, 'landing page, signed out');
    await screenshot(page, 'landing.png');
    // The tab shows Blipp's icon, not a 404.
    const icon = await page.locator('link[rel="icon"]').getAttribute('href');
    const served = await page.request.get(icon!);
    expect([served.status(), served.headers()['content-type']]).toEqual([200, 'image/svg+xml']);

    // Keyboard: Email, Password, then Sign in, each with a visible ring.
    await page.getByLabel('Email').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const ring = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const style = getComputedStyle(el);
      return { text: el.textContent, outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}` };
    });
    expect(ring).toEqual({ text: 'Sign in', outline: 'solid 3px rgb(31, 95, 191)' });

    await page.goto('/no-such-page');
    await visible(page.getByRole('heading', { level: 1, name: 'Page not found' }));
    await expectNoAxeViolations(page, 'page not found');
  });

  it('the dashboard: a disconnected card, the connecting state, the Sign out focus ring, and a member view', async () => {
    const { owner, member, business: b } = await business('owner', true);
    const { context, page } = await freshPage();
    await openDashboard(page, owner.email, b.name);
    await visible(jobberCard(page).getByRole('button', { name: 'Connect Jobber' }));
    await expectNoAxeViolations(page, 'dashboard, card disconnected');

    const signOut = page.getByRole('button', { name: 'Sign out' });
    await signOut.focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    expect(await signOut.evaluate((el) => getComputedStyle(el).outlineStyle)).toBe('solid');

    const popupOpened = context.waitForEvent('page');
    await jobberCard(page).getByRole('button', { name: 'Connect Jobber' }).click();
    const popup = await popupOpened;
    await visible(jobberCard(page).getByRole('button', { name: 'Cancel' }));
    await expectNoAxeViolations(page, 'dashboard, card connecting');
    await popup.close();
    await visible(jobberCard(page).getByRole('button', { name: 'Connect Jobber' }));

    const asMember = await freshPage();
    await openDashboard(asMember.page, member!.email, b.name);
    await visible(jobberCard(asMember.page).getByText('Ask an owner or admin of this business to connect Jobber.'));
    await expectNoAxeViolations(asMember.page, 'dashboard, member view');
  });

  it('the card connected, syncing, asking to reconnect, in error, and confirming a disconnect', async () => {
    const { owner, business: b } = await business();
    const account = `acct-a11y-${uniqueSuffix()}`;
    await insertConnection(sql, b.id, {
      accountId: account,
      accountName: 'A11y Jobber Account',
      accessToken: 'made-up-access',
      refreshToken: 'made-up-refresh',
      expiresAt: new Date(Date.now() + 6 * 3600_000),
    });
    // A run that stays "running": held under a worker lease that stays live for hours, so no
    // worker takes it over while the page is looked at.
    const [lease] = await sql<{ owner: string }[]>`select private.worker_lease_take('continue_syncs', 3 * 3600 * 1000) as owner`;
    await sql`insert into public.jobber_sync_runs (business_id, kind, trigger, state, processed, total, created, started_at, lease_owner)
              values (${b.id}, 'full', 'connect', 'running', 40, 120, 40, now(), ${lease!.owner})`;
    await sql`insert into public.customers (business_id, source, full_name) values (${b.id}, 'manual', 'Typed In')`;
    const { page } = await freshPage();
    await openDashboard(page, owner.email, b.name);
    const card = jobberCard(page);
    await visible(card.getByRole('progressbar', { name: 'Customer sync progress' }));
    await expectNoAxeViolations(page, 'dashboard, card syncing');

    await sql`update public.jobber_sync_runs set state = 'succeeded', finished_at = now(), lease_owner = null,
                processed = 120, created = 118, updated = 2 where business_id = ${b.id}`;
    await sql`select private.worker_lease_end(${lease!.owner})`;
    await sql`update public.integrations_jobber set last_customer_sync_at = now() where business_id = ${b.id}`;
    await page.reload();
    await visible(card.getByText('Last sync: 118 new customers, 2 updated'));
    await visible(card.getByText(/Connected to Jobber$/));
    await expectNoAxeViolations(page, 'dashboard, card connected');

    await card.getByRole('button', { name: 'Disconnect' }).click();
    await visible(card.getByRole('alertdialog', { name: 'Disconnect Jobber?' }));
    await expectNoAxeViolations(page, 'dashboard, confirming a disconnect');
    await card.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();

    await sql`update public.integrations_jobber set connection_status = 'error', needs_reconnect = true,
                error_message = 'Jobber no longer accepts this connection''s refresh token. Reconnect Jobber to resume syncing.'
              where business_id = ${b.id}`;
    await page.reload();
    await visible(card.getByRole('button', { name: 'Reconnect Jobber' }));
    await expectNoAxeViolations(page, 'dashboard, card needs reconnecting');

    await sql`update public.integrations_jobber set needs_reconnect = false,
                error_message = 'Jobber rejected this app''s credentials while refreshing the token.'
              where business_id = ${b.id}`;
    await page.reload();
    await visible(card.getByRole('button', { name: 'Try again' }));
    await expectNoAxeViolations(page, 'dashboard, card in error');
  });

  it('the callback page in each of its states, and the claim page before sign-in and with a damaged link', async () => {
    const { page } = await freshPage();
    const ticket = 'a'.repeat(43);
    await page.goto(`/jobber/callback?result=confirm&ticket=${ticket}`);
    await visible(page.getByRole('form', { name: 'Sign in' }));
    await expectNoAxeViolations(page, 'callback page, signed out');

    for (const [search, label] of [
      ['?result=error&code=access_denied', 'callback page, access denied'],
      ['?result=error&code=rate_limited', 'callback page, rate limited'],
      ['?result=already_connected', 'callback page, already connected'],
    ] as const) {
      await page.goto(`/jobber/callback${search}`);
      await visible(page.getByRole('link', { name: 'Back to Blipp' }));
      await expectNoAxeViolations(page, label);
    }

    await page.goto(`/jobber/claim?claim=${'c'.repeat(43)}`);
    await visible(page.getByRole('form', { name: 'Sign in' }));
    await expectNoAxeViolations(page, 'claim page, signed out');
    await page.goto('/jobber/claim?claim=damaged!');
    await visible(page.getByRole('alert').getByText(/incomplete or damaged/));
    await expectNoAxeViolations(page, 'claim page, damaged link');
  });

  it('the demo owner with the sandbox tip, and an expired claim', async () => {
    const { page } = await freshPage();
    await openDashboard(page, DEMO.owner.email, 'Brightside Cleaning');
    await visible(page.getByRole('link', { name: 'Jobber sandbox' }));
    await expectNoAxeViolations(page, 'dashboard, demo owner with the sandbox tip');

    await page.goto(`/jobber/claim?claim=${'e'.repeat(43)}`);
    await visible(page.getByRole('alert').getByText(/expired or was already used/));
    await expectNoAxeViolations(page, 'claim page, expired link');
  });
});
