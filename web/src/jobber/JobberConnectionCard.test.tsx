import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { connectedStatus, makeStatus } from '../test/fakeSupabase';
import { JobberConnectionCardView, syncResultText, type JobberConnectionCardViewProps } from './JobberConnectionCard';
import { formatTime } from './format';
import { deriveCardState, type CardState, type Role } from './state';
import type { JobberStatus } from './status';

const NOW = Date.parse('2025-10-12T03:32:49.112Z'); // 5 minutes after the fixture's last sync

function stateOf(status: JobberStatus): CardState {
  return deriveCardState({ status, loadError: null, connectError: null, connecting: false });
}

function renderCard(state: CardState, { role = 'owner', busy = null, actionError = null }: { role?: Role; busy?: 'sync' | 'disconnect' | 'replay' | null; actionError?: string | null } = {}) {
  const connection: JobberConnectionCardViewProps['connection'] = {
    state,
    busy,
    actionError,
    connect: vi.fn(),
    cancelConnect: vi.fn(),
    sync: vi.fn(async () => {}),
    disconnect: vi.fn(async () => {}),
    replay: vi.fn(async () => {}),
    retry: vi.fn(async () => {}),
  };
  render(<JobberConnectionCardView connection={connection} role={role} now={NOW} />);
  return connection;
}

describe('JobberConnectionCardView', () => {
  it('shows a loading message while the status is unknown', () => {
    renderCard({ kind: 'loading' });
    expect(screen.getAllByText('Loading Jobber status…').length).toBeGreaterThan(0);
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('offers "Connect Jobber" to an owner when disconnected', async () => {
    const connection = renderCard(stateOf(makeStatus()));
    expect(screen.getByRole('heading', { name: 'Jobber' })).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Connect Jobber' }));
    expect(connection.connect).toHaveBeenCalledOnce();
  });

  it('shows "Waiting for Jobber…" and a Cancel button while connecting', async () => {
    const connection = renderCard({ kind: 'connecting' });
    expect(screen.getAllByText('Waiting for Jobber…').length).toBeGreaterThan(0);
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(connection.cancelConnect).toHaveBeenCalledOnce();
  });

  it('shows the account name, a "Connected to Jobber" banner, counts, last sync time and webhook health when connected', () => {
    renderCard(stateOf(connectedStatus({ webhooks: { last_event_at: '2025-10-12T02:00:00.000Z' } })));
    expect(screen.getByRole('heading', { name: 'Sparkle Cleaning Co' })).toBeTruthy();
    expect(screen.getByText('Connected to Jobber')).toBeTruthy();
    expect(screen.getByText('Customers from Jobber').nextElementSibling?.textContent).toBe('1,200');
    const time = screen.getByText('5 minutes ago');
    expect(time.tagName).toBe('TIME');
    expect(time.getAttribute('dateTime')).toBe('2025-10-12T03:27:49.112Z');
    expect(time.getAttribute('title')).toBeTruthy();
    expect(screen.getByText('Receiving updates')).toBeTruthy();
    expect(screen.getByText('Last sync: 1,200 new customers')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Sync Customers' })).toHaveProperty('disabled', false);
    expect(screen.getByRole('button', { name: 'Disconnect' })).toBeTruthy();
  });

  it('says no updates were received yet when no webhook has arrived', () => {
    renderCard(stateOf(connectedStatus({ webhooks: { last_event_at: null } })));
    expect(screen.getByText('No updates received yet')).toBeTruthy();
  });

  it('says how many webhook updates failed', () => {
    renderCard(stateOf(connectedStatus({ webhooks: { last_event_at: '2025-10-12T02:00:00.000Z', failed: 3 } })));
    expect(screen.getByText('3 updates failed')).toBeTruthy();
  });

  it('shows when the last update arrived and how many wait to be applied', () => {
    renderCard(stateOf(connectedStatus({ webhooks: { last_event_at: '2025-10-12T03:32:30.000Z', pending: 4 } })));
    const row = screen.getByText('Updates from Jobber').nextElementSibling!;
    expect(row.textContent).toBe('● Receiving updates (last just now) · 4 updates waiting');
    expect(within(row as HTMLElement).getByText('just now').getAttribute('dateTime')).toBe('2025-10-12T03:32:30.000Z');
  });

  it('offers an owner Replay for failed updates, described by the failed count', async () => {
    const connection = renderCard(stateOf(connectedStatus({ webhooks: { last_event_at: '2025-10-12T02:00:00.000Z', failed: 3 } })));
    const replay = screen.getByRole('button', { name: 'Replay' });
    expect(document.getElementById(replay.getAttribute('aria-describedby')!)?.textContent).toBe('▲ 3 updates failed');
    await userEvent.click(replay);
    expect(connection.replay).toHaveBeenCalledOnce();
  });

  it('shows "Replaying…" on a disabled Replay while the replay runs', () => {
    renderCard(stateOf(connectedStatus({ webhooks: { failed: 1 } })), { role: 'admin', busy: 'replay' });
    expect(screen.getByRole('button', { name: 'Replaying…' })).toHaveProperty('disabled', true);
  });

  it('shows members the failed count but no Replay button', () => {
    renderCard(stateOf(connectedStatus({ webhooks: { failed: 2 } })), { role: 'member' });
    expect(screen.getByText('2 updates failed')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Replay' })).toBeNull();
    expect(screen.getByText('Ask an owner or admin to replay them.', { exact: false })).toBeTruthy();
  });

  it('counts the jobs done in the last 30 days, with the latest one', () => {
    renderCard(stateOf(connectedStatus({ jobs: { completed_30d: 1234, last_completed_at: '2025-10-12T01:32:49.112Z' } })));
    expect(screen.getByText('Jobs done (30 days)').nextElementSibling?.textContent).toBe('1,234 (last 2 hours ago)');
  });

  it('says so when Jobber disconnected the app, with Reconnect for an owner', async () => {
    const status = makeStatus({
      connectionStatus: 'disconnected',
      needs_reconnect: true,
      error_message: 'Jobber says this app was disconnected from the Jobber account, or that the account is no longer active. Reconnect Jobber to resume.',
      account_name: 'Sparkle Cleaning Co',
    });
    const connection = renderCard(stateOf(status));
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Disconnected in Jobber');
    expect(screen.getByRole('status').textContent).toBe('Disconnected in Jobber. Reconnect to resume.');
    await userEvent.click(screen.getByRole('button', { name: 'Reconnect' }));
    expect(connection.connect).toHaveBeenCalledOnce();
    expect(screen.queryByRole('button', { name: 'Replay' })).toBeNull();
  });

  it('tells a member that Jobber disconnected the app, without a Reconnect button', () => {
    renderCard(stateOf(makeStatus({ connectionStatus: 'disconnected', needs_reconnect: true })), { role: 'member' });
    expect(screen.getByRole('alert').textContent).toContain('Disconnected in Jobber');
    expect(screen.queryByRole('button', { name: 'Reconnect' })).toBeNull();
  });

  it('shows a progress bar with the processed and total counts while syncing, with Sync Customers disabled', () => {
    renderCard(stateOf(connectedStatus({ sync: { state: 'running', processed: 800, total: 1200, synced: 800 } })));
    const bar = screen.getByRole('progressbar', { name: 'Customer sync progress' });
    expect(bar.getAttribute('aria-valuemin')).toBe('0');
    expect(bar.getAttribute('aria-valuemax')).toBe('1200');
    expect(bar.getAttribute('aria-valuenow')).toBe('800');
    expect(screen.getAllByText('Syncing customers… 800 of 1,200').length).toBeGreaterThan(0);
    expect(screen.getByRole('button', { name: 'Sync Customers' })).toHaveProperty('disabled', true);
  });

  it('announces sync progress in a polite live region', () => {
    renderCard(stateOf(connectedStatus({ sync: { state: 'running', processed: 800, total: 1200 } })));
    const live = screen.getByRole('status');
    expect(live.getAttribute('aria-live')).toBe('polite');
    expect(live.textContent).toBe('Syncing customers… 800 of 1,200');
  });

  it('announces the connection in one sentence, even for an account whose name ends with a full stop', () => {
    renderCard(stateOf(connectedStatus({ account_name: 'Sparkle Cleaning Co.' })));
    expect(screen.getByRole('status').textContent).toBe('Connected to Jobber as Sparkle Cleaning Co.');
  });

  it('shows an indeterminate progress bar when the total is not known yet', () => {
    renderCard(stateOf(connectedStatus({ sync: { state: 'running', processed: 150, total: null } })));
    const bar = screen.getByRole('progressbar');
    expect(bar.getAttribute('aria-valuenow')).toBeNull();
    expect(screen.getAllByText('Syncing customers… 150 so far').length).toBeGreaterThan(0);
  });

  it('shows a failed run with its error and a "Retry sync" button', async () => {
    const connection = renderCard(stateOf(connectedStatus({ sync: { state: 'failed', error: 'Jobber was unavailable.' } })));
    expect(screen.getByText('Last sync failed: Jobber was unavailable.')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Retry sync' }));
    expect(connection.sync).toHaveBeenCalledOnce();
  });

  it('asks for confirmation in the card before disconnecting', async () => {
    const connection = renderCard(stateOf(connectedStatus()));
    await userEvent.click(screen.getByRole('button', { name: 'Disconnect' }));
    expect(connection.disconnect).not.toHaveBeenCalled();
    const dialog = screen.getByRole('alertdialog', { name: 'Disconnect Jobber?' });
    expect(within(dialog).getByText('Customers already imported stay in Blipp.')).toBeTruthy();
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Disconnect' }));
    expect(connection.disconnect).toHaveBeenCalledOnce();
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('does not disconnect when the confirmation is cancelled, and puts focus back on Disconnect', async () => {
    const connection = renderCard(stateOf(connectedStatus()));
    await userEvent.click(screen.getByRole('button', { name: 'Disconnect' }));
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(connection.disconnect).not.toHaveBeenCalled();
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Disconnect' }));
  });

  it('closes the confirmation with Escape', async () => {
    renderCard(stateOf(connectedStatus()));
    await userEvent.click(screen.getByRole('button', { name: 'Disconnect' }));
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('lets members sync but not connect, reconnect or disconnect', () => {
    renderCard(stateOf(connectedStatus()), { role: 'member' });
    expect(screen.getByRole('button', { name: 'Sync Customers' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Disconnect' })).toBeNull();
  });

  it('does not offer Connect Jobber to members', () => {
    renderCard(stateOf(makeStatus()), { role: 'member' });
    expect(screen.queryByRole('button', { name: 'Connect Jobber' })).toBeNull();
    expect(screen.getByText(/Ask an owner or admin/)).toBeTruthy();
  });

  it('does not offer Reconnect Jobber to members', () => {
    renderCard(stateOf(connectedStatus({ needs_reconnect: true, error_message: 'Jobber revoked access.' })), { role: 'member' });
    expect(screen.queryByRole('button', { name: 'Reconnect Jobber' })).toBeNull();
  });

  it('warns that Jobber needs reconnecting, with the reason and a Reconnect Jobber button', async () => {
    const connection = renderCard(stateOf(connectedStatus({ needs_reconnect: true, error_message: 'Jobber revoked access.' })), { role: 'admin' });
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Jobber needs to be reconnected');
    expect(alert.textContent).toContain('Jobber revoked access.');
    await userEvent.click(screen.getByRole('button', { name: 'Reconnect Jobber' }));
    expect(connection.connect).toHaveBeenCalledOnce();
  });

  it('shows the error and "Try again" (reload) plus "Reconnect Jobber" when the connection itself failed', async () => {
    const connection = renderCard(stateOf(makeStatus({ connectionStatus: 'error', error_message: 'Jobber refused the token.' })));
    expect(screen.getByRole('alert').textContent).toContain('Jobber refused the token.');
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(connection.retry).toHaveBeenCalledOnce();
    expect(connection.connect).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Reconnect Jobber' })).toBeTruthy();
  });

  it('starts the connection again from "Try again" after connecting failed', async () => {
    const state = deriveCardState({ status: makeStatus(), loadError: null, connectError: 'Jobber access was not granted.', connecting: false });
    const connection = renderCard(state);
    expect(screen.getByRole('alert').textContent).toContain('Jobber access was not granted.');
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(connection.connect).toHaveBeenCalledOnce();
    expect(connection.retry).not.toHaveBeenCalled();
    expect(screen.queryByRole('button', { name: 'Reconnect Jobber' })).toBeNull();
  });

  it('reloads from "Try again" when the status could not be loaded', async () => {
    const state = deriveCardState({ status: null, loadError: 'Jobber could not be reached.', connectError: null, connecting: false });
    const connection = renderCard(state);
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(connection.retry).toHaveBeenCalledOnce();
    expect(connection.connect).not.toHaveBeenCalled();
  });

  it('says what a sync changed instead of how many customers it looked at', () => {
    renderCard(stateOf(connectedStatus({ sync: { kind: 'incremental', created: 0, updated: 3, synced: 25 } })));
    expect(screen.getByText('Last sync: 3 updated', { exact: false })).toBeTruthy();
    expect(screen.queryByText(/25 customers/)).toBeNull();
  });

  it('says "Up to date" with the time it looked from when a sync found nothing new', () => {
    const since = '2025-10-12T03:02:00.000Z';
    renderCard(stateOf(connectedStatus({ sync: { kind: 'incremental', created: 0, updated: 0, synced: 0, since } })));
    expect(screen.getByText(`Up to date — no changes since ${formatTime(since)}`, { exact: false })).toBeTruthy();
    expect(screen.queryByText(/0 customers/)).toBeNull();
  });

  it('shows a failed action as an alert without leaving the current state', () => {
    renderCard(stateOf(connectedStatus()), { actionError: 'Connect Jobber before syncing customers.' });
    expect(screen.getByRole('alert').textContent).toBe('Connect Jobber before syncing customers.');
    expect(screen.getByText('Connected to Jobber')).toBeTruthy();
  });
});

describe('syncResultText', () => {
  const sync = connectedStatus().sync;
  it('lists new, updated and removed customers and what could not be imported', () => {
    expect(syncResultText({ ...sync, created: 2, updated: 1, removed: 1, errors: 0 })).toBe('Last sync: 2 new customers, 1 updated, 1 removed in Jobber');
    expect(syncResultText({ ...sync, created: 1, updated: 0, removed: 0, errors: 2 })).toBe('Last sync: 1 new customer, 2 could not be imported');
  });

  it('is up to date when nothing changed; a full run names no time', () => {
    expect(syncResultText({ ...sync, kind: 'full', created: 0, updated: 0, removed: 0, errors: 0, since: null })).toBe('Up to date — no changes');
    expect(syncResultText({ ...sync, kind: 'incremental', created: 0, updated: 0, removed: 0, errors: 1, since: null })).toBe(
      'Last sync: no changes; 1 could not be imported',
    );
  });
});
