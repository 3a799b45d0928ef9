// The whole journey in Chromium, as a newcomer walks it from `npm start` (README "The demo, step by
// step"): the demo owner signs in and connects Jobber (the sandbox's consent page in a popup); a job
// is closed on the Jobber sandbox's page; the decision appears on the reviews card; the text appears
// on the messaging sandbox's phone; tapping its link lands on the business's review page; the card
// says "clicked" and the follow-up is cancelled. The demo business asks with no delay and at any
// hour (supabase/seed.sql), which the test makes sure of, so nothing waits for minutes or for
// morning. Every new state passes the axe-core scan.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectNoAxeViolations } from '../support/axe';
import { jobberCard, openDashboard, PHONE_BROWSER, screenshot, useBrowser, visible } from '../support/browser';
import { adminSql, DEMO, stack } from '../support/stack';
import { signIn } from '../support/jobber_oauth';
import { syncSandbox } from '../support/sync';
import { untilConnectionSettled, work } from '../support/webhooks';

const sql = adminSql();
const REVIEW_URL = 'https://example.com/reviews/brightside-cleaning';
// A mobile number in the fictional 555 range the messaging sandbox treats as an ordinary phone.
const PHONE = `+1720555${2000 + Math.floor(Math.random() * 7000)}`;
let saved: Record<string, unknown> | undefined;

const browsers = useBrowser({
  async afterAll() {
    // The demo business as the README leaves it: disconnected (the test ends by disconnecting; if it
    // failed before that, the owner's own call does it), with its settings.
    const [row] = await sql<{ status: string }[]>`
      select connection_status as status from public.integrations_jobber where business_id = ${DEMO.businessA}`;
    if (row && row.status !== 'disconnected') {
      await (await signIn(DEMO.owner.email)).functions.invoke('jobber-disconnect', { body: { business_id: DEMO.businessA } });
    }
    if (saved) {
      await sql`update public.review_settings set ${sql(saved, 'delay_minutes', 'send_window_start', 'send_window_end', 'follow_ups', 'channels')}
                where business_id = ${DEMO.businessA}`;
    }
    await sql.end();
  },
});

/** The reviews card on the dashboard. */
const reviewsCard = (page: Page) => page.locator('section.rv-card');

describe('a job done in Jobber becomes a review request, a text and a click (the demo, in Chromium)', () => {
  it('connect Jobber, close a job in the sandbox: decision on the card, text on the phone, link tapped, "clicked", follow-up cancelled', async () => {
    [saved] = await sql`select delay_minutes, send_window_start, send_window_end, follow_ups, channels
                        from public.review_settings where business_id = ${DEMO.businessA}`;
    // The demo's own settings (seed.sql), made sure of: ask at once, at any hour, one follow-up, by text first.
    await sql`update public.review_settings set enabled = true, delay_minutes = 0, send_window_start = '00:00', send_window_end = '23:59',
                follow_ups = 1, channels = '{sms,email}', require_approval = false, review_url = ${REVIEW_URL}
              where business_id = ${DEMO.businessA}`;

    // A Jobber account of its own (the seeded ones may be connected by other tests), with one client and one job.
    const account = await syncSandbox.createAccount(`Journey Jobber ${PHONE.slice(-4)}`);
    const client = await syncSandbox.createClient(account.id, { firstName: 'Casey', lastName: 'Journey', phones: [{ number: PHONE, primary: true }] });
    const job = await work.createJob(account.id, { clientId: client.id, title: 'Deep clean', place: 'denver', total: 320 });

    // 1. Sign in as the demo owner and connect Jobber.
    const context = await browsers.context();
    const page = await context.newPage();
    await openDashboard(page, DEMO.owner.email, 'Brightside Cleaning');
    const card = jobberCard(page);
    const popupOpened = context.waitForEvent('page');
    await card.getByRole('button', { name: 'Connect Jobber' }).click();
    const popup = await popupOpened;
    await popup.getByRole('heading', { level: 1, name: /^Connect .* to Jobber$/ }).waitFor();
    await popup.getByRole('radio', { name: account.name, exact: true }).check();
    const popupClosed = popup.waitForEvent('close');
    await popup.getByRole('button', { name: 'Allow access', exact: true }).click();
    await popupClosed;
    await visible(card.getByText(/Connected to Jobber$/));
    await untilConnectionSettled(sql, DEMO.businessA);
    await expectNoAxeViolations(page, 'journey: dashboard connected');

    // 2. Close the job on the Jobber sandbox's page, as a person playing Jobber does.
    const jobberPage = await context.newPage();
    await jobberPage.goto(`${stack.sandboxUrl}/`);
    const closedAt = Date.now();
    await jobberPage.locator(`tr[data-job="${job.id}"]`).getByRole('button', { name: /^Close job #/ }).click();
    await jobberPage.locator(`tr[data-job="${job.id}"]`).getByRole('button', { name: /^Reopen job #/ }).waitFor();

    // 3. The decision on the reviews card, without a reload; the text goes out at once.
    await page.bringToFront();
    const item = reviewsCard(page).locator('li.rv-item').filter({ hasText: 'Casey Journey' });
    await item.getByText(/^Ask(ing|ed) by text/).waitFor({ timeout: 20_000 });
    console.log(`journey: job closed in the sandbox -> decision on the card in ${Date.now() - closedAt} ms`);
    await item.getByText(/^Asked by text at .*, (sent|delivered)$/).waitFor({ timeout: 20_000 });
    console.log(`journey: job closed in the sandbox -> "sent" on the card in ${Date.now() - closedAt} ms`);
    const followUp = item.locator('ul.rv-messages > li').filter({ hasText: 'Follow-up 1' });
    await visible(followUp.getByText(/scheduled for/));
    await screenshot(page, 'journey-asked.png');
    await expectNoAxeViolations(page, 'journey: reviews card, asked by text');

    // 4. The text on the messaging sandbox's phone, with the tracked link: the customer's own phone.
    const customer = await browsers.context(PHONE_BROWSER);
    const phonePage = await customer.newPage();
    await phonePage.goto(`${stack.messagingSandboxUrl}/`);
    const phone = phonePage.getByRole('article', { name: `Phone ${PHONE}` });
    await visible(phone.getByText(/^Hi Casey/));
    const link = phone.getByRole('link', { name: /\/functions\/v1\/review-link\?t=/ });
    await expectNoAxeViolations(phonePage, 'journey: the text on the sandbox phone');
    await screenshot(phonePage, 'journey-phone.png');

    // 5. Tap it: review-link records the click and sends the phone on to the business's review
    // page (which this machine, offline, cannot load: the redirect is what matters).
    const [landing] = await Promise.all([
      customer.waitForEvent('request', (request) => request.url() === REVIEW_URL),
      link.tap(),
    ]);
    expect(landing.redirectedFrom()?.url()).toMatch(/\/functions\/v1\/review-link\?t=[A-Za-z0-9_-]+$/);
    expect(landing.isNavigationRequest()).toBe(true);

    // 6. The card says "clicked", and the follow-up is cancelled.
    await page.bringToFront();
    await item.getByText(/^Asked by text at .*, clicked$/).waitFor({ timeout: 15_000 });
    await visible(followUp.getByText('cancelled: the customer already opened the review link'));
    await visible(item.getByText(/^Opened the review link/));
    await screenshot(page, 'journey-clicked.png');
    await expectNoAxeViolations(page, 'journey: reviews card, clicked and follow-up cancelled');

    const rows = await sql<{ state: string; click_count: number; step: number; status: string; cancel_reason: string | null }[]>`
      select r.state, r.click_count, m.step, m.status, m.cancel_reason
      from public.review_requests r join public.review_messages m on m.request_id = r.id
      join public.jobs j on j.id = r.job_id
      where r.business_id = ${DEMO.businessA} and j.external_id = ${job.id} order by m.step`;
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ state: 'clicked', click_count: 1, step: 0 });
    expect(['sent', 'delivered']).toContain(rows[0]!.status);
    expect(rows[1]).toMatchObject({ step: 1, status: 'cancelled', cancel_reason: 'clicked' });

    // Done: disconnect, as the README's walk-through ends.
    await card.getByRole('button', { name: 'Disconnect' }).click();
    await card.getByRole('alertdialog', { name: 'Disconnect Jobber?' }).getByRole('button', { name: 'Disconnect' }).click();
    await visible(card.getByRole('button', { name: 'Connect Jobber' }));
  });
});
