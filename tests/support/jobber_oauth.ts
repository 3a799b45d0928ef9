// Drives "Connect Jobber" end to end without a browser: the card's functions.invoke, the sandbox's
// consent form (read from its HTML, submitted as the browser would), Jobber's redirect back to
// jobber-callback, which lands on the dashboard's callback page, and that page's call to
// jobber-complete (SPEC §12). Every response can be recorded for secrecy checks.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { sandboxControl } from './sandbox_control';
import { stack } from './stack';
import { TEST_PASSWORD } from './jobber_fixtures';

export interface SeenResponse {
  url: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Everything the browser saw; tests grep it for secrets. */
export class ResponseLog {
  readonly seen: SeenResponse[] = [];

  async record(url: string, res: Response): Promise<void> {
    const body = res.status === 204 || res.status === 302 || res.status === 301 ? '' : await res.clone().text();
    this.seen.push({ url, status: res.status, headers: Object.fromEntries(res.headers.entries()), body });
  }

  /** A fetch for supabase-js that records every answer. */
  fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const res = await fetch(input, init);
    await this.record(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url, res);
    return res;
  };

  /** What came back (status, headers, body); the request URLs are ours, so they are left out. */
  text(): string {
    return this.seen.map((r) => `${r.status}\n${JSON.stringify(r.headers)}\n${r.body}`).join('\n');
  }
}

export async function signIn(email: string, log?: ResponseLog): Promise<SupabaseClient> {
  const client = createClient(stack.supabaseUrl, stack.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
    ...(log ? { global: { fetch: log.fetch } } : {}),
  });
  const { error } = await client.auth.signInWithPassword({ email, password: TEST_PASSWORD });
  if (error) throw new Error(`Cannot sign in ${email}: ${error.message}`);
  return client;
}

export async function accessTokenOf(client: SupabaseClient): Promise<string> {
  const { data } = await client.auth.getSession();
  if (!data.session) throw new Error('not signed in');
  return data.session.access_token;
}

// ---- the sandbox's control API --------------------------------------------------------------------

export const sandbox = {
  reset: () => sandboxControl<{ ok: boolean }>('POST', 'reset', {}),
  createAccount: (name: string) => sandboxControl<{ id: string; name: string }>('POST', 'accounts', { name }),
  counters: () => sandboxControl<{ tokenCalls: { authorization_code: number; refresh_token: number }; graphqlCalls: number }>('GET', 'counters'),
  /** A Marketplace-style consent (no state): the code Jobber would send to the callback. */
  marketplaceCode: async (accountId: string): Promise<string> => {
    const authorize = new URL(`${stack.sandboxUrl}/api/oauth/authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: 'blipp-local',
      redirect_uri: `${stack.supabaseUrl}/functions/v1/jobber-callback`,
    }).toString();
    const callback = await approveInJobber(authorize, accountId);
    return callback.searchParams.get('code')!;
  },
  expireTokens: (accountId: string) => sandboxControl<{ expired: boolean }>('POST', `accounts/${encodeURIComponent(accountId)}/tokens/expire`, {}),
  state: () => sandboxControl<{ accounts: { id: string; name: string; connected: boolean }[] }>('GET', 'state'),
  /** Jobber's token endpoint, as the functions call it. */
  token: (fields: Record<string, string>) =>
    fetch(`${stack.sandboxUrl}/api/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        client_id: 'blipp-local',
        client_secret: process.env.JOBBER_CLIENT_SECRET ?? '',
        ...fields,
      }).toString(),
    }),
  graphql: (accessToken: string, query: string) =>
    fetch(`${stack.sandboxUrl}/api/graphql`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/json',
        'x-jobber-graphql-version': '2025-04-16',
      },
      body: JSON.stringify({ query }),
    }),
};

// ---- the OAuth dance ------------------------------------------------------------------------------

export interface Completion {
  status: number;
  body: any;
}

export interface ConnectResult {
  /** The dashboard page the callback redirected to (result=confirm&ticket=… on the happy path). */
  landing: URL;
  /** The URL Jobber sent the browser to (holds the one-time code). */
  callbackUrl: URL;
  code: string | null;
  state: string;
  /** What jobber-complete answered the callback page, when the callback handed it a ticket. */
  completion: Completion | null;
  /** "connected", or the error code from the callback's redirect or from jobber-complete. */
  outcome: string;
}

function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1]!] = m[2]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'");
  }
  return fields;
}

/** Starts connecting as `client`: jobber-connect's consent URL (with its state). */
export async function startConnect(client: SupabaseClient, businessId: string): Promise<URL> {
  const { data, error } = await client.functions.invoke('jobber-connect', { body: { business_id: businessId } });
  if (error) throw new Error(`jobber-connect failed: ${error.message}`);
  return new URL((data as { url: string }).url);
}

/**
 * Whoever has `authorizeUrl` opens it, picks `accountId` on Jobber's consent page and decides; returns
 * the jobber-callback URL Jobber sends their browser to. In the victim scenario this is not the user
 * who started connecting.
 */
export async function approveInJobber(authorizeUrl: URL, accountId: string, decision: 'allow' | 'deny' = 'allow'): Promise<URL> {
  const page = await fetch(authorizeUrl);
  if (page.status !== 200) throw new Error(`consent page answered ${page.status}`);
  const form = hiddenFields(await page.text());
  const answer = await fetch(`${stack.sandboxUrl}/api/oauth/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...form, account_id: accountId, decision }).toString(),
  });
  if (answer.status !== 302) throw new Error(`consent decision answered ${answer.status}: ${await answer.text()}`);
  return new URL(answer.headers.get('location')!);
}

/** jobber-complete as the callback page calls it: the ticket, with `client`'s session (or none). */
export async function completeTicket(client: SupabaseClient | null, ticket: string, log?: ResponseLog): Promise<Completion> {
  const headers: Record<string, string> = { apikey: stack.anonKey, 'content-type': 'application/json' };
  if (client) headers['authorization'] = `Bearer ${await accessTokenOf(client)}`;
  const res = await fetch(`${stack.supabaseUrl}/functions/v1/jobber-complete`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ ticket }),
  });
  await log?.record(res.url, res);
  return { status: res.status, body: await res.json() };
}

/**
 * Clicks Connect as `client`, picks `accountId` on Jobber's consent page, follows the redirects, and
 * lets the callback page finish with `client`'s session, as the popup does.
 */
export async function connectThroughSandbox(
  client: SupabaseClient,
  businessId: string,
  accountId: string,
  options: { decision?: 'allow' | 'deny'; log?: ResponseLog } = {},
): Promise<ConnectResult> {
  const authorizeUrl = await startConnect(client, businessId);
  const state = authorizeUrl.searchParams.get('state')!;
  const callbackUrl = await approveInJobber(authorizeUrl, accountId, options.decision ?? 'allow');
  const landing = await followCallback(callbackUrl, options.log);
  const ticket = landing.searchParams.get('result') === 'confirm' ? landing.searchParams.get('ticket') : null;
  const completion = ticket ? await completeTicket(client, ticket, options.log) : null;
  const outcome = completion
    ? completion.status === 200 ? String(completion.body.result) : String(completion.body.error?.code)
    : landing.searchParams.get('code') ?? landing.searchParams.get('result') ?? 'none';
  return { landing, callbackUrl, code: callbackUrl.searchParams.get('code'), state, completion, outcome };
}

/** GETs jobber-callback as the browser would and returns the dashboard URL it redirects to. */
export async function followCallback(callbackUrl: URL, log?: ResponseLog): Promise<URL> {
  const res = await fetch(callbackUrl, { redirect: 'manual' });
  await log?.record(callbackUrl.href, res);
  if (res.status !== 302) throw new Error(`jobber-callback answered ${res.status}: ${await res.text()}`);
  return new URL(res.headers.get('location')!);
}

/** jobber-status as the card calls it, with the raw response. */
export async function statusOf(client: SupabaseClient, businessId: string, log?: ResponseLog): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.supabaseUrl}/functions/v1/jobber-status`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await accessTokenOf(client)}`,
      apikey: stack.anonKey,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ business_id: businessId }),
  });
  await log?.record(res.url, res);
  return { status: res.status, body: await res.json() };
}
