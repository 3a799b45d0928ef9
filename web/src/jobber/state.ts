import type { JobberStatus } from './status';
import { isSyncActive } from './status';

export type Role = 'owner' | 'admin' | 'member';

export function canManageConnection(role: Role): boolean {
  return role === 'owner' || role === 'admin';
}

/** Every state the card can be in; the card renders exactly one of these. */
export type CardState =
  | { kind: 'loading' }
  | { kind: 'disconnected'; status: JobberStatus }
  | { kind: 'connecting' }
  | { kind: 'connected'; status: JobberStatus }
  | { kind: 'syncing'; status: JobberStatus }
  | { kind: 'needs_reconnect'; status: JobberStatus; message: string | null }
  | {
      kind: 'error';
      message: string;
      status: JobberStatus | null;
      /**
       * What failed: starting the connection (so "Try again" starts it again), loading the status,
       * or the connection itself (Jobber refused it: reconnect).
       */
      source: 'connect' | 'load' | 'connection';
    };

export interface CardStateInputs {
  status: JobberStatus | null;
  /** Loading failed and there is no status to show. */
  loadError: string | null;
  /** The connect flow failed (invoke error, or Jobber reported an error through the callback page). */
  connectError: string | null;
  connecting: boolean;
}

export function deriveCardState({ status, loadError, connectError, connecting }: CardStateInputs): CardState {
  if (connecting) return { kind: 'connecting' };
  if (connectError !== null) return { kind: 'error', message: connectError, status, source: 'connect' };
  if (status === null) return loadError === null ? { kind: 'loading' } : { kind: 'error', message: loadError, status: null, source: 'load' };
  if (status.needs_reconnect) return { kind: 'needs_reconnect', status, message: status.error_message };
  switch (status.connectionStatus) {
    case 'error':
      return { kind: 'error', message: status.error_message ?? 'The Jobber connection has a problem.', status, source: 'connection' };
    case 'connected':
      return isSyncActive(status) ? { kind: 'syncing', status } : { kind: 'connected', status };
    case 'pending':
    case 'disconnected':
      return { kind: 'disconnected', status };
  }
}
