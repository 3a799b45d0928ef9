import { applyLatency, type Sandbox } from "./context.ts";
import { encodeId } from "./ids.ts";
import { escapeHtml, html, json } from "../sandbox_http.ts";

// Doorkeeper's wording, which Jobber's OAuth server answers with.
const INVALID_CODE =
  "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.";
const INVALID_REFRESH = "The provided refresh token is not valid.";

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}
fieldset{border:1px solid #ccc;border-radius:6px;margin:1rem 0}label{display:block;margin:.4rem 0}
button{font-size:1rem;padding:.5rem 1rem;margin-right:.5rem}</style></head><body>${body}</body></html>`;
}

function errorPage(message: string): Response {
  return html(
    page(
      "Jobber: authorization error",
      `<h1>Authorization error</h1><p role="alert">${escapeHtml(message)}</p>`,
    ),
    400,
  );
}

interface AuthorizeParams {
  clientId: string | null;
  redirectUri: string | null;
  responseType: string | null;
  state: string | null;
}

/** The same checks guard the consent page and its form post: unknown client or URI never redirects. */
function validateAuthorize(sb: Sandbox, p: AuthorizeParams): string | null {
  if (p.clientId !== sb.options.clientId) return "The client identifier provided is invalid.";
  // Byte-for-byte, as Jobber compares it: a trailing slash or newline is a different URI.
  if (p.redirectUri === null || !sb.options.redirectUris.includes(p.redirectUri)) {
    return "The redirect uri included is not valid.";
  }
  if (p.responseType !== "code") return "The authorization server does not support this response type.";
  return null;
}

export function authorizePage(sb: Sandbox, url: URL): Response {
  const q = url.searchParams;
  const params: AuthorizeParams = {
    clientId: q.get("client_id"),
    redirectUri: q.get("redirect_uri"),
    responseType: q.get("response_type"),
    state: q.get("state"),
  };
  const problem = validateAuthorize(sb, params);
  if (problem) return errorPage(problem);
  const preselect = q.get("sandbox_account");
  const accounts = [...sb.store.accounts.values()];
  const chosen = accounts.find((a) => encodeId("Account", a.id) === preselect) ?? accounts[0];
  const radios = accounts.map((a) => {
    const id = encodeId("Account", a.id);
    return `<label><input type="radio" name="account_id" value="${escapeHtml(id)}"${
      a === chosen ? " checked" : ""
    }> ${escapeHtml(a.name)}</label>`;
  }).join("\n");
  const hidden = [
    ["client_id", params.clientId],
    ["redirect_uri", params.redirectUri],
    ["response_type", params.responseType],
    ...(params.state !== null ? [["state", params.state]] : []),
  ].map(([n, v]) => `<input type="hidden" name="${escapeHtml(n)}" value="${escapeHtml(v)}">`).join("\n");
  const app = escapeHtml(sb.options.appName);
  return html(page(
    `Connect ${sb.options.appName} to Jobber`,
    `<h1>Connect ${app} to Jobber</h1>
<p><strong>${app}</strong> would like to access your Jobber account: read clients, read jobs and visits.</p>
<form method="post" action="/api/oauth/authorize">
<fieldset><legend>Choose the account to connect</legend>
${radios}
</fieldset>
${hidden}
<button type="submit" name="decision" value="allow">Allow access</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  ));
}

export async function authorizeDecision(sb: Sandbox, req: Request): Promise<Response> {
  const form = await req.formData().catch(() => null);
  if (!form) return errorPage("The request is missing a required parameter.");
  const get = (n: string) => {
    const v = form.get(n);
    return typeof v === "string" ? v : null;
  };
  const params: AuthorizeParams = {
    clientId: get("client_id"),
    redirectUri: get("redirect_uri"),
    responseType: get("response_type"),
    state: get("state"),
  };
  const problem = validateAuthorize(sb, params);
  if (problem) return errorPage(problem);
  const redirectUri = params.redirectUri!;
  if (get("decision") !== "allow") {
    // Jobber sends the user back with no query parameters at all when they deny.
    sb.log("oauth_denied", {});
    return new Response(null, { status: 302, headers: { location: redirectUri } });
  }
  const accountParam = get("account_id");
  const account = [...sb.store.accounts.values()].find((a) => encodeId("Account", a.id) === accountParam);
  if (!account) return errorPage("Choose an account to connect.");
  const code = sb.auth.issueCode(account.id, params.clientId!, redirectUri);
  const target = new URL(redirectUri);
  target.searchParams.set("code", code);
  if (params.state !== null) target.searchParams.set("state", params.state);
  sb.log("oauth_code_issued", {
    accountId: encodeId("Account", account.id),
    withState: params.state !== null,
  });
  return new Response(null, { status: 302, headers: { location: target.toString() } });
}

async function readTokenBody(req: Request): Promise<Record<string, string> | null> {
  const type = req.headers.get("content-type") ?? "";
  try {
    if (type.includes("application/json")) {
      // Jobber tolerates JSON bodies too (some integrators send them); form is what its docs show.
      const value = await req.json();
      if (typeof value !== "object" || value === null) return null;
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
    }
    const text = await req.text();
    return Object.fromEntries(new URLSearchParams(text));
  } catch {
    return null;
  }
}

export async function tokenEndpoint(sb: Sandbox, req: Request): Promise<Response> {
  await applyLatency(sb);
  if (sb.faults.failNext.token5xx > 0) {
    sb.faults.failNext.token5xx--;
    return json({ error: "server_error" }, sb.faults.failNext.status);
  }
  const body = await readTokenBody(req);
  if (!body) {
    return json({ error: "invalid_request", error_description: "The request body could not be read." }, 400);
  }
  const grant = body.grant_type;
  if (grant === "authorization_code" || grant === "refresh_token") sb.counters.tokenCalls[grant]++;
  if (body.client_id !== sb.options.clientId || body.client_secret !== sb.options.clientSecret) {
    sb.log("oauth_token_rejected", { grant, reason: "invalid_client" });
    return json({ error: "invalid_client" }, 401);
  }
  let accountId: number | null;
  if (grant === "authorization_code") {
    if (!body.code || !body.redirect_uri) {
      return json({
        error: "invalid_request",
        error_description: "The request is missing a required parameter.",
      }, 400);
    }
    accountId = sb.auth.redeemCode(body.code, body.client_id, body.redirect_uri);
    if (accountId === null) {
      sb.log("oauth_token_rejected", { grant, reason: "invalid_grant" });
      return json({ error: "invalid_grant", error_description: INVALID_CODE }, 400);
    }
  } else if (grant === "refresh_token") {
    accountId = body.refresh_token ? sb.auth.redeemRefreshToken(body.refresh_token) : null;
    if (accountId === null) {
      sb.log("oauth_token_rejected", { grant, reason: "invalid_grant" });
      return json({ error: "invalid_grant", error_description: INVALID_REFRESH }, 400);
    }
  } else {
    return json({
      error: "unsupported_grant_type",
      error_description: "The authorization grant type is not supported by the authorization server.",
    }, 400);
  }
  const account = sb.store.accounts.get(accountId);
  const tokens = await sb.auth.issueTokens(accountId, account?.ownerUserId ?? 0);
  sb.log("oauth_tokens_issued", { grant, accountId: encodeId("Account", accountId) });
  // Only these two fields: Jobber sends no expires_in, the JWT's exp says when it expires.
  return json({ access_token: tokens.access_token, refresh_token: tokens.refresh_token });
}
