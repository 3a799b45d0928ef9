import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import { UnsubscribePage } from './UnsubscribePage';

const FUNCTIONS = 'https://project.example.test/functions/v1';
const TOKEN = 'Abc_def-0123456789XYZw';

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** A fetch that answers info and unsubscribe requests from the given responders, recording every call. */
function fakeFetch(answers: { info?: () => Response | Promise<Response>; unsubscribe?: () => Response | Promise<Response> }) {
  return vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    if (url.startsWith(`${FUNCTIONS}/review-unsubscribe-info?`)) return (answers.info ?? (() => json(500, {})))();
    if (url.startsWith(`${FUNCTIONS}/review-unsubscribe?`) && init?.method === 'POST') return (answers.unsubscribe ?? (() => json(500, {})))();
    throw new Error(`unexpected request ${init?.method ?? 'GET'} ${url}`);
  });
}

const notFound = () => json(404, { error: { code: 'not_found', message: 'This unsubscribe link is not valid.' } });

describe('UnsubscribePage', () => {
  it('names the business from the server and unsubscribes with the RFC 8058 one-click request', async () => {
    const fetchImpl = fakeFetch({
      info: () => json(200, { business_name: 'Brightside Cleaning', unsubscribed: false }),
      unsubscribe: () => json(200, { unsubscribed: true }),
    });
    render(<UnsubscribePage functionsUrl={FUNCTIONS} search={`?t=${TOKEN}`} fetchImpl={fetchImpl} />);
    expect(await screen.findByText('Brightside Cleaning')).toBeTruthy();
    expect(fetchImpl).toHaveBeenCalledWith(`${FUNCTIONS}/review-unsubscribe-info?t=${TOKEN}`, expect.anything());

    await userEvent.click(screen.getByRole('button', { name: 'Unsubscribe' }));
    const status = await screen.findByRole('status');
    expect(status.textContent).toBe('You are unsubscribed.Brightside Cleaning will not ask you for a review again.');
    const [url, init] = fetchImpl.mock.calls[1]!;
    expect(url).toBe(`${FUNCTIONS}/review-unsubscribe?t=${TOKEN}`);
    expect(init).toMatchObject({ method: 'POST', body: 'List-Unsubscribe=One-Click' });
    expect(new Headers(init?.headers).get('content-type')).toBe('application/x-www-form-urlencoded');
  });

  it('says so when the address is already unsubscribed, and offers no button', async () => {
    const fetchImpl = fakeFetch({ info: () => json(200, { business_name: 'Brightside Cleaning', unsubscribed: true }) });
    render(<UnsubscribePage functionsUrl={FUNCTIONS} search={`?t=${TOKEN}`} fetchImpl={fetchImpl} />);
    expect((await screen.findByRole('status')).textContent).toMatch(/^You are already unsubscribed\./);
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('says the link is not valid for a token the server does not know', async () => {
    const fetchImpl = fakeFetch({ info: notFound });
    render(<UnsubscribePage functionsUrl={FUNCTIONS} search={`?t=${TOKEN}`} fetchImpl={fetchImpl} />);
    expect((await screen.findByRole('alert')).textContent).toMatch(/^This unsubscribe link is not valid\./);
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('never asks the server about something that cannot be a token, and never shows what the URL says', async () => {
    const fetchImpl = fakeFetch({});
    render(<UnsubscribePage functionsUrl={FUNCTIONS} search="?t=%3Cb%3EEvil%20Corp%3C%2Fb%3E" fetchImpl={fetchImpl} />);
    expect(screen.getByRole('alert').textContent).toMatch(/not valid/);
    expect(document.body.textContent).not.toMatch(/Evil/);
    expect(fetchImpl).not.toHaveBeenCalled();
  });

  it('shows the business only as text: markup in its name is not rendered', async () => {
    const fetchImpl = fakeFetch({ info: () => json(200, { business_name: '<img src=x onerror=alert(1)>', unsubscribed: false }) });
    render(<UnsubscribePage functionsUrl={FUNCTIONS} search={`?t=${TOKEN}`} fetchImpl={fetchImpl} />);
    expect(await screen.findByText('<img src=x onerror=alert(1)>')).toBeTruthy();
    expect(document.querySelector('img')).toBeNull();
  });

  it('when Blipp cannot be reached, says so and tries again on request', async () => {
    let calls = 0;
    const fetchImpl = fakeFetch({
      info: () => {
        calls++;
        if (calls === 1) throw new TypeError('Failed to fetch');
        return json(200, { business_name: 'Brightside Cleaning', unsubscribed: false });
      },
    });
    render(<UnsubscribePage functionsUrl={FUNCTIONS} search={`?t=${TOKEN}`} fetchImpl={fetchImpl} />);
    expect((await screen.findByRole('alert')).textContent).toMatch(/We could not reach Blipp/);
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('button', { name: 'Unsubscribe' })).toBeTruthy();
  });

  it('a failed unsubscribe can be tried again, and a link that stopped being valid says so', async () => {
    const answers = [json(503, {}), notFound()];
    const fetchImpl = fakeFetch({
      info: () => json(200, { business_name: 'Brightside Cleaning', unsubscribed: false }),
      unsubscribe: () => answers.shift()!,
    });
    render(<UnsubscribePage functionsUrl={FUNCTIONS} search={`?t=${TOKEN}`} fetchImpl={fetchImpl} />);
    await userEvent.click(await screen.findByRole('button', { name: 'Unsubscribe' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/not valid/));
  });
});

describe('App', () => {
  it('serves the unsubscribe page at /unsubscribe without signing in', async () => {
    window.history.replaceState(null, '', `/unsubscribe?t=${TOKEN}`);
    const fetchSpy = vi.spyOn(globalThis, 'fetch').mockResolvedValue(json(404, {}));
    render(
      <App
        config={{ ok: true, config: { supabaseUrl: 'https://project.example.test', supabaseAnonKey: 'anon', appOrigin: 'http://localhost:5173', jobberSandboxUrl: null } }}
        pathname="/unsubscribe"
        origin="http://localhost:5173"
      />,
    );
    expect(screen.getByRole('heading', { level: 1, name: 'Unsubscribe from review emails' })).toBeTruthy();
    await waitFor(() => expect(fetchSpy).toHaveBeenCalledWith(`${FUNCTIONS}/review-unsubscribe-info?t=${TOKEN}`, expect.anything()));
    window.history.replaceState(null, '', '/');
  });
});
