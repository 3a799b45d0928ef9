import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { StrictMode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { APP_ORIGIN, BUSINESS_ID, createFakeSupabase, httpError, ok } from '../test/fakeSupabase';
import { GENERIC_FAILURE } from '../jobber/messages';
import { parseCallbackResult } from './callbackResult';
import { JobberCallbackPage } from './JobberCallbackPage';

const TICKET = 'tIcKeT_0123456789abcdefghijklmnopqrstuvwxyz';
const USER = { id: 'user-owner', email: 'owner@demo.test' };

function setOpener(opener: unknown) {
  Object.defineProperty(window, 'opener', { value: opener, configurable: true, writable: true });
}

afterEach(() => {
  setOpener(null);
});

function fakeOpener() {
  return { closed: false, postMessage: vi.fn() };
}

/** A signed-in browser whose jobber-complete answers `answer`. */
function signedIn(answer = () => ok({ result: 'connected', account_name: 'Sparkle Cleaning Co', business_id: BUSINESS_ID })) {
  const fake = createFakeSupabase({ signedInAs: USER });
  fake.functions['jobber-complete'] = answer;
  return fake;
}

function renderPage(search: string, supabase: ReturnType<typeof createFakeSupabase>['client'] | null = null, navigate = vi.fn()) {
  render(<JobberCallbackPage appOrigin={APP_ORIGIN} supabase={supabase} search={search} navigate={navigate} />);
  return navigate;
}

describe('JobberCallbackPage, finishing a connection (result=confirm)', () => {
  it('finishes with the signed-in user, posts JOBBER_CONNECTED to the opener with exactly the app origin and closes', async () => {
    const opener = fakeOpener();
    setOpener(opener);
    const close = vi.spyOn(window, 'close').mockImplementation(() => {});
    const fake = signedIn();
    renderPage(`?result=confirm&ticket=${TICKET}`, fake.client);
    await waitFor(() => expect(opener.postMessage).toHaveBeenCalledOnce());
    expect(fake.bodiesOf('jobber-complete')).toEqual([{ ticket: TICKET }]);
    expect(opener.postMessage).toHaveBeenCalledWith({ type: 'JOBBER_CONNECTED', accountName: 'Sparkle Cleaning Co' }, APP_ORIGIN);
    expect(close).toHaveBeenCalledOnce();
  });

  it('shows the account jobber-complete named, and a link back, when there is no opener (the popup was blocked)', async () => {
    const close = vi.spyOn(window, 'close').mockImplementation(() => {});
    renderPage(`?result=confirm&ticket=${TICKET}`, signedIn().client);
    expect((await screen.findByText('Connected to Sparkle Cleaning Co')).closest('[role="status"]')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Back to Blipp' }).getAttribute('href')).toBe('/');
    expect(close).not.toHaveBeenCalled();
  });

  it('calls jobber-complete exactly once, even under StrictMode', async () => {
    const fake = signedIn();
    render(
      <StrictMode>
        <JobberCallbackPage appOrigin={APP_ORIGIN} supabase={fake.client} search={`?result=confirm&ticket=${TICKET}`} navigate={vi.fn()} />
      </StrictMode>,
    );
    await screen.findByText('Connected to Sparkle Cleaning Co');
    expect(fake.bodiesOf('jobber-complete')).toHaveLength(1);
  });

  it('signed out, asks the person who started connecting to sign in and completes nothing until they do', async () => {
    const fake = createFakeSupabase();
    fake.functions['jobber-complete'] = () => ok({ result: 'connected', account_name: 'Sparkle Cleaning Co', business_id: BUSINESS_ID });
    renderPage(`?result=confirm&ticket=${TICKET}`, fake.client);
    expect(await screen.findByText('sign in as the person who clicked Connect Jobber in Blipp')).toBeTruthy();
    expect(screen.getByText(/If someone else sent you a link .* nothing has been connected\./)).toBeTruthy();
    expect(fake.bodiesOf('jobber-complete')).toEqual([]);

    await userEvent.type(screen.getByLabelText('Email'), 'owner@demo.test');
    await userEvent.type(screen.getByLabelText('Password'), 'password123');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('Connected to Sparkle Cleaning Co')).toBeTruthy();
    expect(fake.bodiesOf('jobber-complete')).toEqual([{ ticket: TICKET }]);
  });

  it('tells someone who did not start connecting that only that person can finish it, and reports the error to the opener', async () => {
    const opener = fakeOpener();
    setOpener(opener);
    vi.spyOn(window, 'close').mockImplementation(() => {});
    renderPage(`?result=confirm&ticket=${TICKET}`, signedIn(() => httpError(403, 'not_initiator', 'server words')).client);
    await waitFor(() => expect(opener.postMessage).toHaveBeenCalledOnce());
    const [message, target] = opener.postMessage.mock.calls[0]!;
    expect(target).toBe(APP_ORIGIN);
    expect(message).toMatchObject({ type: 'JOBBER_ERROR', code: 'not_initiator' });
    expect(message.message).toMatch(/^Only the person who started connecting Jobber can finish it\. Nothing was connected\./);
  });

  it('tells a Jobber owner who was sent someone else\'s link that nothing was connected', async () => {
    renderPage(`?result=confirm&ticket=${TICKET}`, signedIn(() => httpError(403, 'not_a_member', 'server words')).client);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe(
      'This connection was started by someone else, for a business you are not part of. Nothing was connected. If someone sent you this link, you can close this page.',
    );
  });

  it('explains a used or expired ticket, and Jobber failures, in fixed words', async () => {
    renderPage(`?result=confirm&ticket=${TICKET}`, signedIn(() => httpError(404, 'not_found', 'x')).client);
    expect((await screen.findByRole('alert')).textContent).toContain('expired or was already used. Nothing was connected.');
  });

  it('says what is missing when the app has no Supabase settings', () => {
    renderPage(`?result=confirm&ticket=${TICKET}`, null);
    expect(screen.getByRole('alert').textContent).toContain('missing its Supabase settings');
  });
});

describe('JobberCallbackPage, never text from its address', () => {
  it('shows fixed wording for a known code and ignores message=', () => {
    renderPage('?result=error&code=access_denied&message=Your%20Blipp%20account%20is%20suspended.%20Call%20555-0100');
    expect(screen.getByRole('alert').textContent).toBe('Jobber access was not granted.');
    expect(document.body.textContent).not.toContain('suspended');
    expect(document.body.textContent).not.toContain('555-0100');
  });

  it('shows one generic line for an unknown code, without repeating the code', () => {
    renderPage('?result=error&code=account_suspended_call_support&message=Call%20555-0100');
    expect(screen.getByRole('alert').textContent).toBe(GENERIC_FAILURE);
    expect(document.body.textContent).not.toContain('account_suspended');
    expect(document.body.textContent).not.toContain('555-0100');
  });

  it('treats an old-style result=connected&account=… as unexpected and never shows the account text', () => {
    renderPage('?result=connected&account=Your%20account%20is%20suspended');
    expect(screen.getByRole('alert').textContent).toBe('Jobber sent an unexpected response.');
    expect(document.body.textContent).not.toContain('suspended');
  });

  it('posts JOBBER_ERROR with its own wording, never the message from the address', () => {
    const opener = fakeOpener();
    setOpener(opener);
    vi.spyOn(window, 'close').mockImplementation(() => {});
    renderPage('?result=error&code=rate_limited&message=Send%20your%20password');
    expect(opener.postMessage).toHaveBeenCalledWith(
      { type: 'JOBBER_ERROR', code: 'rate_limited', message: 'Too many connection attempts right now. Try again in a minute.' },
      APP_ORIGIN,
    );
  });

  it('never posts with a wildcard target origin', () => {
    const opener = fakeOpener();
    setOpener(opener);
    vi.spyOn(window, 'close').mockImplementation(() => {});
    renderPage('?nonsense=1');
    for (const call of opener.postMessage.mock.calls) expect(call[1]).toBe(APP_ORIGIN);
    expect(opener.postMessage).toHaveBeenCalledWith({ type: 'JOBBER_ERROR', code: 'unexpected_response', message: 'Jobber sent an unexpected response.' }, APP_ORIGIN);
  });
});

describe('JobberCallbackPage, other results', () => {
  it('does not post to an opener that is already closed', () => {
    const opener = { ...fakeOpener(), closed: true };
    setOpener(opener);
    renderPage('?result=error&code=access_denied');
    expect(opener.postMessage).not.toHaveBeenCalled();
    expect(screen.getByRole('alert').textContent).toBe('Jobber access was not granted.');
  });

  it('treats missing parameters as an unexpected response', () => {
    renderPage('');
    expect(screen.getByRole('alert').textContent).toBe('Jobber sent an unexpected response.');
  });

  it('sends a Marketplace install to the claim screen in the same window', () => {
    const opener = fakeOpener();
    setOpener(opener);
    const navigate = renderPage('?result=claim&claim=tok%2Fen');
    expect(navigate).toHaveBeenCalledWith('/jobber/claim?claim=tok%2Fen');
    expect(opener.postMessage).not.toHaveBeenCalled();
  });

  it('says a repeated Marketplace install changed nothing', () => {
    renderPage('?result=already_connected');
    expect(screen.getByRole('status').textContent).toContain('This Jobber account is already connected to Blipp.');
  });
});

describe('parseCallbackResult', () => {
  it('reads confirm, claim, already_connected and error results', () => {
    expect(parseCallbackResult(`?result=confirm&ticket=${TICKET}`)).toEqual({ kind: 'confirm', ticket: TICKET });
    expect(parseCallbackResult('?result=claim&claim=T')).toEqual({ kind: 'claim', claim: 'T' });
    expect(parseCallbackResult('?result=already_connected')).toEqual({ kind: 'already_connected' });
    expect(parseCallbackResult('?result=error&code=account_in_use&message=M')).toEqual({ kind: 'error', code: 'account_in_use' });
  });

  it('treats a malformed ticket or code, and anything else, as unexpected', () => {
    for (const search of ['?result=confirm', '?result=confirm&ticket=short', '?result=error&code=<b>x</b>', '?result=claim', '?result=connected&account=A', '?result=other']) {
      expect(parseCallbackResult(search)).toEqual({ kind: 'error', code: 'unexpected_response' });
    }
  });
});
