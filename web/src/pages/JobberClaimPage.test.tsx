import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { BUSINESS_ID, createFakeSupabase, httpError, ok, OTHER_BUSINESS_ID } from '../test/fakeSupabase';
import { MALFORMED_CLAIM } from '../jobber/messages';
import { JobberClaimPage } from './JobberClaimPage';

const USER = { id: 'user-owner', email: 'owner@demo.test' };
const CLAIM = 'claim-token-0123456789abcdefghij';
const NOW = Date.parse('2025-10-12T03:10:00.000Z');
const memberships = [
  { role: 'owner' as const, business: { id: BUSINESS_ID, name: 'Acme Plumbing' } },
  { role: 'admin' as const, business: { id: OTHER_BUSINESS_ID, name: 'Bright Windows' } },
  { role: 'member' as const, business: { id: '44444444-4444-4444-8444-444444444444', name: 'Member Only Co' } },
];

/** jobber-claim as the server answers: a description without business_id, the claim with one. */
function withClaim(fake: ReturnType<typeof createFakeSupabase>, attach = () => ok({ connected: true, account_name: 'Sparkle Cleaning Co', already_connected: false })) {
  fake.functions['jobber-claim'] = (body) =>
    body['business_id'] === undefined
      ? ok({ account_name: 'Sparkle Cleaning Co', installed_at: '2025-10-12T03:07:00.000Z', expires_at: '2025-10-12T03:37:00.000Z' })
      : attach();
  return fake;
}

function renderPage(fake: ReturnType<typeof createFakeSupabase>, search = `?claim=${CLAIM}`) {
  render(<JobberClaimPage supabase={fake.client} search={search} now={NOW} />);
}

describe('JobberClaimPage', () => {
  it('asks the user to sign in first, and describes nothing before that', async () => {
    const fake = withClaim(createFakeSupabase({ memberships }));
    renderPage(fake);
    expect(await screen.findByLabelText('Email')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeTruthy();
    expect(fake.bodiesOf('jobber-claim')).toEqual([]);
  });

  it('names the Jobber account and when it was installed, with a warning, before anything is connected', async () => {
    const fake = withClaim(createFakeSupabase({ memberships, signedInAs: USER }));
    renderPage(fake);
    expect(await screen.findByText('Sparkle Cleaning Co')).toBeTruthy();
    expect(screen.getByText('3 minutes ago')).toBeTruthy();
    expect(screen.getByText(/Continue only if you just installed Blipp from Jobber yourself; if someone sent you this link, close this page\./)).toBeTruthy();
    // Only the description was asked for: nothing is attached until the owner chooses.
    expect(fake.bodiesOf('jobber-claim')).toEqual([{ claim: CLAIM }]);
  });

  it('lists only businesses the user owns or administers', async () => {
    renderPage(withClaim(createFakeSupabase({ memberships, signedInAs: USER })));
    expect(await screen.findByRole('button', { name: 'Connect this Jobber account to Acme Plumbing' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Connect this Jobber account to Bright Windows' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Member Only Co/ })).toBeNull();
  });

  it('calls jobber-claim with the claim and the chosen business, then shows success', async () => {
    const fake = withClaim(createFakeSupabase({ memberships, signedInAs: USER }));
    renderPage(fake);
    await userEvent.click(await screen.findByRole('button', { name: 'Connect this Jobber account to Bright Windows' }));
    expect(fake.bodiesOf('jobber-claim')).toEqual([{ claim: CLAIM }, { claim: CLAIM, business_id: OTHER_BUSINESS_ID }]);
    expect(await screen.findByText('Connected Sparkle Cleaning Co to Bright Windows.')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Back to Blipp' }).getAttribute('href')).toBe('/');
    expect(window.localStorage.length).toBe(0);
  });

  it('says the account is already connected to the business when it is', async () => {
    const fake = withClaim(createFakeSupabase({ memberships, signedInAs: USER }), () =>
      ok({ connected: true, account_name: 'Sparkle Cleaning Co', already_connected: true }));
    renderPage(fake);
    await userEvent.click(await screen.findByRole('button', { name: 'Connect this Jobber account to Acme Plumbing' }));
    expect((await screen.findByRole('status')).textContent).toContain('Sparkle Cleaning Co is already connected to Acme Plumbing.');
  });

  it('explains an expired or used claim in plain words, before offering any business', async () => {
    const fake = createFakeSupabase({ memberships, signedInAs: USER });
    fake.functions['jobber-claim'] = () => httpError(404, 'not_found', 'Unknown claim.');
    renderPage(fake);
    expect((await screen.findByRole('alert')).textContent).toBe(
      'This install link has expired or was already used. Start the connection again from Blipp.',
    );
    expect(screen.queryByRole('button', { name: /Connect this Jobber account/ })).toBeNull();
  });

  it('explains that the Jobber account already belongs to another business', async () => {
    const fake = withClaim(createFakeSupabase({ memberships, signedInAs: USER }), () =>
      httpError(409, 'account_in_use', 'That Jobber account is connected to another business.'));
    renderPage(fake);
    await userEvent.click(await screen.findByRole('button', { name: 'Connect this Jobber account to Acme Plumbing' }));
    expect((await screen.findByRole('alert')).textContent).toBe('That Jobber account is already connected to another Blipp business.');
  });

  it('never shows text from its address: message=, code= and account= change nothing it says', async () => {
    const fake = withClaim(createFakeSupabase({ memberships, signedInAs: USER }));
    renderPage(fake, `?claim=${CLAIM}&message=${encodeURIComponent('Your Blipp account is suspended. Call 555-0100')}&code=suspended&account=Evil%20Corp`);
    expect(await screen.findByText('Sparkle Cleaning Co')).toBeTruthy();
    expect(document.body.textContent).not.toMatch(/suspended|555-0100|Evil Corp/);
    expect(fake.bodiesOf('jobber-claim')).toEqual([{ claim: CLAIM }]);
  });

  it('says so when the link has no claim', () => {
    renderPage(createFakeSupabase({ memberships, signedInAs: USER }), '');
    expect(screen.getByRole('alert').textContent).toContain('needs the install link from Jobber');
  });

  it('says in words that a malformed claim is a damaged link, without asking the server', () => {
    const fake = withClaim(createFakeSupabase({ memberships, signedInAs: USER }));
    renderPage(fake, '?claim=not%20a%20claim!');
    expect(screen.getByRole('alert').textContent).toBe(MALFORMED_CLAIM);
    expect(document.body.textContent).not.toMatch(/regex|pattern/);
    expect(fake.bodiesOf('jobber-claim')).toEqual([]);
  });

  it('signs in with the shared form and then describes the install and offers the businesses', async () => {
    const fake = withClaim(createFakeSupabase({ memberships: memberships.slice(0, 1) }));
    renderPage(fake);
    await userEvent.type(await screen.findByLabelText('Email'), 'owner@demo.test');
    await userEvent.type(screen.getByLabelText('Password'), 'password123');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('button', { name: 'Connect this Jobber account to Acme Plumbing' })).toBeTruthy();
    expect(screen.getByText('Sparkle Cleaning Co')).toBeTruthy();
  });
});
