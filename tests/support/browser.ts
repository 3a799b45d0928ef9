// Browser tests: Debian's Chromium driven by playwright-core, plus the fixtures those tests need
// (their own users, businesses and sandbox accounts, so they never fight other layers over the demo data).
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import type { Sql } from 'postgres';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { cleanup } from './jobber_fixtures';
import { sandboxControl } from './sandbox_control';
import { DEMO, stack } from './stack';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A fresh profile (no session, no storage) whose relative URLs resolve against the demo page. */
export async function newContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: stack.appOrigin, viewport: { width: 1100, height: 900 }, ...options });
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  return context;
}

export interface FileBrowser {
  /** The file's Chromium (launched before its first test). */
  readonly browser: Browser;
  /** A fresh context (see newContext), closed after the test that opened it. */
  context(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** A page in a fresh context, optionally at another viewport size. */
  page(viewport?: { width: number; height: number }): Promise<Page>;
}

/**
 * The browser lifecycle every browser test file shares: Chromium launched before the file's tests,
 * every context a test opened closed after that test (so a failing test leaves no page behind for
 * the next), and the browser closed after the file - then `afterAll`, for the file's own cleanup.
 */
export function useBrowser(options: { afterAll?: () => Promise<void> } = {}): FileBrowser {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => {})));
  });
  afterAll(async () => {
    await browser?.close();
    await options.afterAll?.();
  });
  const files: FileBrowser = {
    get browser() {
      if (!browser) throw new Error('The browser is launched in beforeAll: use it inside a test or hook.');
      return browser;
    },
    async context(options) {
      const context = await newContext(files.browser, options);
      contexts.push(context);
      return context;
    },
    async page(viewport) {
      const page = await (await files.context()).newPage();
      if (viewport) await page.setViewportSize(viewport);
      return page;
    },
  };
  return files;
}

/**
 * A customer's phone: a phone-sized context with a phone browser's user agent. Headless Chromium's
 * own ("HeadlessChrome") is on the bot list review-link does not count clicks from.
 */
export const PHONE_BROWSER: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  isMobile: true,
  hasTouch: true,
};

/** Fills the sign-in form that the demo page and the claim page both show to signed-out visitors. */
export async function signIn(page: Page, email: string, password: string = DEMO.password): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.getByRole('button', { name: 'Sign in' }).click();
  // Signed in, the form goes away (the dashboard and the claim page both replace it).
  await form.waitFor({ state: 'detached' });
}

/** Opens the demo page, signs in and waits until the given business is on screen. */
export async function openDashboard(page: Page, email: string, businessName: string): Promise<void> {
  await page.goto('/');
  await page.getByRole('heading', { level: 1, name: 'Blipp dashboard' }).waitFor();
  await signIn(page, email);
  await page.getByRole('heading', { level: 2, name: businessName, exact: true }).waitFor();
}

/** The Jobber card: a region named by its heading ("Jobber", or the account name once connected). */
export function jobberCard(page: Page): Locator {
  return page.locator('section.jc-card');
}

/** Waits until the locator is visible, with the locator's description in the failure. */
export async function visible(locator: Locator, timeout?: number): Promise<void> {
  await locator.waitFor({ state: 'visible', ...(timeout === undefined ? {} : { timeout }) });
}

/** Saves a screenshot to SCREENSHOT_DIR when set (kept), else to the run's reports folder. */
export async function screenshot(page: Page | Locator, name: string): Promise<void> {
  const dir = process.env.SCREENSHOT_DIR ?? process.env.TEST_OUTPUT_DIR;
  if (!dir) return;
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: join(dir, name) });
}

export type Role = 'owner' | 'admin' | 'member';

export interface TestUser {
  id: string;
  email: string;
}

export interface TestBusiness {
  id: string;
  name: string;
}

/** A short unique suffix so names never collide across runs or files sharing one stack. */
export function uniqueSuffix(): string {
  return randomUUID().slice(0, 8);
}

export async function createUser(sql: Sql, label: string): Promise<TestUser> {
  const id = randomUUID();
  const email = `${label}-${uniqueSuffix()}@e2e.test`;
  await sql`
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
      raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values ('00000000-0000-0000-0000-000000000000', ${id}, 'authenticated', 'authenticated', ${email},
      extensions.crypt(${DEMO.password}, extensions.gen_salt('bf')), now(),
      '{"provider":"email","providers":["email"]}'::jsonb, '{}'::jsonb, now(), now())`;
  return { id, email };
}

export async function createBusiness(sql: Sql, name: string, members: Array<[TestUser, Role]>): Promise<TestBusiness> {
  const id = randomUUID();
  await sql`insert into public.businesses (id, name) values (${id}, ${name})`;
  for (const [user, role] of members) {
    await sql`insert into public.business_members (business_id, user_id, role) values (${id}, ${user.id}, ${role})`;
  }
  return { id, name };
}

/** Removes what createUser / createBusiness made (members and Jobber rows go with the business). */
export async function dropFixtures(sql: Sql, businesses: TestBusiness[], users: TestUser[]): Promise<void> {
  // The one cleanup: it also removes the Vault secrets a business connected to Jobber left behind.
  await cleanup(sql, { businessIds: businesses.map((b) => b.id), userIds: users.map((u) => u.id) });
}

export interface SandboxAccount {
  id: string;
  name: string;
}

/** A fresh Jobber account in the sandbox, optionally with some generated clients. */
export async function createSandboxAccount(name: string, clients = 0): Promise<SandboxAccount> {
  const account = await sandboxControl<SandboxAccount>('POST', 'accounts', { name });
  if (clients > 0) {
    await sandboxControl('POST', `accounts/${encodeURIComponent(account.id)}/clients/generate`, { count: clients, seed: 7 });
  }
  return account;
}

export interface ConnectionRow {
  connection_status: string;
  account_id: string | null;
  account_name: string | null;
}

export async function connectionRow(sql: Sql, businessId: string): Promise<ConnectionRow | null> {
  const rows = await sql<ConnectionRow[]>`
    select connection_status, account_id, account_name from public.integrations_jobber where business_id = ${businessId}`;
  return rows[0] ?? null;
}

/** The business's customers as the dashboard counts them: those removed in Jobber are history, not customers. */
export async function customerCount(sql: Sql, businessId: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from public.customers where business_id = ${businessId} and status <> 'removed'`;
  return row?.n ?? 0;
}

/** On the sandbox consent page (in whatever page it opened in): pick the account and decide. */
export async function answerConsent(page: Page, accountName: string, decision: 'Allow access' | 'Deny'): Promise<void> {
  await page.getByRole('heading', { level: 1, name: /^Connect .* to Jobber$/ }).waitFor();
  if (decision === 'Allow access') await page.getByRole('radio', { name: accountName, exact: true }).check();
  await page.getByRole('button', { name: decision, exact: true }).click();
}
