import type { JobberMessage } from '../jobber/messages';
import { callbackErrorText } from '../jobber/messages';

/**
 * What jobber-callback put in the redirect. Only structure is read from the address: a result, an
 * error code (shown through fixed wording), and the one-time ticket or claim (never shown).
 */
export type CallbackResult =
  | { kind: 'confirm'; ticket: string }
  | { kind: 'claim'; claim: string }
  | { kind: 'already_connected' }
  | { kind: 'error'; code: string };

/** How a finished connection ends on the page (from jobber-complete's JSON, never the address). */
export type ConnectOutcome = { kind: 'connected'; accountName: string } | { kind: 'error'; code: string; message: string };

const TOKEN = /^[A-Za-z0-9_-]{20,100}$/;
const CODE = /^[a-z][a-z_]{0,39}$/;

export function parseCallbackResult(search: string): CallbackResult {
  const params = new URLSearchParams(search);
  const result = params.get('result');
  if (result === 'confirm') {
    const ticket = params.get('ticket')?.trim() ?? '';
    if (TOKEN.test(ticket)) return { kind: 'confirm', ticket };
  } else if (result === 'claim') {
    const claim = params.get('claim')?.trim() ?? '';
    if (claim) return { kind: 'claim', claim };
  } else if (result === 'already_connected') {
    return { kind: 'already_connected' };
  } else if (result === 'error') {
    const code = params.get('code')?.trim() ?? '';
    // An odd-looking code is reported as unexpected rather than passed along.
    return { kind: 'error', code: CODE.test(code) ? code : 'unexpected_response' };
  }
  return { kind: 'error', code: 'unexpected_response' };
}

/** What the page tells the window that opened the popup; the message is always our own wording. */
export function toJobberMessage(outcome: ConnectOutcome | { kind: 'error'; code: string }): JobberMessage {
  if (outcome.kind === 'connected') return { type: 'JOBBER_CONNECTED', accountName: outcome.accountName };
  const message = 'message' in outcome ? outcome.message : callbackErrorText(outcome.code);
  return { type: 'JOBBER_ERROR', code: outcome.code, message };
}
