import type { JobberMessage } from '../jobber/messages';
import { describeError, UNEXPECTED_RESPONSE } from '../jobber/messages';

export type CallbackResult =
  | { kind: 'connected'; accountName: string }
  | { kind: 'error'; code: string; message: string }
  | { kind: 'claim'; claim: string };

const MAX_TEXT = 300;

function param(params: URLSearchParams, name: string): string | null {
  const value = params.get(name)?.trim();
  return value ? value.slice(0, MAX_TEXT) : null;
}

/** Reads what jobber-callback put in the redirect; anything unexpected becomes an error result. */
export function parseCallbackResult(search: string): CallbackResult {
  const params = new URLSearchParams(search);
  const result = params.get('result');
  if (result === 'connected') {
    const accountName = param(params, 'account');
    if (accountName) return { kind: 'connected', accountName };
  } else if (result === 'error') {
    const code = param(params, 'code');
    if (code) return { kind: 'error', code, message: param(params, 'message') ?? describeError(code) };
  } else if (result === 'claim') {
    const claim = params.get('claim')?.trim();
    if (claim) return { kind: 'claim', claim };
  }
  return { kind: 'error', code: 'unexpected_response', message: UNEXPECTED_RESPONSE };
}

export function toJobberMessage(result: Exclude<CallbackResult, { kind: 'claim' }>): JobberMessage {
  return result.kind === 'connected'
    ? { type: 'JOBBER_CONNECTED', accountName: result.accountName }
    : { type: 'JOBBER_ERROR', code: result.code, message: result.message };
}
