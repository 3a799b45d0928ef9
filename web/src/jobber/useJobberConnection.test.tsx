import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { APP_ORIGIN, BUSINESS_ID, connectedStatus, createFakeSupabase, httpError, makeStatus, ok } from '../test/fakeSupabase';
import { JobberConnectionCard } from './JobberConnectionCard';
import { CONNECTING_BUSINESS_KEY } from './messages';
import type { Role } from './state';

const AUTHORIZE_URL = 'http://127.0.0.1:54330/api/oauth/authorize?client_id=blipp-local&state=abc';

type Fake = ReturnType<typeof createFakeSupabase>;

function fakePopup() {
  const popup = {
    closed: false,
    location: { href: 'about:blank' },
    close: vi.fn(() => {
      popup.closed = true;
    }),
    focus: vi.fn(),
  };
  return popup;
}

function renderCard(fake: Fake, { role = 'owner', pollMs, onChange }: { role?: Role; pollMs?: { active: number; live?: number; idle: number }; onChange?: () => void } = {}) {
  return render(
    <JobberConnectionCard
      supabase={fake.client}
      businessId={BUSINESS_ID}
      role={role}
      appOrigin={APP_ORIGIN}
      pollMs={pollMs ?? { active: 1500, live: 30_000, idle: 30_000 }}
      {...(onChange ? { onChange } : {})}
    />,
  );
}

function withConnect(fake: Fake) {
  fake.functions['jobber-connect'] = () => ok({ url: AUTHORIZE_URL });
}

function post(data: unknown, { origin = APP_ORIGIN, source }: { origin?: string; source: unknown }) {
  act(() => {
    window.dispatchEvent(new MessageEvent('message', { data, origin, source: source as Window }));
  });
}

async function startConnect(fake: Fake) {
  const popup = fakePopup();
  const open = vi.spyOn(window, 'open').mockReturnValue(popup as unknown as Window);
  withConnect(fake);
  renderCard(fake);
  await userEvent.click(await screen.findByRole('button', { name: 'Connect Jobber' }));
  await waitFor(() => expect(popup.location.href).toBe(AUTHORIZE_URL));
  return { popup, open };
}

describe('useJobberConnection', () => {
  it('loads the status through jobber-status on mount and then reads the jobber_status view', async () => {
    const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: connectedStatus() } });
    renderCard(fake, { pollMs: { active: 20, live: 20, idle: 20 } });
    expect(await screen.findByRole('heading', { name: 'Sparkle Cleaning Co' })).toBeTruthy();
    expect(fake.bodiesOf('jobber-status')).toEqual([{ business_id: BUSINESS_ID }]);
    await waitFor(() => expect(fake.viewReads).toHaveBeenCalledWith(BUSINESS_ID, 'status'));
    expect(fake.bodiesOf('jobber-status')).toHaveLength(1);
  });

  it('polls the view while a sync runs and shows the new progress', async () => {
    const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: connectedStatus({ sync: { state: 'running', processed: 800 } }) } });
    renderCard(fake, { pollMs: { active: 20, live: 60_000, idle: 60_000 } });
    expect((await screen.findByRole('progressbar')).getAttribute('aria-valuenow')).toBe('800');
    fake.statuses[BUSINESS_ID] = connectedStatus({ sync: { state: 'running', processed: 1000 } });
    await waitFor(() => expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('1000'));
    fake.statuses[BUSINESS_ID] = connectedStatus({ sync: { state: 'succeeded', synced: 1200, errors: 0 } });
    expect(await screen.findByText('Last sync: 1,200 new customers')).toBeTruthy();
    expect(screen.queryByRole('progressbar')).toBeNull();
  });

  it('follows Jobber\'s updates while connected: the updates row and the jobs count move as the view does', async () => {
    const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: connectedStatus({ webhooks: { last_event_at: null } }) } });
    renderCard(fake, { pollMs: { active: 60_000, live: 20, idle: 60_000 } });
    expect(await screen.findByText('No updates received yet')).toBeTruthy();
    fake.statuses[BUSINESS_ID] = connectedStatus({
      webhooks: { last_event_at: new Date().toISOString(), pending: 2 },
      jobs: { completed_30d: 1, last_completed_at: new Date().toISOString() },
    });
    expect(await screen.findByText('Receiving updates')).toBeTruthy();
    expect(screen.getByText('· 2 updates waiting', { exact: false })).toBeTruthy();
    expect(screen.getByText('Jobs done (30 days)').nextElementSibling?.textContent).toMatch(/^1 \(last just now\)$/);
  });

  it('polls a disconnected card at the idle pace only', async () => {
    const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: makeStatus() } });
    renderCard(fake, { pollMs: { active: 10, live: 10, idle: 60_000 } });
    expect(await screen.findByRole('button', { name: 'Connect Jobber' })).toBeTruthy();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(fake.viewReads).not.toHaveBeenCalled();
  });

  it('replays failed updates through jobber-replay and shows what the view says afterwards', async () => {
    const fake = createFakeSupabase({
      statuses: { [BUSINESS_ID]: connectedStatus({ webhooks: { last_event_at: new Date().toISOString(), failed: 3 } }) },
    });
    fake.functions['jobber-replay'] = () => {
      fake.statuses[BUSINESS_ID] = connectedStatus({ webhooks: { last_event_at: new Date().toISOString(), failed: 0, pending: 3 } });
      return ok({ requeued: 3 });
    };
    renderCard(fake);
    expect(await screen.findByText('3 updates failed')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Replay' }));
    expect(fake.bodiesOf('jobber-replay')).toEqual([{ business_id: BUSINESS_ID }]);
    expect(await screen.findByText('Receiving updates')).toBeTruthy();
    expect(screen.getByText('· 3 updates waiting', { exact: false })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Replay' })).toBeNull();
  });

  it('shows a refused replay as an alert and keeps the failed count', async () => {
    const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: connectedStatus({ webhooks: { failed: 2 } }) } });
    fake.functions['jobber-replay'] = () => httpError(403, 'forbidden_role', 'Only an owner or admin of the business can do this.');
    renderCard(fake);
    await userEvent.click(await screen.findByRole('button', { name: 'Replay' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Only owners and admins can change the Jobber connection.');
    expect(screen.getByText('2 updates failed')).toBeTruthy();
  });

  it('stops polling when the card unmounts', async () => {
    const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: connectedStatus({ sync: { state: 'running' } }) } });
    const { unmount } = renderCard(fake, { pollMs: { active: 10, idle: 10 } });
    await waitFor(() => expect(fake.viewReads.mock.calls.length).toBeGreaterThan(1));
    unmount();
    const reads = fake.viewReads.mock.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(fake.viewReads.mock.calls.length).toBe(reads);
  });

  it('falls back to the view when jobber-status fails', async () => {
    const fake = createFakeSupabase({
      statuses: { [BUSINESS_ID]: connectedStatus() },
      functions: { 'jobber-status': () => httpError(503, 'jobber_unavailable', 'Jobber could not be reached.') },
    });
    renderCard(fake);
    expect(await screen.findByText('Connected to Jobber')).toBeTruthy();
  });

  it('shows the error state with "Try again" when nothing can be loaded, and recovers on retry', async () => {
    const fake = createFakeSupabase({ functions: { 'jobber-status': () => httpError(503, 'jobber_unavailable', 'Jobber could not be reached.') } });
    renderCard(fake);
    expect((await screen.findByRole('alert')).textContent).toContain('Jobber could not be reached. Try again in a few minutes.');
    fake.statuses[BUSINESS_ID] = makeStatus();
    fake.functions['jobber-status'] = () => ok(null); // a bad answer: the view is used instead
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('button', { name: 'Connect Jobber' })).toBeTruthy();
  });

  it('reports changes to the dashboard through onChange', async () => {
    const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: connectedStatus() } });
    const onChange = vi.fn();
    renderCard(fake, { onChange });
    await waitFor(() => expect(onChange).toHaveBeenCalledWith(expect.objectContaining({ connectionStatus: 'connected' })));
  });

  describe('connect flow', () => {
    it('opens the popup synchronously, asks jobber-connect for the URL and sends the popup there', async () => {
      const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: makeStatus() } });
      const { open } = await startConnect(fake);
      expect(open).toHaveBeenCalledWith('about:blank', 'jobber-connect', 'popup,width=600,height=720');
      expect(fake.bodiesOf('jobber-connect')).toEqual([{ business_id: BUSINESS_ID }]);
      expect(screen.getAllByText('Waiting for Jobber…').length).toBeGreaterThan(0);
    });

    it('accepts a JOBBER_CONNECTED message from its popup on the app origin and shows the connection', async () => {
      const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: makeStatus() } });
      const { popup } = await startConnect(fake);
      fake.statuses[BUSINESS_ID] = connectedStatus({ sync: { state: 'queued', processed: 0, total: null } });
      post({ type: 'JOBBER_CONNECTED', accountName: 'Sparkle Cleaning Co' }, { source: popup });
      expect(await screen.findByText('Connected to Jobber')).toBeTruthy();
      expect(screen.getByRole('heading', { name: 'Sparkle Cleaning Co' })).toBeTruthy();
      expect(screen.getByRole('progressbar')).toBeTruthy();
    });

    it('ignores messages from another origin', async () => {
      const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: makeStatus() } });
      const { popup } = await startConnect(fake);
      fake.statuses[BUSINESS_ID] = connectedStatus();
      post({ type: 'JOBBER_CONNECTED', accountName: 'Evil' }, { origin: 'https://evil.example', source: popup });
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(screen.getAllByText('Waiting for Jobber…').length).toBeGreaterThan(0);
      expect(popup.close).not.toHaveBeenCalled();
    });

    it('ignores messages from a window other than its popup', async () => {
      const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: makeStatus() } });
      const { popup } = await startConnect(fake);
      post({ type: 'JOBBER_ERROR', code: 'access_denied', message: 'denied' }, { source: fakePopup() });
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(screen.getAllByText('Waiting for Jobber…').length).toBeGreaterThan(0);
      expect(popup.close).not.toHaveBeenCalled();
    });

    it('ignores messages of the wrong shape', async () => {
      const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: makeStatus() } });
      const { popup } = await startConnect(fake);
      for (const data of [
        'JOBBER_CONNECTED',
        { type: 'JOBBER_CONNECTED' },
        { type: 'JOBBER_CONNECTED', accountName: 42 },
        { type: 'JOBBER_ERROR', code: 'x' },
        { type: 'SOMETHING_ELSE', accountName: 'x' },
        null,
      ]) {
        post(data, { source: popup });
      }
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(screen.getAllByText('Waiting for Jobber…').length).toBeGreaterThan(0);
      expect(popup.close).not.toHaveBeenCalled();
    });

    it('shows a JOBBER_ERROR message as the error state, and "Try again" goes back to Jobber', async () => {
      const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: makeStatus() } });
      const { popup, open } = await startConnect(fake);
      post({ type: 'JOBBER_ERROR', code: 'access_denied', message: 'The user denied access.' }, { source: popup });
      expect((await screen.findByRole('alert')).textContent).toContain('Jobber access was not granted.');
      const second = fakePopup();
      open.mockReturnValue(second as unknown as Window);
      await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
      // A new popup, opened from the click itself, on its way to Jobber's consent page.
      expect(open).toHaveBeenCalledTimes(2);
      await waitFor(() => expect(second.location.href).toBe(AUTHORIZE_URL));
      expect(fake.bodiesOf('jobber-connect')).toHaveLength(2);
      expect(screen.getAllByText('Waiting for Jobber…').length).toBeGreaterThan(0);
    });

    it('falls back to a full-page redirect when the popup is blocked', async () => {
      const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: makeStatus() } });
      vi.spyOn(window, 'open').mockReturnValue(null);
      const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => {});
      withConnect(fake);
      renderCard(fake);
      await userEvent.click(await screen.findByRole('button', { name: 'Connect Jobber' }));
      await waitFor(() => expect(assign).toHaveBeenCalledWith(AUTHORIZE_URL));
      expect(window.sessionStorage.getItem(CONNECTING_BUSINESS_KEY)).toBe(BUSINESS_ID);
    });

    it('closes the popup and shows the error when jobber-connect fails', async () => {
      const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: makeStatus() } });
      const popup = fakePopup();
      vi.spyOn(window, 'open').mockReturnValue(popup as unknown as Window);
      fake.functions['jobber-connect'] = () => httpError(403, 'forbidden_role', 'Only owners and admins may connect Jobber.');
      renderCard(fake);
      await userEvent.click(await screen.findByRole('button', { name: 'Connect Jobber' }));
      expect((await screen.findByRole('alert')).textContent).toContain('Only owners and admins can change the Jobber connection.');
      expect(popup.close).toHaveBeenCalled();
    });

    it('goes back to the previous state when the popup is closed without a message', async () => {
      const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: makeStatus() } });
      const { popup } = await startConnect(fake);
      popup.closed = true;
      expect(await screen.findByRole('button', { name: 'Connect Jobber' }, { timeout: 2000 })).toBeTruthy();
    });

    it('closes the popup when the user cancels', async () => {
      const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: makeStatus() } });
      const { popup } = await startConnect(fake);
      await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
      expect(popup.close).toHaveBeenCalled();
      expect(await screen.findByRole('button', { name: 'Connect Jobber' })).toBeTruthy();
    });
  });

  describe('actions', () => {
    it('starts a sync through jobber-sync and shows the queued run', async () => {
      const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: connectedStatus() } });
      fake.functions['jobber-sync'] = () => {
        fake.statuses[BUSINESS_ID] = connectedStatus({ sync: { state: 'running', processed: 10, total: 1200 } });
        return ok({ run_id: 'run-2', joined: false });
      };
      renderCard(fake, { role: 'member' });
      await userEvent.click(await screen.findByRole('button', { name: 'Sync Customers' }));
      expect(fake.bodiesOf('jobber-sync')).toEqual([{ business_id: BUSINESS_ID }]);
      expect((await screen.findByRole('progressbar')).getAttribute('aria-valuenow')).toBe('10');
      expect(screen.getByRole('button', { name: 'Sync Customers' })).toHaveProperty('disabled', true);
    });

    it('shows why a sync could not start', async () => {
      const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: connectedStatus() } });
      fake.functions['jobber-sync'] = () => httpError(422, 'not_connected', 'This business is not connected to Jobber.');
      renderCard(fake);
      await userEvent.click(await screen.findByRole('button', { name: 'Sync Customers' }));
      expect((await screen.findByRole('alert')).textContent).toBe('Connect Jobber before syncing customers.');
    });

    it('disconnects through jobber-disconnect only after confirmation', async () => {
      const fake = createFakeSupabase({ statuses: { [BUSINESS_ID]: connectedStatus() } });
      fake.functions['jobber-disconnect'] = () => {
        fake.statuses[BUSINESS_ID] = connectedStatus({ connected: false, connectionStatus: 'disconnected' });
        return ok({ disconnected: true });
      };
      renderCard(fake);
      await userEvent.click(await screen.findByRole('button', { name: 'Disconnect' }));
      expect(fake.bodiesOf('jobber-disconnect')).toEqual([]);
      await userEvent.click(screen.getByRole('button', { name: 'Disconnect' }));
      expect(fake.bodiesOf('jobber-disconnect')).toEqual([{ business_id: BUSINESS_ID }]);
      expect(await screen.findByRole('button', { name: 'Connect Jobber' })).toBeTruthy();
    });
  });
});
