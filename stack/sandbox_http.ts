// HTTP helpers both local sandboxes (Jobber, messaging) answer with: JSON and HTML responses, the
// control API's one error shape, body validation that names the field, HTML escaping.
import type { z } from "zod";

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

export function html(body: string, status = 200): Response {
  return new Response(body, { status, headers: { "content-type": "text/html; charset=utf-8" } });
}

/** The control API's one error shape. */
export function apiError(status: number, code: string, message: string): Response {
  return json({ error: { code, message } }, status);
}

export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Names the first offending field, e.g. `webhooks.retryBaseMs: Too small: expected number to be >=0`. */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "Invalid request";
  const keys = issue.code === "unrecognized_keys" ? ` (${issue.keys.join(", ")})` : "";
  const path = issue.path.length > 0 ? issue.path.map(String).join(".") : "body";
  return `${path}: ${issue.message}${keys}`;
}

export async function readJson(req: Request): Promise<{ ok: true; value: unknown } | { ok: false }> {
  const text = await req.text();
  if (text.trim() === "") return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Reads and validates a JSON body; a bad one becomes the 400 answer naming the field. */
export async function readBody<T>(
  req: Request,
  schema: z.ZodType<T>,
): Promise<{ ok: true; value: T } | { ok: false; res: Response }> {
  const raw = await readJson(req);
  if (!raw.ok) {
    return { ok: false, res: apiError(400, "invalid_request", "body: Request body is not valid JSON") };
  }
  const parsed = schema.safeParse(raw.value);
  if (!parsed.success) {
    return { ok: false, res: apiError(400, "invalid_request", describeZodError(parsed.error)) };
  }
  return { ok: true, value: parsed.data };
}

export const notFound = (what: string, id: string) =>
  apiError(404, "not_found", `No ${what} with id ${JSON.stringify(id)}`);

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** A control API route: method, path pattern (its groups become `params`, URI-decoded) and handler. */
export type Route<S> = [
  method: string,
  pattern: RegExp,
  handler: (sb: S, req: Request, params: string[], url: URL) => Promise<Response> | Response,
];

/** Runs the first route matching path and method; a known path with another method is a 405. */
export async function dispatchRoutes<S>(routes: readonly Route<S>[], sb: S, req: Request, url: URL): Promise<Response> {
  let pathMatched = false;
  for (const [method, pattern, handler] of routes) {
    const match = pattern.exec(url.pathname);
    if (!match) continue;
    pathMatched = true;
    if (method !== req.method) continue;
    return await handler(sb, req, match.slice(1).map((s) => decodeURIComponent(s)), url);
  }
  if (pathMatched) return apiError(405, "method_not_allowed", `${req.method} is not allowed on ${url.pathname}`);
  return apiError(404, "not_found", `No sandbox route ${req.method} ${url.pathname}`);
}

/** What one sandbox serves; `api` answers the provider's own endpoints, or null for another path. */
export interface SandboxSite<S> {
  api(sb: S, req: Request, url: URL): Promise<Response | null>;
  controlApi(sb: S, req: Request, url: URL): Promise<Response>;
  homePage(sb: S): Response;
  uiAction(sb: S, req: Request, url: URL): Promise<Response | null>;
}

/**
 * Every sandbox routes a request the same way: the provider's API, then the control API under
 * /_sandbox/, the home page and its buttons; anything else is a 404, and an unexpected error a 500
 * whose details go to the sandbox log, not to the caller.
 */
export async function handleSandboxRequest<S extends { log(event: string, fields: Record<string, unknown>): void }>(
  site: SandboxSite<S>,
  sb: S,
  req: Request,
): Promise<Response> {
  const url = new URL(req.url);
  const path = url.pathname;
  try {
    const api = await site.api(sb, req, url);
    if (api) return api;
    if (path.startsWith("/_sandbox/")) return await site.controlApi(sb, req, url);
    if (path === "/" && req.method === "GET") return site.homePage(sb);
    if (path.startsWith("/ui/") && req.method === "POST") {
      const res = await site.uiAction(sb, req, url);
      if (res) return res;
    }
    return apiError(404, "not_found", `No route ${req.method} ${path}`);
  } catch (error) {
    sb.log("internal_error", { path, message: error instanceof Error ? error.message : String(error) });
    return apiError(500, "internal_error", "Internal error; see the sandbox log");
  }
}

type Defined<T> = { [K in keyof T]?: Exclude<T[K], undefined> };

/** The fields of a partial faults patch that were given, so merging never writes `undefined`. */
export function definedFields<T extends object>(patch: T | undefined): Defined<T> {
  return Object.fromEntries(Object.entries(patch ?? {}).filter(([, v]) => v !== undefined)) as Defined<T>;
}
