// Drives "Connect Jobber" end to end without a browser: the card's functions.invoke, the sandbox's
// consent form (read from its HTML, submitted as the browser would), and Jobber's redirect back to
// jobber-callback, which lands on the dashboard. Every response can be recorded for secrecy checks.
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
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

async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${stack.sandboxUrl}/_sandbox/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`sandbox ${method} ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

export const sandbox = {
  reset: () => control<{ ok: boolean }>('POST', 'reset', {}),
  createAccount: (name: string) => control<{ id: string; name: string }>('POST', 'accounts', { name }),
  counters: () => control<{ tokenCalls: { authorization_code: number; refresh_token: number }; graphqlCalls: number }>('GET', 'counters'),
  expireTokens: (accountId: string) => control<{ expired: boolean }>('POST', `accounts/${encodeURIComponent(accountId)}/tokens/expire`, {}),
  state: () => control<{ accounts: { id: string; name: string; connected: boolean }[] }>('GET', 'state'),
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

export interface ConnectResult {
  /** The dashboard page the callback redirected to. */
  landing: URL;
  /** The URL Jobber sent the browser to (holds the one-time code). */
  callbackUrl: URL;
  code: string | null;
  state: string;
}

function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1]!] = m[2]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'");
  }
  return fields;
}

/** Clicks Connect as `client`, picks `accountId` on Jobber's consent page, and follows the redirects. */
export async function connectThroughSandbox(
  client: SupabaseClient,
  businessId: string,
  accountId: string,
  options: { decision?: 'allow' | 'deny'; log?: ResponseLog } = {},
): Promise<ConnectResult> {
  const { data, error } = await client.functions.invoke('jobber-connect', { body: { business_id: businessId } });
  if (error) throw new Error(`jobber-connect failed: ${error.message}`);
  const authorizeUrl = new URL((data as { url: string }).url);
  const state = authorizeUrl.searchParams.get('state')!;

  const page = await fetch(authorizeUrl);
  if (page.status !== 200) throw new Error(`consent page answered ${page.status}`);
  const form = hiddenFields(await page.text());

  const decision = await fetch(`${stack.sandboxUrl}/api/oauth/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...form, account_id: accountId, decision: options.decision ?? 'allow' }).toString(),
  });
  if (decision.status !== 302) throw new Error(`consent decision answered ${decision.status}: ${await decision.text()}`);
  const callbackUrl = new URL(decision.headers.get('location')!);

  const landing = await followCallback(callbackUrl, options.log);
  return { landing, callbackUrl, code: callbackUrl.searchParams.get('code'), state };
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
