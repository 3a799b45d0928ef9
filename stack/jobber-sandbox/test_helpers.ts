// Shared by the *_test.ts files: start a sandbox, walk the OAuth flow, call GraphQL, receive webhooks.
import type { SandboxOptions } from "./options.ts";
import { type RunningSandbox, startSandbox } from "./server.ts";
export { control, waitFor } from "../sandbox_testing.ts";

export const REDIRECT = "http://127.0.0.1:1/callback";
export const VERSION = "2025-04-16";

export function start(options: Partial<SandboxOptions> = {}, now?: () => number): Promise<RunningSandbox> {
  return startSandbox({
    port: 0,
    quiet: true,
    redirectUris: [REDIRECT],
    webhookUrl: "http://127.0.0.1:9/none",
    ...options,
  }, now);
}

export async function withSandbox(
  options: Partial<SandboxOptions>,
  fn: (s: RunningSandbox) => Promise<void>,
  now?: () => number,
): Promise<void> {
  const s = await start(options, now);
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

export async function accountIds(s: RunningSandbox): Promise<string[]> {
  const state = await (await fetch(`${s.url}/_sandbox/state`)).json() as { accounts: Array<{ id: string }> };
  return state.accounts.map((a) => a.id);
}

/** Clicks through consent as a user would: returns the redirect Location. */
export async function consent(
  s: RunningSandbox,
  opts: { accountId?: string; state?: string | null; decision?: "allow" | "deny"; redirectUri?: string } = {},
): Promise<string> {
  const form = new URLSearchParams({
    client_id: s.sandbox.options.clientId,
    redirect_uri: opts.redirectUri ?? REDIRECT,
    response_type: "code",
    decision: opts.decision ?? "allow",
    account_id: opts.accountId ?? (await accountIds(s))[0]!,
  });
  if (opts.state != null) form.set("state", opts.state);
  const res = await fetch(`${s.url}/api/oauth/authorize`, { method: "POST", body: form, redirect: "manual" });
  await res.body?.cancel();
  if (res.status !== 302) throw new Error(`Consent answered ${res.status}`);
  return res.headers.get("location")!;
}

export async function tokenRequest(s: RunningSandbox, fields: Record<string, string>): Promise<Response> {
  return await fetch(`${s.url}/api/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: s.sandbox.options.clientId,
      client_secret: s.sandbox.options.clientSecret,
      ...fields,
    }),
  });
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  accountId: string;
}

export async function connect(s: RunningSandbox, accountId?: string): Promise<Tokens> {
  const account = accountId ?? (await accountIds(s))[0]!;
  const location = new URL(await consent(s, { accountId: account, state: "xyz" }));
  const res = await tokenRequest(s, {
    grant_type: "authorization_code",
    code: location.searchParams.get("code")!,
    redirect_uri: REDIRECT,
  });
  const body = await res.json() as { access_token: string; refresh_token: string };
  return { ...body, accountId: account };
}

export async function gqlRaw(
  s: RunningSandbox,
  token: string | null,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = { "x-jobber-graphql-version": VERSION },
): Promise<Response> {
  return await fetch(`${s.url}/api/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
}

export async function gql(
  s: RunningSandbox,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
  // deno-lint-ignore no-explicit-any
): Promise<any> {
  const res = await gqlRaw(s, token, query, variables);
  if (res.status !== 200) throw new Error(`GraphQL answered ${res.status}: ${await res.text()}`);
  return await res.json();
}

export interface Received {
  body: string;
  headers: Headers;
  at: number;
}

/** A webhook receiver; `respond` decides each answer (may sleep to simulate a slow app). */
export function receiver(respond: (n: number) => Promise<number> | number = () => 200) {
  const received: Received[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.text();
    received.push({ body, headers: req.headers, at: Date.now() });
    const status = await respond(received.length);
    return new Response(null, { status });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    received,
    close: () => server.shutdown(),
  };
}

/** A clock a test moves by hand, starting at `start`. */
export function manualClock(start: number) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}
