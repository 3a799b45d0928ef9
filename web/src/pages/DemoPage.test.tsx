import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { APP_ORIGIN, BUSINESS_ID, connectedStatus, createFakeSupabase, makeStatus, OTHER_BUSINESS_ID } from '../test/fakeSupabase';
import { CONNECTING_BUSINESS_KEY } from '../jobber/messages';
import { DemoPage } from './DemoPage';

const memberships = [
  { role: 'owner' as const, business: { id: BUSINESS_ID, name: 'Acme Plumbing' } },
  { role: 'member' as const, business: { id: OTHER_BUSINESS_ID, name: 'Bright Windows' } },
];

function fake(signedIn: boolean) {
  return createFakeSupabase({
    memberships,
    statuses: { [BUSINESS_ID]: connectedStatus(), [OTHER_BUSINESS_ID]: makeStatus() },
    customerCounts: { [BUSINESS_ID]: 1234, [OTHER_BUSINESS_ID]: 7 },
    signedInAs: signedIn ? { id: 'user-owner', email: 'owner@demo.test' } : null,
  });
}

describe('DemoPage', () => {
  it('shows the sign-in form and the demo users when signed out', async () => {
    render(<DemoPage supabase={fake(false).client} appOrigin={APP_ORIGIN} />);
    expect(await screen.findByLabelText('Email')).toBeTruthy();
    expect(screen.getByText(/owner@demo\.test, member@demo\.test, other@demo\.test/)).toBeTruthy();
    expect(screen.getByText('password123')).toBeTruthy();
  });

  it('shows why a sign-in failed', async () => {
    render(<DemoPage supabase={fake(false).client} appOrigin={APP_ORIGIN} />);
    await userEvent.type(await screen.findByLabelText('Email'), 'owner@demo.test');
    await userEvent.type(screen.getByLabelText('Password'), 'wrong');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Could not sign in: Invalid login credentials');
  });

  it('signs in and shows the business, its customer count, the role and the Jobber card', async () => {
    const client = fake(false);
    render(<DemoPage supabase={client.client} appOrigin={APP_ORIGIN} />);
    await userEvent.type(await screen.findByLabelText('Email'), 'owner@demo.test');
    await userEvent.type(screen.getByLabelText('Password'), 'password123');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('heading', { level: 2, name: 'Acme Plumbing' })).toBeTruthy();
    expect(await screen.findByText('Customers: 1,234')).toBeTruthy();
    expect(screen.getByText('Your role: owner')).toBeTruthy();
    expect(screen.getByText('Signed in as owner@demo.test')).toBeTruthy();
    expect(await screen.findByRole('heading', { name: 'Sparkle Cleaning Co' })).toBeTruthy();
  });

  it('switches business with the Business picker', async () => {
    render(<DemoPage supabase={fake(true).client} appOrigin={APP_ORIGIN} />);
    const picker = await screen.findByLabelText('Business');
    expect(within(picker).getAllByRole('option').map((o) => o.textContent)).toEqual(['Acme Plumbing', 'Bright Windows']);
    await userEvent.selectOptions(picker, OTHER_BUSINESS_ID);
    expect(await screen.findByRole('heading', { level: 2, name: 'Bright Windows' })).toBeTruthy();
    expect(await screen.findByText('Customers: 7')).toBeTruthy();
    expect(screen.getByText('Your role: member')).toBeTruthy();
    expect(await screen.findByText(/Ask an owner or admin/)).toBeTruthy();
  });

  it('returns to the business that was connecting after a redirect', async () => {
    window.sessionStorage.setItem(CONNECTING_BUSINESS_KEY, OTHER_BUSINESS_ID);
    render(<DemoPage supabase={fake(true).client} appOrigin={APP_ORIGIN} />);
    expect(await screen.findByRole('heading', { level: 2, name: 'Bright Windows' })).toBeTruthy();
    expect(window.sessionStorage.getItem(CONNECTING_BUSINESS_KEY)).toBeNull();
  });

  it('signs out', async () => {
    render(<DemoPage supabase={fake(true).client} appOrigin={APP_ORIGIN} />);
    await userEvent.click(await screen.findByRole('button', { name: 'Sign out' }));
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeTruthy();
  });
});
