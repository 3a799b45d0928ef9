import { describe, expect, it } from 'vitest';
import { connectedRow, makeRow } from '../test/fakeSupabase';
import { deriveCardState } from './state';
import { parseStatusJson, parseStatusRow, statusFromRow } from './status';

describe('statusFromRow', () => {
  it('maps every jobber_status view column to the status JSON of SPEC §5', () => {
    const row = connectedRow({
      last_webhook_at: '2025-10-12T03:30:00.000Z',
      webhooks_pending: 2,
      webhooks_failed: 1,
      sync_state: 'running',
      sync_kind: 'incremental',
      sync_processed: 800,
      sync_synced: 790,
      sync_errors: 10,
      sync_error: null,
    });
    expect(statusFromRow(row)).toEqual({
      connected: true,
      connectionStatus: 'connected',
      account_name: 'Sparkle Cleaning Co',
      last_sync: '2025-10-12T03:27:49.112Z',
      token_expires_at: '2025-10-12T04:27:49.112Z',
      connection: { account_name: 'Sparkle Cleaning Co', last_sync: '2025-10-12T03:27:49.112Z', connected_at: '2025-10-12T03:00:00.000Z' },
      needs_reconnect: false,
      error_message: null,
      customers: { total: 1234, from_jobber: 1200 },
      sync: {
        run_id: '33333333-3333-4333-8333-333333333333',
        kind: 'incremental',
        state: 'running',
        processed: 800,
        total: 1200,
        synced: 790,
        errors: 10,
        started_at: '2025-10-12T03:20:00.000Z',
        finished_at: '2025-10-12T03:27:49.112Z',
        error: null,
      },
      webhooks: { last_event_at: '2025-10-12T03:30:00.000Z', pending: 2, failed: 1 },
    });
  });

  it('maps a never-connected business to a disconnected status with the same keys', () => {
    const status = statusFromRow(makeRow());
    expect(status.connected).toBe(false);
    expect(status.connectionStatus).toBe('disconnected');
    expect(status.sync.state).toBe('never');
    expect(status.sync.total).toBeNull();
    // The keys SPEC §5 gives the status JSON, written out so a dropped key fails here.
    expect(Object.keys(status).sort()).toEqual([
      'account_name', 'connected', 'connection', 'connectionStatus', 'customers', 'error_message',
      'last_sync', 'needs_reconnect', 'sync', 'token_expires_at', 'webhooks',
    ]);
  });
});

describe('parseStatusRow', () => {
  it('accepts counts that PostgREST sends as strings', () => {
    const status = parseStatusRow({ ...makeRow(), customers_total: '1234', sync_total: '1200' });
    expect(status.customers.total).toBe(1234);
    expect(status.sync.total).toBe(1200);
  });

  it('rejects a row with an unknown connection status', () => {
    expect(() => parseStatusRow({ ...makeRow(), connection_status: 'weird' })).toThrow(/unexpected shape/);
  });
});

describe('parseStatusJson', () => {
  it('accepts the status JSON jobber-status answers and gives the same result as the view mapper', () => {
    const status = statusFromRow(connectedRow());
    expect(parseStatusJson(JSON.parse(JSON.stringify(status)))).toEqual(status);
  });

  it('ignores extra fields and rejects missing required ones', () => {
    expect(parseStatusJson({ ...statusFromRow(makeRow()), extra: 1 })).not.toHaveProperty('extra');
    const { customers: _customers, ...withoutCustomers } = statusFromRow(makeRow());
    expect(() => parseStatusJson(withoutCustomers)).toThrow(/unexpected shape/);
  });
});

describe('deriveCardState', () => {
  const none = { loadError: null, connectError: null, connecting: false };

  it('is loading until a status arrives, and an error when loading failed', () => {
    expect(deriveCardState({ ...none, status: null }).kind).toBe('loading');
    expect(deriveCardState({ ...none, status: null, loadError: 'boom' })).toEqual({ kind: 'error', message: 'boom', status: null });
  });

  it('picks connecting over everything while the popup is open', () => {
    expect(deriveCardState({ ...none, connecting: true, connectError: 'x', status: statusFromRow(connectedRow()) }).kind).toBe('connecting');
  });

  it('reads disconnected, connected, syncing, needs reconnect and error from the status', () => {
    const kind = (row: ReturnType<typeof makeRow>) => deriveCardState({ ...none, status: statusFromRow(row) }).kind;
    expect(kind(makeRow())).toBe('disconnected');
    expect(kind(makeRow({ connection_status: 'pending' }))).toBe('disconnected');
    expect(kind(connectedRow())).toBe('connected');
    expect(kind(connectedRow({ sync_state: 'queued' }))).toBe('syncing');
    expect(kind(connectedRow({ sync_state: 'running' }))).toBe('syncing');
    expect(kind(connectedRow({ sync_state: 'failed' }))).toBe('connected');
    expect(kind(connectedRow({ needs_reconnect: true, error_message: 'Token revoked' }))).toBe('needs_reconnect');
    expect(kind(makeRow({ connection_status: 'error', error_message: 'Jobber refused the token' }))).toBe('error');
  });

  it('shows a connect error even when the stored status is fine', () => {
    const state = deriveCardState({ ...none, connectError: 'Jobber access was not granted.', status: statusFromRow(makeRow()) });
    expect(state).toMatchObject({ kind: 'error', message: 'Jobber access was not granted.' });
  });
});
