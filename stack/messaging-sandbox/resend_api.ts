// Resend's POST /emails (and GET /emails/:id): Bearer auth, Idempotency-Key, Resend's error JSON,
// per-key rate limits with ratelimit-* / retry-after headers, and the email's event lifecycle.
import { applyLatency, type MessagingSandbox } from "./context.ts";
import { emailEvent } from "./events.ts";
import { json } from "../sandbox_http.ts";
import { addressBehaviour, parseAddress } from "./scripted.ts";
import type { EmailRecord } from "./store.ts";

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60_000;
const MAX_KEY_LENGTH = 256;
const MAX_RECIPIENTS = 50;

function resendError(status: number, name: string, message: string, headers: Record<string, string> = {}): Response {
  return json({ statusCode: status, name, message }, status, headers);
}

function stringOrList(value: unknown): string[] | null {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value as string[];
  return null;
}

function scheduleEvents(sb: MessagingSandbox, e: EmailRecord): void {
  const { sentAfterMs, deliveredAfterMs } = sb.faults.lifecycle;
  const behaviour = addressBehaviour(e.to[0]!);
  const fire = (type: string, last: boolean) => {
    const at = sb.now();
    e.lastEvent = type.replace(/^email\./, "");
    e.events.push({ type, at });
    sb.outbox.emit(e.id, {
      kind: "svix",
      url: sb.webhooks.emailEvents,
      payload: emailEvent(e, type, at),
      record: e,
      what: type,
    }, last);
  };
  sb.outbox.later(sentAfterMs, () => fire("email.sent", false));
  if (behaviour === "bounced") {
    sb.outbox.later(deliveredAfterMs, () => fire("email.bounced", true));
  } else if (behaviour === "delayed") {
    sb.outbox.later(deliveredAfterMs, () => fire("email.delivery_delayed", false));
    sb.outbox.later(deliveredAfterMs * 3, () => fire("email.delivered", true));
  } else if (behaviour === "complained") {
    sb.outbox.later(deliveredAfterMs, () => fire("email.delivered", false));
    sb.outbox.later(deliveredAfterMs + 500, () => fire("email.complained", true));
  } else {
    sb.outbox.later(deliveredAfterMs, () => fire("email.delivered", true));
  }
}

/** Validates and stores one email; answers as Resend does. */
function accept(sb: MessagingSandbox, body: Record<string, unknown>): { status: number; body: unknown } {
  const invalid = (name: string, message: string) => ({ status: 422, body: { statusCode: 422, name, message } });
  for (const field of ["from", "to", "subject"]) {
    if (body[field] === undefined || body[field] === null || body[field] === "") {
      return invalid("missing_required_field", `Missing \`${field}\` field.`);
    }
  }
  if (typeof body.from !== "string" || parseAddress(body.from) === null) {
    return invalid("validation_error", "Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.");
  }
  const to = stringOrList(body.to);
  if (to === null || to.length === 0 || to.length > MAX_RECIPIENTS || to.some((t) => parseAddress(t) === null)) {
    return invalid("validation_error", "Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.");
  }
  if (typeof body.subject !== "string") return invalid("validation_error", "Invalid `subject` field.");
  const html = typeof body.html === "string" ? body.html : null;
  const text = typeof body.text === "string" ? body.text : null;
  if (html === null && text === null) return invalid("missing_required_field", "Missing `html` or `text` field.");
  const headers: Record<string, string> = {};
  if (body.headers !== undefined) {
    if (typeof body.headers !== "object" || body.headers === null || Array.isArray(body.headers)) {
      return invalid("validation_error", "Invalid `headers` field.");
    }
    for (const [k, v] of Object.entries(body.headers)) {
      if (typeof v !== "string") return invalid("validation_error", `Invalid \`headers\` field: ${k} must be a string.`);
      headers[k] = v;
    }
  }
  const now = sb.now();
  const e: EmailRecord = {
    id: crypto.randomUUID(),
    from: body.from,
    to: to.map((t) => parseAddress(t)!),
    subject: body.subject,
    html,
    text,
    headers,
    createdAt: now,
    lastEvent: "queued",
    events: [],
    deliveries: [],
    unsubscribes: [],
  };
  sb.store.emails.push(e);
  sb.counters.resend.accepted++;
  sb.log("email_accepted", { id: e.id });
  scheduleEvents(sb, e);
  return { status: 200, body: { id: e.id } };
}

async function fingerprint(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function send(sb: MessagingSandbox, req: Request): Promise<Response> {
  sb.counters.resend.sends++;
  const { emailPerSecond, emailBurst } = sb.faults.limits;
  const limited = sb.faults.http429 ? { ok: false as const, waitMs: 1000 } : sb.emailLimits.take(sb.options.resendApiKey);
  if (!limited.ok) {
    sb.counters.resend.rateLimited++;
    const seconds = String(Math.max(1, Math.ceil(limited.waitMs / 1000)));
    return resendError(429, "rate_limit_exceeded", `Too many requests. You can only make ${emailPerSecond} requests per second. See rate limit response headers for more information. Or contact support to increase rate limit.`, {
      "ratelimit-limit": String(emailBurst),
      "ratelimit-remaining": "0",
      "ratelimit-reset": seconds,
      "retry-after": seconds,
    });
  }
  const text = await req.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return resendError(422, "validation_error", "The request body is not valid JSON.");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return resendError(422, "validation_error", "The request body must be a JSON object.");
  }
  const key = req.headers.get("idempotency-key");
  if (key !== null && (key.length === 0 || key.length > MAX_KEY_LENGTH)) {
    return resendError(400, "invalid_idempotency_key", `The key must be between 1-${MAX_KEY_LENGTH} chars.`);
  }
  if (key === null) return respond(sb, accept(sb, body as Record<string, unknown>));

  const print = await fingerprint(text);
  const now = sb.now();
  const previous = sb.store.idempotency.get(key);
  if (previous && now - previous.at < IDEMPOTENCY_TTL_MS) {
    if (previous.fingerprint !== print) {
      return resendError(409, "invalid_idempotent_request", "Same idempotency key used with a different request payload. Change your idempotency key or payload.");
    }
    sb.counters.resend.replayed++;
    return json(previous.body, previous.status);
  }
  if (sb.store.inflightKeys.has(key)) {
    return resendError(409, "concurrent_idempotent_requests", "Same idempotency key used while original request is still in progress.");
  }
  sb.store.inflightKeys.add(key);
  try {
    if (sb.faults.resend.failNext > 0) {
      sb.faults.resend.failNext--;
      sb.counters.resend.failed5xx++;
      return resendError(sb.faults.resend.status, "internal_server_error", "An unexpected error occurred.");
    }
    const answer = accept(sb, body as Record<string, unknown>);
    // Only answers that sent something are kept: a refused request may be corrected and retried.
    if (answer.status === 200) sb.store.idempotency.set(key, { fingerprint: print, status: answer.status, body: answer.body, at: now });
    if (answer.status === 200 && sb.faults.resend.failAfterCreate > 0) {
      sb.faults.resend.failAfterCreate--;
      sb.counters.resend.failed5xx++;
      return resendError(500, "internal_server_error", "An unexpected error occurred.");
    }
    return respond(sb, answer);
  } finally {
    sb.store.inflightKeys.delete(key);
  }
}

function respond(sb: MessagingSandbox, answer: { status: number; body: unknown }): Response {
  if (answer.status !== 200) sb.counters.refusedResend((answer.body as { name: string }).name);
  return json(answer.body, answer.status);
}

function authorize(sb: MessagingSandbox, req: Request): Response | null {
  const header = req.headers.get("authorization");
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) {
    return resendError(401, "missing_api_key", "Missing API key in the authorization header. Include the following header Authorization: Bearer YOUR_API_KEY in the request.");
  }
  if (match[1] !== sb.options.resendApiKey) return resendError(403, "invalid_api_key", "API key is invalid");
  return null;
}

export async function resendApi(sb: MessagingSandbox, req: Request, url: URL): Promise<Response | null> {
  const one = /^\/emails\/([^/]+)$/.exec(url.pathname);
  if (url.pathname !== "/emails" && !one) return null;
  await applyLatency(sb);
  const denied = authorize(sb, req);
  if (denied) return denied;
  if (url.pathname === "/emails" && req.method === "POST") return await send(sb, req);
  if (one && req.method === "GET") {
    const e = sb.store.findEmail(decodeURIComponent(one[1]!));
    if (!e) return resendError(404, "not_found", "Email not found");
    return json({
      object: "email",
      id: e.id,
      to: e.to,
      from: e.from,
      created_at: new Date(e.createdAt).toISOString(),
      subject: e.subject,
      html: e.html,
      text: e.text,
      last_event: e.lastEvent,
    });
  }
  return resendError(405, "method_not_allowed", "Method not allowed");
}
