import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { BUSINESS_ID, createFakeSupabase, httpError, ok, OTHER_BUSINESS_ID } from '../test/fakeSupabase';
import { JobberClaimPage } from './JobberClaimPage';

const USER = { id: 'user-owner', email: 'owner@demo.test' };
const memberships = [
  { role: 'owner' as const, business: { id: BUSINESS_ID, name: 'Acme Plumbing' } },
  { role: 'admin' as const, business: { id: OTHER_BUSINESS_ID, name: 'Bright Windows' } },
  { role: 'member' as const, business: { id: '44444444-4444-4444-8444-444444444444', name: 'Member Only Co' } },
];

describe('JobberClaimPage', () => {
  it('asks the user to sign in first', async () => {
    const fake = createFakeSupabase({ memberships });
    render(<JobberClaimPage supabase={fake.client} search="?claim=claim-token" />);
    expect(await screen.findByLabelText('Email')).toBeTruthy();
    expect(screen.getByLabelText('Password')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeTruthy();
  });

  it('lists only businesses the user owns or administers', async () => {
    const fake = createFakeSupabase({ memberships, signedInAs: USER });
    render(<JobberClaimPage supabase={fake.client} search="?claim=claim-token" />);
    expect(await screen.findByRole('button', { name: 'Connect this Jobber account to Acme Plumbing' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Connect this Jobber account to Bright Windows' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Member Only Co/ })).toBeNull();
  });

  it('calls jobber-claim with the claim and the chosen business, then shows success', async () => {
    const fake = createFakeSupabase({ memberships, signedInAs: USER });
    fake.functions['jobber-claim'] = () => ok({ connected: true, account_name: 'Sparkle Cleaning Co' });
    render(<JobberClaimPage supabase={fake.client} search="?claim=claim-token" />);
    await userEvent.click(await screen.findByRole('button', { name: 'Connect this Jobber account to Bright Windows' }));
    expect(fake.bodiesOf('jobber-claim')).toEqual([{ claim: 'claim-token', business_id: OTHER_BUSINESS_ID }]);
    expect(await screen.findByText('Connected Sparkle Cleaning Co to Bright Windows.')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Back to Blipp' }).getAttribute('href')).toBe('/');
    expect(window.localStorage.length).toBe(0);
  });

  it('explains an expired or used claim in plain words', async () => {
    const fake = createFakeSupabase({ memberships, signedInAs: USER });
    fake.functions['jobber-claim'] = () => httpError(404, 'not_found', 'Unknown claim.');
    render(<JobberClaimPage supabase={fake.client} search="?claim=old" />);
    await userEvent.click(await screen.findByRole('button', { name: 'Connect this Jobber account to Acme Plumbing' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'This install link has expired or was already used. Start the connection again from Blipp.',
    );
  });

  it('explains that the Jobber account already belongs to another business', async () => {
    const fake = createFakeSupabase({ memberships, signedInAs: USER });
    fake.functions['jobber-claim'] = () => httpError(409, 'account_in_use', 'That Jobber account is connected to another business.');
    render(<JobberClaimPage supabase={fake.client} search="?claim=c" />);
    await userEvent.click(await screen.findByRole('button', { name: 'Connect this Jobber account to Acme Plumbing' }));
    expect((await screen.findByRole('alert')).textContent).toBe('That Jobber account is already connected to another Blipp business.');
  });

  it('says so when the link has no claim', () => {
    const fake = createFakeSupabase({ memberships, signedInAs: USER });
    render(<JobberClaimPage supabase={fake.client} search="" />);
    expect(screen.getByRole('alert').textContent).toContain('needs the install link from Jobber');
  });

  it('signs in with the shared form and then offers the businesses', async () => {
    const fake = createFakeSupabase({ memberships: memberships.slice(0, 1) });
    render(<JobberClaimPage supabase={fake.client} search="?claim=c" />);
    await userEvent.type(await screen.findByLabelText('Email'), 'owner@demo.test');
    await userEvent.type(screen.getByLabelText('Password'), 'password123');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('button', { name: 'Connect this Jobber account to Acme Plumbing' })).toBeTruthy();
  });
});
