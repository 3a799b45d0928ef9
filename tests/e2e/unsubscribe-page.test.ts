// The unsubscribe flow in a real browser, as a customer meets it: the email's link (review-unsubscribe,
// GET) lands on the dashboard's page, which names the business and offers one button; pressing it
// opts the address out, coming back says so, and a forged link is called not valid. The page passes
// the project's axe-core scan (tests/support/axe.ts) in each of those states.
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from '../support/jobber_fixtures';
import { askedCustomer, markSent, optOuts, reviewBusiness } from '../support/review_fixtures';
import { expectNoAxeViolations } from '../support/axe';
import { screenshot, useBrowser } from '../support/browser';
import { adminSql, stack } from '../support/stack';

const admin = adminSql();
const created = { businessIds: [] as string[], userIds: [] as string[] };
let businessId: string;
let token: string;
let address: string;

const browsers = useBrowser({
  async afterAll() {
    await cleanup(admin, created);
    await admin.end();
  },
});

beforeAll(async () => {
  const b = await reviewBusiness(admin, { channels: ['email'], name: 'Brightside Cleaning LLC', senderName: 'Brightside Cleaning' });
  created.businessIds.push(b.businessId);
  created.userIds.push(b.user.id);
  businessId = b.businessId;
  address = `dana.${crypto.randomUUID().slice(0, 8)}@example.com`;
  const asked = await askedCustomer(admin, b.businessId, { email: address, name: 'Dana Whitfield' });
  await markSent(admin, asked.messages[0]!.id, 'resend', crypto.randomUUID());
  token = asked.unsubscribeToken;
});

async function openLink(link: string): Promise<Page> {
  const page = await browsers.page();
  await page.goto(link);
  await page.getByRole('heading', { level: 1, name: 'Unsubscribe from review emails' }).waitFor();
  return page;
}

describe('the unsubscribe page', () => {
  it("the email's link redirects to the page, which names the business and offers one button", async () => {
    const page = await openLink(`${stack.supabaseUrl}/functions/v1/review-unsubscribe?t=${token}`);
    expect(page.url()).toBe(`${stack.appOrigin}/unsubscribe?t=${token}`);
    await page.getByText('Brightside Cleaning', { exact: true }).waitFor();
    expect(await page.getByRole('button').allTextContents()).toEqual(['Unsubscribe']);
    expect(await page.content()).not.toContain(address);
    await expectNoAxeViolations(page, 'unsubscribe page, the button offered');
    await screenshot(page, 'unsubscribe-page.png');
    expect(await optOuts(admin, businessId)).toEqual([]);
  });

  it('pressing Unsubscribe opts the address out; coming back says it already is', async () => {
    const page = await openLink(`${stack.appOrigin}/unsubscribe?t=${token}`);
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    const status = page.getByRole('status');
    await status.getByText('You are unsubscribed.').waitFor();
    expect(await status.textContent()).toContain('Brightside Cleaning will not ask you for a review again.');
    expect(await optOuts(admin, businessId)).toEqual([{ channel: 'email', address, source: 'email_unsubscribe' }]);
    await expectNoAxeViolations(page, 'unsubscribe page, unsubscribed');

    await page.reload();
    await page.getByRole('status').getByText('You are already unsubscribed.').waitFor();
    expect(await page.getByRole('button').count()).toBe(0);
    expect((await optOuts(admin, businessId)).length).toBe(1);
  });

  it('a forged link is called not valid, changes nothing, and shows nothing from its URL', async () => {
    const forged = token.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    const page = await openLink(`${stack.supabaseUrl}/functions/v1/review-unsubscribe?t=${forged}`);
    await page.getByRole('alert').getByText('This unsubscribe link is not valid.').waitFor();
    expect(await page.getByRole('button').count()).toBe(0);
    await expectNoAxeViolations(page, 'unsubscribe page, link not valid');
    await page.goto(`${stack.appOrigin}/unsubscribe?t=${encodeURIComponent('<b>Evil Corp</b>')}`);
    await page.getByRole('alert').getByText('This unsubscribe link is not valid.').waitFor();
    expect(await page.locator('main').textContent()).not.toContain('Evil');
    expect((await optOuts(admin, businessId)).length).toBe(1);
  });
});
