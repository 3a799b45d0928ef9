// The JSON control API under /_sandbox/ (errors are {"error": {"code", "message"}}).
import { z } from "zod";
import type { MessagingSandbox } from "./context.ts";
import { defaultFaults, FaultsPatchSchema, mergeFaults } from "./faults.ts";
import { apiError, describeZodError, dispatchRoutes, json, readJson, type Route } from "../sandbox_http.ts";
import { oneClickUrl, reply, unsubscribe } from "./inbound.ts";
import type { EmailRecord, SmsRecord } from "./store.ts";

const E164 = /^\+[1-9]\d{6,14}$/;
const ReplySchema = z.object({
  from: z.string().regex(E164, "must be an E.164 number"),
  to: z.string().regex(E164, "must be an E.164 number").optional(),
  body: z.string().min(1).max(1600),
}).strict();
const WebhooksSchema = z.object({ smsInbound: z.url().optional(), emailEvents: z.url().optional() }).strict();
const MessagesQuery = z.object({
  channel: z.enum(["sms", "email"]).optional(),
  to: z.string().optional(),
  from: z.string().optional(),
  status: z.string().optional(),
  direction: z.enum(["outbound-api", "outbound-reply", "inbound"]).optional(),
}).strict();

export function smsView(m: SmsRecord) {
  return {
    channel: "sms" as const,
    id: m.sid,
    direction: m.direction,
    from: m.from ?? m.senderNumber,
    to: m.to,
    body: m.body,
    status: m.status,
    errorCode: m.errorCode,
    messagingServiceSid: m.messagingServiceSid,
    createdAt: new Date(m.dateCreated).toISOString(),
    statusCallback: m.statusCallback,
    history: m.history.map((h) => ({ status: h.status, at: new Date(h.at).toISOString() })),
    deliveries: m.deliveries,
  };
}

export function emailView(e: EmailRecord) {
  return {
    channel: "email" as const,
    id: e.id,
    from: e.from,
    to: e.to,
    subject: e.subject,
    html: e.html,
    text: e.text,
    headers: e.headers,
    status: e.lastEvent,
    createdAt: new Date(e.createdAt).toISOString(),
    events: e.events.map((ev) => ({ type: ev.type, at: new Date(ev.at).toISOString() })),
    deliveries: e.deliveries,
    unsubscribeUrl: oneClickUrl(e),
    unsubscribes: e.unsubscribes,
  };
}


async function body<T>(req: Request, schema: z.ZodType<T>): Promise<{ ok: true; value: T } | { ok: false; res: Response }> {
  const raw = await readJson(req);
  if (!raw.ok) return { ok: false, res: apiError(400, "invalid_request", "body: Request body is not valid JSON") };
  const parsed = schema.safeParse(raw.value);
  if (!parsed.success) return { ok: false, res: apiError(400, "invalid_request", describeZodError(parsed.error)) };
  return { ok: true, value: parsed.data };
}

export function resetSandbox(sb: MessagingSandbox): void {
  sb.outbox.reset();
  sb.store.reset();
  sb.counters.reset();
  sb.faults = defaultFaults();
  sb.smsLimits.clear();
  sb.emailLimits.clear();
  sb.webhooks = { smsInbound: sb.options.smsInboundUrl, emailEvents: sb.options.emailWebhookUrl };
}

const routes: Route<MessagingSandbox>[] = [
  ["POST", /^\/_sandbox\/reset$/, async (sb, req) => {
    const b = await body(req, z.object({}).strict());
    if (!b.ok) return b.res;
    resetSandbox(sb);
    return json({ ok: true });
  }],
  ["GET", /^\/_sandbox\/state$/, (sb) =>
    json({
      twilio: { accountSid: sb.options.accountSid, messagingServiceSid: sb.options.messagingServiceSid, numbers: sb.options.numbers },
      resend: { domains: ["blipp.local"] },
      webhooks: sb.webhooks,
      counts: { sms: sb.store.sms.length, emails: sb.store.emails.length, stops: sb.store.stops.size },
      phones: [...sb.store.phones().keys()],
      inboxes: [...sb.store.inboxes().keys()],
      stops: [...sb.store.stops].map((k) => {
        const [sender, phone] = k.split("|");
        return { sender, phone };
      }),
    })],
  ["GET", /^\/_sandbox\/messages$/, (sb, _req, _params, url) => {
    const parsed = MessagesQuery.safeParse(Object.fromEntries(url.searchParams));
    if (!parsed.success) return apiError(400, "invalid_request", describeZodError(parsed.error));
    const q = parsed.data;
    const sms = q.channel === "email" ? [] : sb.store.sms
      .filter((m) => (!q.to || m.to === q.to) && (!q.from || (m.from ?? m.senderNumber) === q.from) &&
        (!q.status || m.status === q.status) && (!q.direction || m.direction === q.direction))
      .map(smsView);
    const emails = q.channel === "sms" || q.direction ? [] : sb.store.emails
      .filter((e) => (!q.to || e.to.includes(q.to.toLowerCase()) || e.to.includes(q.to)) && (!q.from || e.from.includes(q.from)) &&
        (!q.status || e.lastEvent === q.status))
      .map(emailView);
    const messages = [...sms, ...emails].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return json({ messages });
  }],
  ["POST", /^\/_sandbox\/reply$/, async (sb, req) => {
    const b = await body(req, ReplySchema);
    if (!b.ok) return b.res;
    const result = await reply(sb, b.value.from, b.value.to ?? null, b.value.body);
    return json({
      message: smsView(result.message),
      keyword: result.keyword,
      webhookStatus: result.webhookStatus,
      autoReply: result.autoReply ? smsView(result.autoReply) : null,
    }, 201);
  }],
  ["POST", /^\/_sandbox\/emails\/([^/]+)\/unsubscribe$/, async (sb, _req, [id]) => {
    const e = sb.store.findEmail(id!);
    if (!e) return apiError(404, "not_found", `No email with id ${JSON.stringify(id)}`);
    const status = await unsubscribe(sb, e);
    if (status === null) return apiError(422, "no_one_click", "This email has no RFC 8058 one-click List-Unsubscribe header");
    return json({ url: oneClickUrl(e), status });
  }],
  ["GET", /^\/_sandbox\/faults$/, (sb) => json(sb.faults)],
  ["PUT", /^\/_sandbox\/faults$/, async (sb, req) => {
    const b = await body(req, FaultsPatchSchema);
    if (!b.ok) return b.res;
    sb.faults = mergeFaults(sb.faults, b.value);
    if (b.value.limits) {
      sb.smsLimits.reconfigure();
      sb.emailLimits.reconfigure();
    }
    if (b.value.callbacks?.reorder === false) sb.outbox.flushHeld();
    return json(sb.faults);
  }],
  ["GET", /^\/_sandbox\/webhooks$/, (sb) => json(sb.webhooks)],
  ["PUT", /^\/_sandbox\/webhooks$/, async (sb, req) => {
    const b = await body(req, WebhooksSchema);
    if (!b.ok) return b.res;
    sb.webhooks = { smsInbound: b.value.smsInbound ?? sb.webhooks.smsInbound, emailEvents: b.value.emailEvents ?? sb.webhooks.emailEvents };
    return json(sb.webhooks);
  }],
  ["GET", /^\/_sandbox\/counters$/, (sb) => json(sb.counters)],
];

export function controlApi(sb: MessagingSandbox, req: Request, url: URL): Promise<Response> {
  return dispatchRoutes(routes, sb, req, url);
}
