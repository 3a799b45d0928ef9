// The messaging sandbox's page in a real browser, as a person uses it: a text and an email sent
// through the sender interface show up with their links; tapping a link opens it, a reply and a
// STOP reach the inbound webhook, Unsubscribe makes the one-click POST. The page passes axe-core.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { formOf, sandbox, sandboxSenders, startReceiver, until } from '../support/messaging';
import { screenshot, useBrowser } from '../support/browser';
import { stack } from '../support/stack';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const PHONE = '+15555550142';

let receiver: Awaited<ReturnType<typeof startReceiver>>;

const browsers = useBrowser({
  async afterAll() {
    await sandbox('POST', '/reset', {});
    await receiver?.close();
  },
});

beforeAll(async () => {
  receiver = await startReceiver();
  await sandbox('POST', '/reset', {});
  await sandbox('PUT', '/webhooks', { smsInbound: `${receiver.base}/sms-inbound`, emailEvents: `${receiver.base}/email-events` });
  await sandbox('PUT', '/faults', { lifecycle: { sentAfterMs: 50, deliveredAfterMs: 150 } });
  const { sms, email } = sandboxSenders();
  expect(
    await sms.send({
      channel: 'sms',
      id: 'e2e-sms-1',
      to: PHONE,
      body: `Hi Sam, thanks for choosing Brightside! Rate us: ${receiver.base}/review?t=e2e Reply STOP to opt out`,
      statusCallbackUrl: `${receiver.base}/sms-status`,
    }),
  ).toMatchObject({ kind: 'accepted' });
  expect(
    await email.send({
      channel: 'email',
      id: 'e2e-email-1',
      to: 'sam@example.com',
      subject: 'How did Brightside do?',
      html: `<p>Hi Sam, <a href="${receiver.base}/review?t=e2e-mail">leave a review</a></p>`,
      text: `Hi Sam, leave a review: ${receiver.base}/review?t=e2e-mail`,
      unsubscribeUrl: `${receiver.base}/unsubscribe?t=e2e`,
    }),
  ).toMatchObject({ kind: 'accepted' });
});

async function openSandbox(): Promise<Page> {
  const page = await browsers.page();
  await page.goto(`${stack.messagingSandboxUrl}/`);
  await page.getByRole('heading', { level: 1, name: 'Messaging sandbox' }).waitFor();
  return page;
}

describe('the messaging sandbox page', () => {
  it('passes an axe-core scan with a conversation and an inbox on it', async () => {
    const page = await openSandbox();
    await page.getByRole('heading', { name: `Phone ${PHONE}` }).waitFor();
    await page.addScriptTag({ content: AXE_SOURCE });
    const result = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as {
      violations: { id: string; help: string; nodes: unknown[] }[];
    };
    await screenshot(page, 'messaging-sandbox.png');
    expect(result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);
  });

  it("taps the text's review link, which opens it", async () => {
    const page = await openSandbox();
    const link = page.getByRole('article', { name: `Phone ${PHONE}` }).getByRole('link', { name: /\/review\?t=e2e$/ });
    const [opened] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    await opened.waitForLoadState();
    expect(opened.url()).toBe(`${receiver.base}/review?t=e2e`);
  });

  it('replies with text and with STOP; both reach the inbound webhook and STOP shows as unsubscribed', async () => {
    const page = await openSandbox();
    const phone = page.getByRole('article', { name: `Phone ${PHONE}` });
    await phone.getByLabel(`Reply from ${PHONE}`).fill('Loved it, thanks!');
    await phone.getByRole('button', { name: 'Send reply' }).click();
    await page.getByText('Loved it, thanks!').waitFor();
    await page.getByRole('article', { name: `Phone ${PHONE}` }).getByRole('button', { name: 'Reply STOP' }).click();
    await page.getByText('unsubscribed (replied STOP)').waitFor();
    await page.getByText(/You have successfully been unsubscribed/).waitFor();
    const inbound = receiver.on('/sms-inbound').map(formOf);
    expect(inbound.map((f) => [f.Body, f.OptOutType])).toEqual([['Loved it, thanks!', undefined], ['STOP', 'STOP']]);
    const { sms } = sandboxSenders();
    expect(await sms.send({ channel: 'sms', id: 'e2e-sms-2', to: PHONE, body: 'Again?' })).toMatchObject({ kind: 'refused', code: '21610' });
  });

  it("presses an email's Unsubscribe: the RFC 8058 one-click POST reaches the message's URL", async () => {
    const page = await openSandbox();
    await page.getByRole('button', { name: 'Unsubscribe from How did Brightside do?' }).click();
    await page.getByText(/Unsubscribe sent .* HTTP 200/).waitFor();
    const post = await until(() => receiver.on('/unsubscribe')[0]);
    expect(post.body).toBe('List-Unsubscribe=One-Click');
    expect(new URL(post.url).searchParams.get('t')).toBe('e2e');
  });
});
