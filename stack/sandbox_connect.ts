// Connecting Jobber sandbox accounts without a browser, for benchmarks and the chaos run: tokens the
// way the functions get them (the sandbox's consent page answered "allow", then the code exchanged
// at its token endpoint), stored as jobber-complete stores them, the initial sync woken, and the
// wait until that sync and the first reconciliation are done. Plain fetch and a `postgres`
// connection only, so vitest can import it too.
import type postgres from "postgres";
import { decodeJwt } from "jose";

type Sql = postgres.Sql;

/** JSON over HTTP to a sandbox's control API (or anything answering JSON); non-2xx throws. */
export async function callJson<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${base}${path} answered ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

export interface SandboxApp {
  sandboxUrl: string;
  clientId: string;
  clientSecret: string;
  /** The redirect URI the sandbox was started with (byte for byte). */
  redirectUri: string;
}

export interface SandboxTokens {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
}

export async function sandboxTokens(app: SandboxApp, accountId: string): Promise<SandboxTokens> {
  const authorize = new URL(`${app.sandboxUrl}/api/oauth/authorize`);
  authorize.search = new URLSearchParams({ response_type: "code", client_id: app.clientId, redirect_uri: app.redirectUri, state: "bench" })
    .toString();
  const page = await (await fetch(authorize)).text();
  const fields: Record<string, string> = {};
  for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = m[2]!.replace(/&amp;/g, "&");
  const decision = await fetch(`${app.sandboxUrl}/api/oauth/authorize`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ ...fields, account_id: accountId, decision: "allow" }).toString(),
  });
  await decision.body?.cancel();
  const code = new URL(decision.headers.get("location")!).searchParams.get("code");
  if (!code) throw new Error(`The sandbox's consent page gave no code for account ${accountId}`);
  const token = await fetch(`${app.sandboxUrl}/api/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({
      client_id: app.clientId,
      client_secret: app.clientSecret,
      grant_type: "authorization_code",
      code,
      redirect_uri: app.redirectUri,
    }).toString(),
  });
  if (!token.ok) throw new Error(`The sandbox's token endpoint answered ${token.status}: ${await token.text()}`);
  const body = (await token.json()) as { access_token: string; refresh_token: string };
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    expiresAt: new Date(decodeJwt(body.access_token).exp! * 1000),
  };
}

/**
 * The business's connection has settled: a first reconciliation has run (it follows the first full
 * sync) and no sync is queued or running - what tests and benchmarks wait for before closing jobs.
 */
export async function isConnectionSettled(sql: Sql, businessId: string): Promise<boolean> {
  const [row] = await sql<{ ready: boolean }[]>`
    select i.last_job_sync_at is not null and not exists (
      select 1 from public.jobber_sync_runs r where r.business_id = i.business_id and r.state in ('queued', 'running')) as ready
    from public.integrations_jobber i where i.business_id = ${businessId}`;
  return row?.ready === true;
}

/** Connects `businessId` to the sandbox account and waits until its connection has settled. */
export async function connectSandboxAccount(
  sql: Sql,
  app: SandboxApp,
  businessId: string,
  account: { id: string; name: string },
  timeoutMs = 60_000,
): Promise<void> {
  const tokens = await sandboxTokens(app, account.id);
  const [connected] = await sql<{ run_id: string }[]>`
    select private.jobber_store_connection(${businessId}, ${account.id}, ${account.name}, ${tokens.accessToken},
                                           ${tokens.refreshToken}, ${tokens.expiresAt}) as run_id`;
  await sql`select private.wake_worker('continue_syncs', ${sql.json({ run_ids: [connected!.run_id] })}::jsonb)`;
  const deadline = Date.now() + timeoutMs;
  while (!(await isConnectionSettled(sql, businessId))) {
    if (Date.now() > deadline) throw new Error(`The connection of business ${businessId} did not settle within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
