// The dashboard's Jobber card in a real browser: Debian's Chromium through the demo page, the Jobber
// sandbox's consent page, jobber-callback and the dashboard's callback page (which finishes the
// connection through jobber-complete, SPEC §12) and claim page. Each test makes its own user,
// business and sandbox account (one Jobber account can only ever belong to one business); one smoke
// test walks the README's demo path with the seeded owner. Pages are scanned with axe as they go.
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  answerConsent,
  connectionRow,
  createBusiness,
  createSandboxAccount,
  createUser,
  customerCount,
  dropFixtures,
  jobberCard,
  openDashboard,
  screenshot,
  signIn,
  uniqueSuffix,
  useBrowser,
  visible,
  type SandboxAccount,
  type TestBusiness,
  type TestUser,
} from '../support/browser';
import { expectNoAxeViolations } from '../support/axe';
import { sandbox as sandboxApi } from '../support/jobber_oauth';
import { adminSql, DEMO, stack } from '../support/stack';

const sql = adminSql();
const businesses: TestBusiness[] = [];
const users: TestUser[] = [];

const browsers = useBrowser({
  async afterAll() {
    await dropFixtures(sql, businesses, users).catch(() => {});
    await sql.end();
  },
});

async function freshPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browsers.context();
  return { context, page: await context.newPage() };
}

/** An owner (and optionally a member) of a new business, plus a fresh Jobber account in the sandbox. */
async function ownerWithBusiness(opts: { member?: boolean; clients?: number } = {}) {
  const suffix = uniqueSuffix();
  const owner = await createUser(sql, 'owner');
  users.push(owner);
  const members: Array<[TestUser, 'owner' | 'member']> = [[owner, 'owner']];
  let member: TestUser | null = null;
  if (opts.member) {
    member = await createUser(sql, 'member');
    users.push(member);
    members.push([member, 'member']);
  }
  const business = await createBusiness(sql, `E2E Cleaning ${suffix}`, members);
  businesses.push(business);
  const account = await createSandboxAccount(`E2E Jobber Account ${suffix}`, opts.clients ?? 0);
  return { owner, member, business, account };
}

async function connectedStatus(businessId: string): Promise<string | null> {
  return (await connectionRow(sql, businessId))?.connection_status ?? null;
}

/**
 * Clicks "Connect Jobber" (or `button`), answers the consent page in the popup and waits for the
 * popup to close: the callback page in it finishes the connection and reports to this window.
 */
async function connectInPopup(
  context: BrowserContext,
  page: Page,
  account: SandboxAccount,
  decision: 'Allow access' | 'Deny',
  button = 'Connect Jobber',
) {
  const card = jobberCard(page);
  const popupOpened = context.waitForEvent('page');
  await card.getByRole('button', { name: button }).click();
  const popup = await popupOpened;
  await visible(card.getByRole('paragraph').filter({ hasText: 'Waiting for Jobber…' }));
  await visible(card.getByRole('button', { name: 'Cancel' }));
  await popup.waitForURL((url) => url.href.startsWith(stack.sandboxUrl));
  const closed = popup.waitForEvent('close');
  await answerConsent(popup, account.name, decision);
  // The callback page posts to this window and closes itself.
  await closed;
}

/** The card as it looks once connected: the account as its heading and the "Connected" banner. */
async function expectConnectedCard(page: Page, account: SandboxAccount) {
  const card = jobberCard(page);
  await visible(card.getByRole('heading', { level: 3, name: account.name, exact: true }));
  await visible(card.getByText(/Connected to Jobber$/));
}

describe('the Blipp dashboard with the Jobber card, in Chromium', () => {
  it('signs the demo owner in and shows their business name and its customer count', async () => {
    const { page } = await freshPage();
    await page.goto('/');
    await visible(page.getByRole('heading', { level: 1, name: 'Blipp dashboard' }));
    await signIn(page, DEMO.owner.email);
    await visible(page.getByRole('heading', { level: 2, name: 'Brightside Cleaning', exact: true }));
    // The owner has one business: no picker.
    expect(await page.getByLabel('Business').count()).toBe(0);
    const customers = await customerCount(sql, DEMO.businessA);
    await visible(page.getByText(`Customers: ${customers.toLocaleString('en-US')}`, { exact: true }));
    await visible(jobberCard(page));
    // The stack runs the sandbox, so the page says which sandbox account belongs to this business.
    await visible(page.getByText(/on the Jobber sandbox's page, pick Sparkle Cleaning Co\./));
  });

  it('lets the demo owner connect a Jobber account in a popup and disconnect it again (the README path)', async () => {
    const account = await createSandboxAccount(`Demo Smoke Jobber ${uniqueSuffix()}`);
    const { context, page } = await freshPage();
    await openDashboard(page, DEMO.owner.email, 'Brightside Cleaning');
    const card = jobberCard(page);
    await visible(card.getByRole('button', { name: 'Connect Jobber' }));

    await connectInPopup(context, page, account, 'Allow access');
    await expectConnectedCard(page, account);
    expect(await connectedStatus(DEMO.businessA)).toBe('connected');

    await card.getByRole('button', { name: 'Disconnect' }).click();
    await card.getByRole('alertdialog', { name: 'Disconnect Jobber?' }).getByRole('button', { name: 'Disconnect' }).click();
    await visible(card.getByRole('button', { name: 'Connect Jobber' }));
    await expect.poll(() => connectedStatus(DEMO.businessA)).toBe('disconnected');
  });

  it('connects Jobber in a popup: the card shows the account name and "Connected to Jobber"', async () => {
    const { owner, business, account } = await ownerWithBusiness();
    const { context, page } = await freshPage();
    await openDashboard(page, owner.email, business.name);
    const card = jobberCard(page);
    await visible(card.getByRole('heading', { level: 3, name: 'Jobber', exact: true }));

    await connectInPopup(context, page, account, 'Allow access');

    await expectConnectedCard(page, account);
    await visible(card.getByRole('button', { name: 'Sync Customers' }));
    await visible(card.getByRole('button', { name: 'Disconnect' }));
    expect(context.pages()).toHaveLength(1);
    expect(await connectionRow(sql, business.id)).toEqual({
      connection_status: 'connected',
      account_id: account.id,
      account_name: account.name,
    });
    await screenshot(card, 'connected-card.png');
  });

  it('shows "Jobber access was not granted." when the owner denies access, and "Try again" goes back to Jobber', async () => {
    const { owner, business, account } = await ownerWithBusiness();
    const { context, page } = await freshPage();
    await openDashboard(page, owner.email, business.name);

    await connectInPopup(context, page, account, 'Deny');

    const card = jobberCard(page);
    await visible(card.getByRole('alert').getByText(/Jobber access was not granted\.$/));
    await visible(card.getByRole('button', { name: 'Try again' }));
    expect(await card.getByText(/Connected to Jobber$/).count()).toBe(0);
    expect(await connectedStatus(business.id)).not.toBe('connected');
    await expectNoAxeViolations(page, 'dashboard, card after a denied consent');

    // "Try again" reopens Jobber's consent page; allowing this time connects.
    await connectInPopup(context, page, account, 'Allow access', 'Try again');
    await expectConnectedCard(page, account);
    expect(await connectedStatus(business.id)).toBe('connected');
  });

  it('falls back to this tab when the popup is blocked, and the callback page links back to a connected card', async () => {
    const { owner, business, account } = await ownerWithBusiness();
    const { context, page } = await freshPage();
    await page.addInitScript(() => {
      window.open = () => null;
    });
    await openDashboard(page, owner.email, business.name);

    await jobberCard(page).getByRole('button', { name: 'Connect Jobber' }).click();
    await page.waitForURL((url) => url.href.startsWith(stack.sandboxUrl));
    expect(context.pages()).toHaveLength(1);
    await answerConsent(page, account.name, 'Allow access');

    await page.waitForURL((url) => url.origin === stack.appOrigin && url.pathname === '/jobber/callback');
    await visible(page.getByRole('status').getByText(`Connected to ${account.name}`, { exact: true }));
    await expectNoAxeViolations(page, 'callback page, connected');
    await screenshot(page, 'callback-connected.png');
    await page.getByRole('link', { name: 'Back to Blipp' }).click();

    await page.waitForURL((url) => url.pathname === '/');
    await visible(page.getByRole('heading', { level: 2, name: business.name, exact: true }));
    await expectConnectedCard(page, account);
    expect(await connectedStatus(business.id)).toBe('connected');
  });

  it('disconnects after the owner confirms: the card offers "Connect Jobber" again and the customers stay', async () => {
    const { owner, business, account } = await ownerWithBusiness({ clients: 3 });
    await sql`insert into public.customers (business_id, source, full_name, email)
      values (${business.id}, 'manual', 'Ada Lovelace', 'ada@example.com'), (${business.id}, 'manual', 'Grace Hopper', null)`;
    const { context, page } = await freshPage();
    await openDashboard(page, owner.email, business.name);
    await visible(page.getByText('Customers: 2', { exact: true }));
    await connectInPopup(context, page, account, 'Allow access');
    await expectConnectedCard(page, account);
    const card = jobberCard(page);
    // The initial sync brings the account's three clients in as customers.
    await visible(page.getByText('Customers: 5', { exact: true }), 60_000);
    await visible(card.getByText('Last sync: 3 new customers'));
    await visible(page.getByText('3 came from Jobber and 2 were added in Blipp; a Jobber sync never changes the ones added in Blipp.'));
    await screenshot(page, 'dashboard-connected.png');

    // Cancel keeps the connection.
    await card.getByRole('button', { name: 'Disconnect' }).click();
    const dialog = card.getByRole('alertdialog', { name: 'Disconnect Jobber?' });
    await visible(dialog);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await connectedStatus(business.id)).toBe('connected');

    await card.getByRole('button', { name: 'Disconnect' }).click();
    await visible(dialog);
    await dialog.getByRole('button', { name: 'Disconnect' }).click();

    await visible(card.getByRole('button', { name: 'Connect Jobber' }));
    await visible(card.getByRole('heading', { level: 3, name: 'Jobber', exact: true }));
    await visible(card.getByText('Customers imported earlier stay in Blipp.'));
    await expect.poll(() => connectedStatus(business.id)).toBe('disconnected');
    expect(await customerCount(sql, business.id)).toBe(5);
    await page.reload();
    await visible(page.getByText('Customers: 5', { exact: true }));
  });

  it('finishes a Jobber Marketplace install on the claim screen after the owner signs in', async () => {
    const { owner, business, account } = await ownerWithBusiness();
    const { page } = await freshPage();

    // Started from Jobber, not from Blipp: no state, no Blipp session in this browser.
    await page.goto(stack.sandboxUrl);
    await page.getByRole('region', { name: account.name, exact: true })
      .getByRole('button', { name: `Install from Marketplace: ${account.name}` })
      .click();
    await answerConsent(page, account.name, 'Allow access');

    await page.waitForURL((url) => url.origin === stack.appOrigin && url.pathname === '/jobber/claim' && url.searchParams.has('claim'));
    await visible(page.getByRole('heading', { level: 1, name: 'Connect your Jobber account' }));
    expect(await connectionRow(sql, business.id)).toBeNull();
    await expectNoAxeViolations(page, 'claim page, signed out');

    await signIn(page, owner.email);
    // Before anything is attached: which Jobber account, when it was installed, and a warning.
    const install = page.getByRole('region', { name: 'This link connects a Jobber account' });
    await visible(install.getByText(account.name, { exact: true }));
    await visible(install.getByText('just now'));
    await visible(install.getByText(/Continue only if you just installed Blipp from Jobber yourself/));
    await expectNoAxeViolations(page, 'claim page, install described');
    await screenshot(page, 'claim-page.png');
    expect(await connectionRow(sql, business.id)).toBeNull();
    await page.getByRole('button', { name: `Connect this Jobber account to ${business.name}` }).click();
    await visible(page.getByRole('status').getByText(`Connected ${account.name} to ${business.name}.`, { exact: true }));
    await expectNoAxeViolations(page, 'claim page, connected');
    expect(await connectionRow(sql, business.id)).toEqual({
      connection_status: 'connected',
      account_id: account.id,
      account_name: account.name,
    });

    await page.getByRole('link', { name: 'Back to Blipp' }).click();
    await visible(page.getByRole('heading', { level: 2, name: business.name, exact: true }));
    await expectConnectedCard(page, account);
  });

  it("never connects the Jobber account of someone who approves another user's consent link (SPEC §12)", async () => {
    const mallory = await ownerWithBusiness();
    const victor = await ownerWithBusiness();
    // Mallory clicks Connect and, instead of finishing, sends the consent page's address to Victor.
    const asMallory = await freshPage();
    await openDashboard(asMallory.page, mallory.owner.email, mallory.business.name);
    const popupOpened = asMallory.context.waitForEvent('page');
    await jobberCard(asMallory.page).getByRole('button', { name: 'Connect Jobber' }).click();
    const popup = await popupOpened;
    await popup.waitForURL((url) => url.href.startsWith(stack.sandboxUrl));
    const consentLink = popup.url();
    await popup.close();

    // Victor opens it in his own browser and approves his own Jobber account.
    const before = await sandboxApi.counters();
    const asVictor = await freshPage();
    await asVictor.page.goto(consentLink);
    await answerConsent(asVictor.page, victor.account.name, 'Allow access');
    await asVictor.page.waitForURL((url) => url.origin === stack.appOrigin && url.pathname === '/jobber/callback');
    await visible(asVictor.page.getByText('sign in as the person who clicked Connect Jobber in Blipp'));
    await expectNoAxeViolations(asVictor.page, 'callback page, signed out, waiting for the person who started');
    await screenshot(asVictor.page, 'callback-sign-in.png');
    expect((await sandboxApi.counters()).tokenCalls.authorization_code).toBe(before.tokenCalls.authorization_code);
    expect(await connectionRow(sql, mallory.business.id)).toBeNull();

    // Signed in as himself, Victor is told it was someone else's; nothing is connected anywhere.
    await signIn(asVictor.page, victor.owner.email);
    await visible(asVictor.page.getByRole('alert').getByText(/started by someone else, for a business you are not part of\. Nothing was connected\./));
    await expectNoAxeViolations(asVictor.page, "callback page, someone else's link");
    await screenshot(asVictor.page, 'callback-not-yours.png');
    expect((await sandboxApi.counters()).tokenCalls.authorization_code).toBe(before.tokenCalls.authorization_code);
    expect(await connectionRow(sql, mallory.business.id)).toBeNull();
    expect(await connectionRow(sql, victor.business.id)).toBeNull();
    expect((await sandboxApi.state()).accounts.find((a) => a.id === victor.account.id)?.connected).toBe(false);
  });

  it('shows the owner of another business which Jobber account a forwarded claim link attaches, and attaches nothing by itself', async () => {
    const mallory = await ownerWithBusiness();
    const victor = await ownerWithBusiness();
    const asMallory = await freshPage();
    await asMallory.page.goto(stack.sandboxUrl);
    await asMallory.page.getByRole('region', { name: mallory.account.name, exact: true })
      .getByRole('button', { name: `Install from Marketplace: ${mallory.account.name}` })
      .click();
    await answerConsent(asMallory.page, mallory.account.name, 'Allow access');
    await asMallory.page.waitForURL((url) => url.pathname === '/jobber/claim' && url.searchParams.has('claim'));
    const claimLink = asMallory.page.url();

    const asVictor = await freshPage();
    await asVictor.page.goto(claimLink);
    await signIn(asVictor.page, victor.owner.email);
    const install = asVictor.page.getByRole('region', { name: 'This link connects a Jobber account' });
    await visible(install.getByText(mallory.account.name, { exact: true }));
    await visible(install.getByText(/if someone sent you this link, close this page\./));
    await visible(asVictor.page.getByRole('button', { name: `Connect this Jobber account to ${victor.business.name}` }));
    expect(await connectionRow(sql, victor.business.id)).toBeNull();
    const [pending] = await sql<{ n: number }[]>`
      select count(*)::int as n from private.jobber_pending_installs where account_id = ${mallory.account.id}`;
    expect(pending!.n).toBe(1);
  });

  it("never shows text from the callback page's address, whatever code and message it carries", async () => {
    const { page } = await freshPage();
    const forged = encodeURIComponent('Your Blipp account is suspended. Call 555-0100');
    await page.goto(`/jobber/callback?result=error&code=account_suspended&message=${forged}`);
    await visible(page.getByRole('alert').getByText('Jobber could not be connected. Start again from Blipp.', { exact: true }));
    expect(await page.locator('body').textContent()).not.toMatch(/555-0100|suspended/);
    await expectNoAxeViolations(page, 'callback page, unknown error code');
    await screenshot(page, 'callback-unknown-code.png');

    await page.goto(`/jobber/callback?result=error&code=access_denied&message=${forged}`);
    await visible(page.getByRole('alert').getByText('Jobber access was not granted.', { exact: true }));
    expect(await page.locator('body').textContent()).not.toMatch(/555-0100|suspended/);
    await page.goto(`/jobber/callback?result=connected&account=${forged}`);
    await visible(page.getByRole('alert').getByText('Jobber sent an unexpected response.', { exact: true }));
    expect(await page.locator('body').textContent()).not.toMatch(/555-0100|suspended/);
  });

  it('shows a member the Jobber status but no button to connect or disconnect', async () => {
    const { owner, member, business, account } = await ownerWithBusiness({ member: true });

    const asMember = await freshPage();
    await openDashboard(asMember.page, member!.email, business.name);
    const memberCard = jobberCard(asMember.page);
    await visible(memberCard.getByText('Ask an owner or admin of this business to connect Jobber.'));
    expect(await memberCard.getByRole('button', { name: 'Connect Jobber' }).count()).toBe(0);

    const asOwner = await freshPage();
    await openDashboard(asOwner.page, owner.email, business.name);
    await connectInPopup(asOwner.context, asOwner.page, account, 'Allow access');
    await expectConnectedCard(asOwner.page, account);

    await asMember.page.reload();
    await visible(asMember.page.getByRole('heading', { level: 2, name: business.name, exact: true }));
    await expectConnectedCard(asMember.page, account);
    await visible(memberCard.getByRole('button', { name: 'Sync Customers' }));
    expect(await memberCard.getByRole('button', { name: 'Disconnect' }).count()).toBe(0);
    expect(await memberCard.getByRole('button', { name: /Connect Jobber/ }).count()).toBe(0);
  });
});
