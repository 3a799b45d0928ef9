import { disconnectAccount, type Sandbox } from "./context.ts";
import { encodeId, idOf, isoSeconds } from "./ids.ts";
import { escapeHtml as e, html } from "./http.ts";
import { clientName } from "./store.ts";

const CLIENTS_SHOWN = 10;

function postButton(action: string, label: string): string {
  return `<form method="post" action="${e(action)}" class="inline"><button type="submit">${
    e(label)
  }</button></form>`;
}

/** Server-rendered overview: accounts, a few clients, jobs with the actions tests click. */
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
    const jobRows = sb.store.listJobs(account.id).map((j) => {
      const client = sb.store.clients.get(j.clientId);
      const jobId = encodeId("Job", j.id);
      return `<tr><td>#${j.jobNumber}</td><td>${e(j.title)}</td><td>${
        e(client ? clientName(client) : "")
      }</td>
<td>${e(j.jobStatus)}</td><td>${j.completedAt === null ? "" : e(isoSeconds(j.completedAt))}</td>
<td>${postButton(`/ui/jobs/${jobId}/complete`, "Complete")} ${
        postButton(`/ui/jobs/${jobId}/close`, "Close")
      } ${postButton(`/ui/jobs/${jobId}/reopen`, "Reopen")}</td></tr>`;
    }).join("\n");
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
<h3>Clients (${clients.length})</h3><ul>${clientRows}</ul>
<h3>Jobs</h3>
<table><thead><tr><th>No.</th><th>Title</th><th>Client</th><th>Status</th><th>Completed</th><th>Actions</th></tr></thead>
<tbody>${jobRows}</tbody></table></section>`;
  }).join("\n");
  return html(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Jobber sandbox</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}section{border-top:1px solid #ddd;margin-top:1.5rem}
.inline{display:inline}table{border-collapse:collapse}td,th{padding:.25rem .5rem;text-align:left;border-bottom:1px solid #eee}</style>
</head><body><h1>Jobber sandbox</h1><p>A local stand-in for Jobber. Control API under <code>/_sandbox/</code>.</p>
${sections}</body></html>`);
}

/** Form targets for the page's buttons; they redirect back to the page. */
export function uiAction(sb: Sandbox, url: URL): Response | null {
  const back = new Response(null, { status: 303, headers: { location: "/" } });
  const job = /^\/ui\/jobs\/([^/]+)\/(complete|close|reopen)$/.exec(url.pathname);
  if (job) {
    const id = idOf("Job", decodeURIComponent(job[1]!));
    if (id === null || !sb.store.jobs.has(id)) return null;
    if (job[2] === "complete") sb.store.completeJob(id);
    else if (job[2] === "close") sb.store.closeJob(id, "requires_invoicing");
    else sb.store.reopenJob(id);
    return back;
  }
  const disconnect = /^\/ui\/accounts\/([^/]+)\/disconnect$/.exec(url.pathname);
  if (disconnect) {
    const id = idOf("Account", decodeURIComponent(disconnect[1]!));
    if (id === null || !sb.store.accounts.has(id)) return null;
    disconnectAccount(sb, id);
    return back;
  }
  return null;
}
