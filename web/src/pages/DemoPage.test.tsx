import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { APP_ORIGIN, BUSINESS_ID, connectedStatus, createFakeSupabase, makeStatus, OTHER_BUSINESS_ID } from '../test/fakeSupabase';
import { CONNECTING_BUSINESS_KEY } from '../jobber/messages';
import { DemoPage } from './DemoPage';
import { activityRow, makeActivity, makeSettings } from '../test/reviewFixtures';
import { answer } from '../test/fakeTables';

const memberships = [
  { role: 'owner' as const, business: { id: BUSINESS_ID, name: 'Acme Plumbing' } },
  { role: 'member' as const, business: { id: OTHER_BUSINESS_ID, name: 'Bright Windows' } },
];

function fake(signedIn: boolean, only?: typeof memberships) {
  return createFakeSupabase({
    memberships: only ?? memberships,
    statuses: {
      [BUSINESS_ID]: connectedStatus(),
      [OTHER_BUSINESS_ID]: makeStatus({ customers: { total: 7, from_jobber: 0 } }),
    },
    signedInAs: signedIn ? { id: 'user-owner', email: 'owner@demo.test' } : null,
  });
}

describe('DemoPage', () => {
  it('puts the reviews card beside the Jobber card, for the same business and role', async () => {
    const client = createFakeSupabase({
      memberships: [memberships[0]!],
      statuses: { [BUSINESS_ID]: connectedStatus() },
      signedInAs: { id: 'user-owner', email: 'owner@demo.test' },
      tables: {
        businesses: [{ id: BUSINESS_ID, name: 'Acme Plumbing', country: 'US', timezone: 'America/New_York' }],
        review_settings: [{ ...makeSettings() }],
        review_activity: [activityRow(makeActivity())],
        contact_opt_outs: [],
      },
      rpc: { review_chart: () => answer([]) },
    });
    render(<DemoPage supabase={client.client} appOrigin={APP_ORIGIN} />);
    expect(await screen.findByRole('heading', { name: 'Sparkle Cleaning Co' })).toBeTruthy();
    const reviews = await screen.findByRole('region', { name: 'Review requests' });
    expect(reviews.parentElement).toBe(screen.getByRole('heading', { name: 'Sparkle Cleaning Co' }).closest('section')!.parentElement);
    expect(await within(reviews).findByText('Jane Doe')).toBeTruthy();
    // An owner gets the owner's tabs.
    expect(within(reviews).getByRole('tab', { name: 'Ask recent' })).toBeTruthy();
  });

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
    // The header's count and the card's "Customers from Jobber" differ: the page says why.
    expect(screen.getByText('1,200 came from Jobber and 34 were added in Blipp; a Jobber sync never changes the ones added in Blipp.')).toBeTruthy();
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

  it('hides the Business picker when the user has one business', async () => {
    render(<DemoPage supabase={fake(true, memberships.slice(0, 1)).client} appOrigin={APP_ORIGIN} />);
    expect(await screen.findByRole('heading', { level: 2, name: 'Acme Plumbing' })).toBeTruthy();
    expect(screen.queryByLabelText('Business')).toBeNull();
  });

  it('tells an owner which sandbox account to pick when the stack runs the Jobber sandbox', async () => {
    const seeded = [{ role: 'owner' as const, business: { id: 'b1111111-1111-4111-8111-111111111111', name: 'Brightside Cleaning' } }];
    const client = createFakeSupabase({
      memberships: seeded,
      statuses: { 'b1111111-1111-4111-8111-111111111111': makeStatus() },
      signedInAs: { id: 'user-owner', email: 'owner@demo.test' },
    }).client;
    render(<DemoPage supabase={client} appOrigin={APP_ORIGIN} sandboxUrl="http://127.0.0.1:54330" />);
    const tip = await screen.findByText(/on the Jobber sandbox's page, pick/);
    expect(tip.textContent).toContain('pick Sparkle Cleaning Co. and choose Allow access');
    expect(screen.getByRole('link', { name: 'Jobber sandbox' }).getAttribute('href')).toBe('http://127.0.0.1:54330/');
  });

  it('gives no sandbox tip without a sandbox, or to a member who cannot connect', async () => {
    render(<DemoPage supabase={fake(true).client} appOrigin={APP_ORIGIN} />);
    await screen.findByRole('heading', { level: 2, name: 'Acme Plumbing' });
    expect(screen.queryByText(/Jobber sandbox/)).toBeNull();
  });

  it('signs out', async () => {
    render(<DemoPage supabase={fake(true).client} appOrigin={APP_ORIGIN} />);
    await userEvent.click(await screen.findByRole('button', { name: 'Sign out' }));
    expect(await screen.findByRole('button', { name: 'Sign in' })).toBeTruthy();
  });
});
