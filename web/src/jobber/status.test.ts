import { describe, expect, it } from 'vitest';
import { connectedStatus, makeStatus } from '../test/fakeSupabase';
import { deriveCardState } from './state';
import { type JobberStatus, parseStatus } from './status';

// The status JSON as the jobber_status view builds it (supabase/migrations/*_build_jobber_status_json.sql)
// for a connected business mid-sync: the card reads exactly this, from the view or from jobber-status.
const FROM_THE_DATABASE = {
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
    finished_at: null,
    error: null,
    created: 40,
    updated: 7,
    removed: 1,
    since: '2025-10-12T03:00:00.000Z',
  },
  webhooks: { last_event_at: '2025-10-12T03:30:00.000Z', pending: 2, failed: 1 },
  jobs: { completed_30d: 12, last_completed_at: '2025-10-12T03:29:00.000Z' },
};

describe('parseStatus', () => {
  it('takes the status JSON of SPEC §5 as the database builds it, unchanged', () => {
    expect(parseStatus(structuredClone(FROM_THE_DATABASE))).toEqual(FROM_THE_DATABASE);
  });

  it('keeps every SPEC §5 key, for a business that never connected too', () => {
    const status = parseStatus(JSON.parse(JSON.stringify(makeStatus())));
    expect(status.connected).toBe(false);
    expect(status.connectionStatus).toBe('disconnected');
    expect(status.sync.state).toBe('never');
    expect(status.sync.total).toBeNull();
    // The keys SPEC §5 gives the status JSON, written out so a dropped key fails here.
    expect(Object.keys(status).sort()).toEqual([
      'account_name', 'connected', 'connection', 'connectionStatus', 'customers', 'error_message',
      'jobs', 'last_sync', 'needs_reconnect', 'sync', 'token_expires_at', 'webhooks',
    ]);
  });

  it('ignores fields it does not know, so the database can add one before the card uses it', () => {
    expect(parseStatus({ ...FROM_THE_DATABASE, reviews: { asked_30d: 4 } })).not.toHaveProperty('reviews');
  });

  it('rejects a status missing a required part, or with an unknown connection status', () => {
    const { customers: _customers, ...withoutCustomers } = FROM_THE_DATABASE;
    expect(() => parseStatus(withoutCustomers)).toThrow(/unexpected shape/);
    expect(() => parseStatus({ ...FROM_THE_DATABASE, connectionStatus: 'weird' })).toThrow(/unexpected shape/);
    expect(() => parseStatus(undefined)).toThrow(/unexpected shape/);
  });
});

describe('deriveCardState', () => {
  const none = { loadError: null, connectError: null, connecting: false };

  it('is loading until a status arrives, and an error when loading failed', () => {
    expect(deriveCardState({ ...none, status: null }).kind).toBe('loading');
    expect(deriveCardState({ ...none, status: null, loadError: 'boom' })).toEqual({ kind: 'error', message: 'boom', status: null, source: 'load' });
  });

  it('picks connecting over everything while the popup is open', () => {
    expect(deriveCardState({ ...none, connecting: true, connectError: 'x', status: connectedStatus() }).kind).toBe('connecting');
  });

  it('reads disconnected, connected, syncing, needs reconnect and error from the status', () => {
    const kind = (status: JobberStatus) => deriveCardState({ ...none, status }).kind;
    expect(kind(makeStatus())).toBe('disconnected');
    expect(kind(makeStatus({ connectionStatus: 'pending' }))).toBe('disconnected');
    expect(kind(connectedStatus())).toBe('connected');
    expect(kind(connectedStatus({ sync: { state: 'queued' } }))).toBe('syncing');
    expect(kind(connectedStatus({ sync: { state: 'running' } }))).toBe('syncing');
    expect(kind(connectedStatus({ sync: { state: 'failed' } }))).toBe('connected');
    expect(kind(connectedStatus({ needs_reconnect: true, error_message: 'Token revoked' }))).toBe('needs_reconnect');
    // Disconnected from Jobber's side: disconnected, but flagged for reconnecting.
    expect(kind(makeStatus({ connectionStatus: 'disconnected', needs_reconnect: true }))).toBe('needs_reconnect');
    expect(kind(makeStatus({ connectionStatus: 'error', error_message: 'Jobber refused the token' }))).toBe('error');
  });

  it('shows a connect error even when the stored status is fine', () => {
    const state = deriveCardState({ ...none, connectError: 'Jobber access was not granted.', status: makeStatus() });
    expect(state).toMatchObject({ kind: 'error', message: 'Jobber access was not granted.', source: 'connect' });
  });
});
