import { render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { APP_ORIGIN } from '../test/fakeSupabase';
import { parseCallbackResult } from './callbackResult';
import { JobberCallbackPage } from './JobberCallbackPage';

function setOpener(opener: unknown) {
  Object.defineProperty(window, 'opener', { value: opener, configurable: true, writable: true });
}

afterEach(() => {
  setOpener(null);
});

function fakeOpener() {
  return { closed: false, postMessage: vi.fn() };
}

describe('JobberCallbackPage', () => {
  it('posts JOBBER_CONNECTED to the opener with exactly the app origin and closes the popup', () => {
    const opener = fakeOpener();
    setOpener(opener);
    const close = vi.spyOn(window, 'close').mockImplementation(() => {});
    render(<JobberCallbackPage appOrigin={APP_ORIGIN} search="?result=connected&account=Sparkle%20Cleaning%20Co" navigate={vi.fn()} />);
    expect(opener.postMessage).toHaveBeenCalledOnce();
    expect(opener.postMessage).toHaveBeenCalledWith({ type: 'JOBBER_CONNECTED', accountName: 'Sparkle Cleaning Co' }, APP_ORIGIN);
    expect(close).toHaveBeenCalledOnce();
  });

  it('posts JOBBER_ERROR with the code and message to the opener', () => {
    const opener = fakeOpener();
    setOpener(opener);
    vi.spyOn(window, 'close').mockImplementation(() => {});
    render(<JobberCallbackPage appOrigin={APP_ORIGIN} search="?result=error&code=access_denied&message=The%20user%20denied%20access." navigate={vi.fn()} />);
    expect(opener.postMessage).toHaveBeenCalledWith({ type: 'JOBBER_ERROR', code: 'access_denied', message: 'The user denied access.' }, APP_ORIGIN);
  });

  it('never posts with a wildcard target origin', () => {
    const opener = fakeOpener();
    setOpener(opener);
    vi.spyOn(window, 'close').mockImplementation(() => {});
    render(<JobberCallbackPage appOrigin={APP_ORIGIN} search="?nonsense=1" navigate={vi.fn()} />);
    for (const call of opener.postMessage.mock.calls) expect(call[1]).toBe(APP_ORIGIN);
    expect(opener.postMessage).toHaveBeenCalledWith({ type: 'JOBBER_ERROR', code: 'unexpected_response', message: 'Jobber sent an unexpected response.' }, APP_ORIGIN);
  });

  it('shows the result and a link back to Blipp when there is no opener', () => {
    const close = vi.spyOn(window, 'close').mockImplementation(() => {});
    render(<JobberCallbackPage appOrigin={APP_ORIGIN} search="?result=connected&account=Sparkle%20Cleaning%20Co" navigate={vi.fn()} />);
    expect(screen.getByText('Connected to Sparkle Cleaning Co')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Back to Blipp' }).getAttribute('href')).toBe('/');
    expect(close).not.toHaveBeenCalled();
  });

  it('shows a readable error when there is no opener', () => {
    render(<JobberCallbackPage appOrigin={APP_ORIGIN} search="?result=error&code=access_denied&message=denied" navigate={vi.fn()} />);
    expect(screen.getByRole('alert').textContent).toBe('Jobber access was not granted.');
  });

  it('does not post to an opener that is already closed', () => {
    const opener = { ...fakeOpener(), closed: true };
    setOpener(opener);
    render(<JobberCallbackPage appOrigin={APP_ORIGIN} search="?result=connected&account=A" navigate={vi.fn()} />);
    expect(opener.postMessage).not.toHaveBeenCalled();
    expect(screen.getByText('Connected to A')).toBeTruthy();
  });

  it('treats missing parameters as an unexpected response', () => {
    render(<JobberCallbackPage appOrigin={APP_ORIGIN} search="" navigate={vi.fn()} />);
    expect(screen.getByRole('alert').textContent).toBe('Jobber sent an unexpected response.');
  });

  it('sends a Marketplace install to the claim screen in the same window', () => {
    const opener = fakeOpener();
    setOpener(opener);
    const navigate = vi.fn();
    render(<JobberCallbackPage appOrigin={APP_ORIGIN} search="?result=claim&claim=tok%2Fen" navigate={navigate} />);
    expect(navigate).toHaveBeenCalledWith('/jobber/claim?claim=tok%2Fen');
    expect(opener.postMessage).not.toHaveBeenCalled();
  });
});

describe('parseCallbackResult', () => {
  it('reads connected, error and claim results', () => {
    expect(parseCallbackResult('?result=connected&account=A')).toEqual({ kind: 'connected', accountName: 'A' });
    expect(parseCallbackResult('?result=error&code=account_in_use&message=M')).toEqual({ kind: 'error', code: 'account_in_use', message: 'M' });
    expect(parseCallbackResult('?result=claim&claim=T')).toEqual({ kind: 'claim', claim: 'T' });
  });

  it('treats a connected result without an account, or an error without a code, as unexpected', () => {
    for (const search of ['?result=connected', '?result=error&message=x', '?result=claim', '?result=other']) {
      expect(parseCallbackResult(search)).toMatchObject({ kind: 'error', code: 'unexpected_response' });
    }
  });
});
