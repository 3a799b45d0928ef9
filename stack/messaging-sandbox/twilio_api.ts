// Twilio's Messages API (2010-04-01): create, fetch and list, with Basic auth, Twilio's error JSON
// and codes, per-sender rate limits and remembered STOPs.
import { applyLatency, type MessagingSandbox } from "./context.ts";
import { smsJson } from "./events.ts";
import { json } from "../sandbox_http.ts";
import { numberBehaviour } from "./scripted.ts";
import { startLifecycle } from "./sms_lifecycle.ts";
import { newSmsSid, segmentsOf, type SmsRecord } from "./store.ts";

const MAX_BODY = 1600;
const MAX_PAGE_SIZE = 1000;

export function twilioError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, status, headers);
}

function authorized(sb: MessagingSandbox, req: Request): boolean {
  const header = req.headers.get("authorization") ?? "";
  const match = /^Basic\s+(.+)$/i.exec(header);
  if (!match) return false;
  let decoded: string;
  try {
    decoded = atob(match[1]!);
  } catch {
    return false;
  }
  return decoded === `${sb.options.accountSid}:${sb.options.authToken}`;
}

async function create(sb: MessagingSandbox, req: Request): Promise<Response> {
  sb.counters.twilio.creates++;
  const form = new URLSearchParams(await req.text());
  const to = form.get("To")?.trim() ?? "";
  const from = form.get("From")?.trim() ?? "";
  const service = form.get("MessagingServiceSid")?.trim() ?? "";
  const body = form.get("Body") ?? "";
  const callback = form.get("StatusCallback");
  const refuse = (status: number, code: number, message: string) => {
    sb.counters.refusedTwilio(code);
    return twilioError(status, code, message);
  };

  // Limits apply per sender (the service, or the From number) before anything else is looked at.
  const senderKey = service || from;
  const limited = sb.faults.http429 ? { ok: false as const, waitMs: 1000 } : sb.smsLimits.take(senderKey);
  if (!limited.ok) {
    sb.counters.twilio.rateLimited++;
    return twilioError(429, 20429, "Too Many Requests");
  }
  if (sb.faults.twilio.failNext > 0) {
    sb.faults.twilio.failNext--;
    sb.counters.twilio.failed5xx++;
    return twilioError(sb.faults.twilio.status, 20500, "An internal server error has occurred");
  }
  if (to === "") return refuse(400, 21604, "A 'To' phone number is required.");
  if (!from && !service) return refuse(400, 21603, "A 'From' phone number is required.");
  if (service && service !== sb.options.messagingServiceSid) {
    return refuse(400, 21701, `The Messaging Service Sid ${service} is invalid.`);
  }
  if (!service && !sb.options.numbers.includes(from)) {
    return refuse(400, 21606, `The From phone number ${from} is not a valid, SMS-capable inbound phone number or short code for your account.`);
  }
  if (body.trim() === "") return refuse(400, 21602, "Message body is required.");
  if ([...body].length > MAX_BODY) return refuse(400, 21617, "The concatenated message body exceeds the 1600 character limit.");
  if (callback !== null && !/^https?:\/\//i.test(callback)) {
    return refuse(400, 21609, `The StatusCallback URL ${callback} is not a valid URL.`);
  }
  const behaviour = numberBehaviour(to);
  if (behaviour.kind === "refuse" && behaviour.code === 21211) {
    return refuse(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
  }
  if (behaviour.kind === "refuse") return refuse(400, 21614, `'To' number ${to} is not a valid mobile number`);
  const senderNumber = service ? sb.options.numbers[0]! : from;
  if (sb.store.isStopped(senderNumber, to)) return refuse(400, 21610, "Attempt to send to unsubscribed recipient");

  const now = sb.now();
  const status = service ? "accepted" : "queued";
  const m: SmsRecord = {
    sid: newSmsSid(),
    direction: "outbound-api",
    from: service ? null : from,
    senderNumber,
    messagingServiceSid: service || null,
    to,
    body,
    status,
    errorCode: null,
    errorMessage: null,
    dateCreated: now,
    dateSent: null,
    dateUpdated: now,
    statusCallback: callback,
    numSegments: segmentsOf(body),
    history: [{ status, at: now }],
    deliveries: [],
  };
  sb.store.sms.push(m);
  sb.counters.twilio.accepted++;
  sb.log("sms_created", { sid: m.sid, status });
  startLifecycle(sb, m);
  if (sb.faults.twilio.failAfterCreate > 0) {
    sb.faults.twilio.failAfterCreate--;
    sb.counters.twilio.failed5xx++;
    return twilioError(500, 20500, "An internal server error has occurred");
  }
  return json(smsJson(sb, m), 201);
}

/** `DateSent`, `DateSent<` / `DateSent>` (Twilio's `<=` / `>=` arrive as those keys), YYYY-MM-DD. */
function dateSentFilter(params: URLSearchParams): ((m: SmsRecord) => boolean) | { error: string } {
  const checks: ((m: SmsRecord) => boolean)[] = [];
  for (const [key, op] of [["DateSent", "="], ["DateSent>", ">="], ["DateSent<", "<="]] as const) {
    const raw = params.get(key);
    if (raw === null) continue;
    const day = /^\d{4}-\d{2}-\d{2}/.test(raw) ? Date.parse(raw.length === 10 ? `${raw}T00:00:00Z` : raw) : NaN;
    if (Number.isNaN(day)) return { error: `${key} must be a date (YYYY-MM-DD)` };
    const start = day;
    const end = raw.length === 10 ? day + 86_400_000 : day;
    checks.push((m) => {
      if (m.dateSent === null) return false;
      if (op === "=") return m.dateSent >= start && m.dateSent < end;
      if (op === ">=") return m.dateSent >= start;
      return m.dateSent < end;
    });
  }
  return (m) => checks.every((c) => c(m));
}

function list(sb: MessagingSandbox, url: URL): Response {
  sb.counters.twilio.lookups++;
  const p = url.searchParams;
  const pageSize = Number(p.get("PageSize") ?? 50);
  const page = Number(p.get("Page") ?? 0);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    return twilioError(400, 20001, `PageSize must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  if (!Number.isInteger(page) || page < 0) return twilioError(400, 20001, "Page must be a non-negative integer");
  const dates = dateSentFilter(p);
  if ("error" in dates) return twilioError(400, 20001, dates.error);
  const to = p.get("To");
  const from = p.get("From");
  // Newest first, as Twilio lists them (the store keeps creation order).
  const matching = sb.store.sms
    .filter((m) => (to === null || m.to === to) && (from === null || (m.from ?? m.senderNumber) === from) && dates(m))
    .reverse();
  const start = page * pageSize;
  const items = matching.slice(start, start + pageSize);
  const base = url.pathname;
  const query = (n: number) => {
    const q = new URLSearchParams(p);
    q.set("PageSize", String(pageSize));
    q.set("Page", String(n));
    if (n > 0 && matching[n * pageSize - 1]) q.set("PageToken", `PA${matching[n * pageSize - 1]!.sid}`);
    else q.delete("PageToken");
    return `${base}?${q}`;
  };
  return json({
    end: start + Math.max(0, items.length - 1),
    first_page_uri: query(0),
    messages: items.map((m) => smsJson(sb, m)),
    next_page_uri: start + pageSize < matching.length ? query(page + 1) : null,
    page,
    page_size: pageSize,
    previous_page_uri: page > 0 ? query(page - 1) : null,
    start,
    uri: query(page),
  });
}

export async function twilioApi(sb: MessagingSandbox, req: Request, url: URL): Promise<Response | null> {
  const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages(?:\/([^/]+))?\.json$/.exec(url.pathname);
  if (!match) return null;
  await applyLatency(sb);
  if (!authorized(sb, req) || match[1] !== sb.options.accountSid) {
    return json({
      code: 20003,
      detail: "Your AccountSid or AuthToken was incorrect.",
      message: "Authentication Error - invalid username",
      more_info: "https://www.twilio.com/docs/errors/20003",
      status: 401,
    }, 401, { "www-authenticate": 'Basic realm="Twilio API"' });
  }
  const sid = match[2];
  if (sid === undefined && req.method === "POST") return await create(sb, req);
  if (sid === undefined && req.method === "GET") return list(sb, url);
  if (sid !== undefined && req.method === "GET") {
    const m = sb.store.findSms(sid);
    if (!m) return twilioError(404, 20404, `The requested resource ${url.pathname} was not found`);
    return json(smsJson(sb, m));
  }
  return twilioError(405, 20004, "Method not allowed");
}
