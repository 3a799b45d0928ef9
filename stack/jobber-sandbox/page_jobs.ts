// The demo page's jobs: each account's jobs with their visits and the buttons a person clicks to
// play Jobber (complete a visit or the whole job, close, reopen, delete), and a form for a new
// job. Every button does exactly what the control API route of the same name does.
import type { Sandbox } from "./context.ts";
import { PLACES, UNPLACED_ADDRESS } from "./geo.ts";
import { encodeId, idOf, isoSeconds } from "./ids.ts";
import { escapeHtml as e, html } from "../sandbox_http.ts";
import type { AccountRecord, JobRecord, VisitRecord } from "./model.ts";
import { clientName, type Store } from "./store.ts";
import {
  closeJob,
  completeJob,
  completeVisit,
  createJob,
  deleteJob,
  jobStatus,
  MAX_VISITS,
  reopenJob,
  visitsOf,
  WorkError,
} from "./work.ts";

/** How many clients the new-job form offers (the first ones, as a person would scroll). */
const CLIENTS_OFFERED = 50;

export function postButton(action: string, label: string, ariaLabel = label): string {
  return `<form method="post" action="${e(action)}" class="inline"><button type="submit" aria-label="${
    e(ariaLabel)
  }">${e(label)}</button></form>`;
}

const when = (ms: number) => `${isoSeconds(ms).slice(0, 16).replace("T", " ")} UTC`;

function userNames(store: Store, v: VisitRecord): string {
  const names = v.assignedUserIds.map((id) => store.users.get(id)).filter((u) => u !== undefined)
    .map((u) => `${u.firstName} ${u.lastName}`.trim());
  return names.length > 0 ? names.join(", ") : "unassigned";
}

function visitItem(store: Store, job: JobRecord, v: VisitRecord, n: number): string {
  const visitId = encodeId("Visit", v.id);
  const state = v.completedAt === null
    ? postButton(
      `/ui/visits/${visitId}/complete`,
      "Complete visit",
      `Complete visit ${n} of job #${job.jobNumber}`,
    )
    : `completed ${e(when(v.completedAt))}`;
  return `<li>${e(when(v.startAt))} · ${e(userNames(store, v))} · ${state}</li>`;
}

function propertyCell(store: Store, job: JobRecord): string {
  const p = store.properties.get(job.propertyId);
  if (!p) return "";
  const place = [p.address.city, p.address.province].filter(Boolean).join(", ") || "(no address)";
  const pin = p.coordinates
    ? `${p.coordinates.latitude.toFixed(4)}, ${p.coordinates.longitude.toFixed(4)}`
    : "no coordinates";
  return `${e(place)}<br><small>${e(pin)}</small>`;
}

function jobRow(store: Store, job: JobRecord): string {
  const jobId = encodeId("Job", job.id);
  const client = store.clients.get(job.clientId);
  const visits = visitsOf(store, job);
  const done = visits.filter((v) => v.completedAt !== null).length;
  const n = `#${job.jobNumber}`;
  const actions = [
    done < visits.length ? postButton(`/ui/jobs/${jobId}/complete`, "Complete", `Complete job ${n}`) : "",
    job.closedStatus === null
      ? postButton(`/ui/jobs/${jobId}/close`, "Close", `Close job ${n}`)
      : postButton(`/ui/jobs/${jobId}/reopen`, "Reopen", `Reopen job ${n}`),
    postButton(`/ui/jobs/${jobId}/delete`, "Delete", `Delete job ${n}`),
  ].filter(Boolean).join(" ");
  const visitList = `<details><summary>${done} of ${visits.length} done</summary><ol>${
    visits.map((v, i) => visitItem(store, job, v, i + 1)).join("")
  }</ol></details>`;
  return `<tr data-job="${e(jobId)}"><td>${e(n)}</td><td>${e(job.title)}</td><td>${
    e(client ? clientName(client) : "")
  }</td><td>${propertyCell(store, job)}</td><td>${e(job.total.toFixed(2))}</td>
<td data-testid="job-status">${e(jobStatus(store, job))}</td><td>${
    job.completedAt === null ? "" : e(when(job.completedAt))
  }</td><td>${visitList}</td><td>${actions}</td></tr>`;
}

function newJobForm(store: Store, account: AccountRecord): string {
  const accountId = encodeId("Account", account.id);
  const clients = store.listClients(account.id).slice(0, CLIENTS_OFFERED).map((c) =>
    `<option value="${e(encodeId("Client", c.id))}">${e(clientName(c) || "(no name)")}</option>`
  ).join("");
  const users = store.listUsers(account.id).map((u) =>
    `<option value="${e(encodeId("User", u.id))}">${e(`${u.firstName} ${u.lastName}`.trim())}</option>`
  ).join("");
  const places = PLACES.map((p) =>
    `<option value="${e(p.key)}">${
      e(`${p.address.city}, ${p.address.province || p.address.country}`)
    }</option>`
  ).join("");
  const label = (text: string, control: string) => `<label>${e(text)} ${control}</label>`;
  return `<form method="post" action="/ui/accounts/${
    e(accountId)
  }/jobs" class="new-job" aria-label="New job for ${e(account.name)}">
${label("Client", `<select name="clientId" required>${clients}</select>`)}
${label("Title", `<input name="title" required maxlength="200" value="Gutter cleaning">`)}
${label("Visits", `<input name="visits" type="number" min="1" max="${MAX_VISITS}" value="1">`)}
${label("Total", `<input name="total" type="number" min="0" step="0.01" value="150">`)}
${label("Technician", `<select name="assignedUserId"><option value="">unassigned</option>${users}</select>`)}
${
    label(
      "Property",
      `<select name="place"><option value="">client's property</option>${places}<option value="unplaced">rural address (not geocoded)</option></select>`,
    )
  }
<button type="submit">Create job</button></form>`;
}

export function jobsSection(sb: Sandbox, account: AccountRecord): string {
  const rows = sb.store.listJobs(account.id).map((j) => jobRow(sb.store, j)).join("\n");
  return `<h3>Jobs</h3>
<table><thead><tr><th>No.</th><th>Title</th><th>Client</th><th>Property</th><th>Total</th><th>Status</th><th>Completed</th><th>Visits</th><th>Actions</th></tr></thead>
<tbody>${rows}</tbody></table>
<h4>New job</h4>
${newJobForm(sb.store, account)}`;
}

function formValue(form: FormData, name: string): string {
  const v = form.get(name);
  return typeof v === "string" ? v.trim() : "";
}

function refused(): Response {
  // Fixed wording: the page never shows text taken from the request.
  return html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Jobber sandbox</title></head><body><p role="alert">That job could not be created: check the form and try again.</p><p><a href="/">Back</a></p></body></html>`,
    400,
  );
}

function createFromForm(sb: Sandbox, accountId: number, form: FormData): Response | null {
  const clientId = idOf("Client", formValue(form, "clientId"));
  const title = formValue(form, "title");
  const visits = Number(formValue(form, "visits") || "1");
  const total = Number(formValue(form, "total") || "0");
  const rawUser = formValue(form, "assignedUserId");
  const userId = rawUser === "" ? null : idOf("User", rawUser);
  const placeKey = formValue(form, "place");
  const place = PLACES.find((p) => p.key === placeKey);
  if (
    clientId === null || title === "" || title.length > 200 || !Number.isFinite(total) || total < 0 ||
    (rawUser !== "" && userId === null) || (placeKey !== "" && placeKey !== "unplaced" && !place)
  ) {
    return refused();
  }
  try {
    createJob(sb.store, accountId, {
      clientId,
      title,
      visits,
      total,
      assignedUserIds: userId === null ? [] : [userId],
      propertyAddress: place
        ? { ...place.address }
        : placeKey === "unplaced"
        ? { ...UNPLACED_ADDRESS }
        : undefined,
    });
  } catch (error) {
    if (error instanceof WorkError) return refused();
    throw error;
  }
  return null;
}

/**
 * Form targets of the jobs section. Answers null when the path is not one of them or names no
 * such job / visit / account; a click that no longer applies (a second click on Close) changes
 * nothing and still goes back to the page.
 */
export async function jobAction(sb: Sandbox, req: Request, url: URL): Promise<Response | null> {
  const back = new Response(null, { status: 303, headers: { location: "/" } });
  const tolerate = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      if (!(error instanceof WorkError)) throw error;
    }
    return back;
  };
  const job = /^\/ui\/jobs\/([^/]+)\/(complete|close|reopen|delete)$/.exec(url.pathname);
  if (job) {
    const id = idOf("Job", decodeURIComponent(job[1]!));
    if (id === null || !sb.store.jobs.has(id)) return null;
    const store = sb.store;
    if (job[2] === "complete") return tolerate(() => completeJob(store, id));
    if (job[2] === "close") return tolerate(() => closeJob(store, id, "requires_invoicing"));
    if (job[2] === "reopen") return tolerate(() => reopenJob(store, id));
    return tolerate(() => deleteJob(store, id));
  }
  const visit = /^\/ui\/visits\/([^/]+)\/complete$/.exec(url.pathname);
  if (visit) {
    const id = idOf("Visit", decodeURIComponent(visit[1]!));
    if (id === null || !sb.store.visits.has(id)) return null;
    return tolerate(() => completeVisit(sb.store, id));
  }
  const create = /^\/ui\/accounts\/([^/]+)\/jobs$/.exec(url.pathname);
  if (create) {
    const id = idOf("Account", decodeURIComponent(create[1]!));
    if (id === null || !sb.store.accounts.has(id)) return null;
    const form = await req.formData().catch(() => null);
    if (!form) return refused();
    return createFromForm(sb, id, form) ?? back;
  }
  return null;
}
