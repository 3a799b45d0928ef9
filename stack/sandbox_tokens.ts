// Tokens for a Jobber sandbox account the way the functions get them - the sandbox's consent page
// answered "allow", then the code exchanged at its token endpoint - for benchmarks and the chaos
// run, which connect many accounts without a browser. Plain fetch only, so vitest can import it too.
import { decodeJwt } from "jose";

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
