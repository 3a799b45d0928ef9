import { disconnectAccount, type Sandbox } from "./context.ts";
import { encodeId, idOf } from "./ids.ts";
import { escapeHtml as e, html } from "../sandbox_http.ts";
import { jobAction, jobsSection, postButton } from "./page_jobs.ts";
import { clientName } from "./store.ts";

const CLIENTS_SHOWN = 10;

/** Server-rendered overview: accounts, their team and a few clients, jobs with the actions tests click. */
export function homePage(sb: Sandbox): Response {
  const redirectUri = sb.options.redirectUris[0] ?? "";
  const sections = [...sb.store.accounts.values()].map((account) => {
    const accountId = encodeId("Account", account.id);
    const connected = sb.auth.isConnected(account.id);
    const clients = sb.store.listClients(account.id);
    const clientRows = clients.slice(0, CLIENTS_SHOWN).map((c) =>
      `<li>${e(clientName(c) || "(no name)")}${c.isArchived ? " <em>archived</em>" : ""}${
        c.isLead ? " <em>lead</em>" : ""
      }</li>`
    ).join("");
    const team = sb.store.listUsers(account.id).map((u) =>
      `<li>${e(`${u.firstName} ${u.lastName}`.trim())}${u.isOwner ? " <em>owner</em>" : ""}</li>`
    ).join("");
    const install = `<form method="get" action="/api/oauth/authorize" class="inline">
<input type="hidden" name="response_type" value="code">
<input type="hidden" name="client_id" value="${e(sb.options.clientId)}">
<input type="hidden" name="redirect_uri" value="${e(redirectUri)}">
<input type="hidden" name="sandbox_account" value="${e(accountId)}">
<button type="submit" aria-label="Install from Marketplace: ${
      e(account.name)
    }">Install from Marketplace</button></form>`;
    return `<section aria-label="${e(account.name)}">
<h2>${e(account.name)} <small>${e(accountId)}</small></h2>
<p>App: <strong data-testid="connection">${connected ? "connected" : "not connected"}</strong>
${install}
${connected ? postButton(`/ui/accounts/${accountId}/disconnect`, "Disconnect app") : ""}</p>
<h3>Team</h3><ul>${team}</ul>
<h3>Clients (${clients.length})</h3><ul>${clientRows}</ul>
${jobsSection(sb, account)}</section>`;
  }).join("\n");
  return html(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Jobber sandbox</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:75rem}section{border-top:1px solid #ddd;margin-top:1.5rem}
.inline{display:inline}table{border-collapse:collapse}td,th{padding:.25rem .5rem;text-align:left;border-bottom:1px solid #eee;vertical-align:top}
.new-job label{margin-right:.75rem}details ol{margin:.25rem 0;padding-left:1.25rem}</style>
</head><body><h1>Jobber sandbox</h1><p>A local stand-in for Jobber. Control API under <code>/_sandbox/</code>.</p>
${sections}</body></html>`);
}

/** Form targets for the page's buttons; they redirect back to the page. */
export async function uiAction(sb: Sandbox, req: Request, url: URL): Promise<Response | null> {
  const disconnect = /^\/ui\/accounts\/([^/]+)\/disconnect$/.exec(url.pathname);
  if (disconnect) {
    const id = idOf("Account", decodeURIComponent(disconnect[1]!));
    if (id === null || !sb.store.accounts.has(id)) return null;
    disconnectAccount(sb, id);
    return new Response(null, { status: 303, headers: { location: "/" } });
  }
  return await jobAction(sb, req, url);
}
