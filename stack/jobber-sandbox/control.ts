import { z } from "zod";
import { disconnectAccount, resetSandbox, type Sandbox } from "./context.ts";
import { defaultFaults, FaultsPatchSchema, mergeFaults } from "./faults.ts";
import { GENERATE_LIMIT } from "./generator.ts";
import { decodeCursor, encodeCursor, encodeId, idOf } from "./ids.ts";
import { apiError, dispatchRoutes, json, notFound, readBody, readJson, type Route } from "../sandbox_http.ts";
import { clientJson } from "./serialize.ts";
import { pageById } from "./paging.ts";
import { accountParam, Address } from "./control_common.ts";
import { workRoutes } from "./control_work.ts";
import { isFiredTopic } from "./topics.ts";

const ResetSchema = z.object({ seed: z.number().int().optional() }).strict();
const AccountSchema = z.object({ name: z.string().trim().min(1).max(200) }).strict();
const GenerateSchema = z.object({
  count: z.number().int().min(1).max(GENERATE_LIMIT, {
    message: `must be at most ${GENERATE_LIMIT} per call`,
  }),
  seed: z.number().int().optional(),
}).strict();

const ClientSchema = z.object({
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  companyName: z.string().nullable().optional(),
  isCompany: z.boolean().optional(),
  isLead: z.boolean().optional(),
  isArchived: z.boolean().optional(),
  title: z.string().nullable().optional(),
  emails: z.array(
    z.object({
      address: z.string(),
      primary: z.boolean().optional(),
      description: z.string().optional(),
    }).strict(),
  ).max(20).optional(),
  phones: z.array(
    z.object({
      number: z.string(),
      primary: z.boolean().optional(),
      smsAllowed: z.boolean().optional(),
      description: z.string().optional(),
    }).strict(),
  ).max(20).optional(),
  billingAddress: Address.nullable().optional(),
  /** Adds a property (service address) to the client. */
  propertyAddress: Address.nullable().optional(),
}).strict();

function accountJson(sb: Sandbox, id: number) {
  const a = sb.store.accounts.get(id)!;
  return {
    id: encodeId("Account", id),
    name: a.name,
    connected: sb.auth.isConnected(id),
    clients: sb.store.listClients(id).length,
    jobs: sb.store.listJobs(id).length,
    users: sb.store.listUsers(id).length,
  };
}

const routes: Route<Sandbox>[] = [
  ["POST", /^\/_sandbox\/reset$/, async (sb, req) => {
    const b = await readBody(req, ResetSchema);
    if (!b.ok) return b.res;
    resetSandbox(sb, b.value.seed ?? sb.options.seed, defaultFaults);
    return json({ ok: true, seed: b.value.seed ?? sb.options.seed });
  }],
  [
    "GET",
    /^\/_sandbox\/state$/,
    (sb) => json({ accounts: [...sb.store.accounts.keys()].map((id) => accountJson(sb, id)) }),
  ],
  ["POST", /^\/_sandbox\/accounts$/, async (sb, req) => {
    const b = await readBody(req, AccountSchema);
    if (!b.ok) return b.res;
    const account = sb.store.createAccount(b.value.name);
    return json({ id: encodeId("Account", account.id), name: account.name }, 201);
  }],
  ["GET", /^\/_sandbox\/accounts\/([^/]+)\/clients$/, (sb, _req, [raw], url) => {
    const id = accountParam(sb, raw!);
    if (id === null) return notFound("account", raw!);
    const first = Number(url.searchParams.get("first") ?? 50);
    if (!Number.isInteger(first) || first < 1 || first > 1000) {
      return apiError(400, "invalid_request", "first: must be an integer from 1 to 1000");
    }
    const after = url.searchParams.get("after");
    const afterId = after === null ? null : decodeCursor(after);
    if (after !== null && afterId === null) {
      return apiError(400, "invalid_request", "after: not a valid cursor");
    }
    const page = pageById(sb.store.listClients(id), { first, afterId }, () => true);
    const last = page.items.at(-1);
    return json({
      clients: page.items.map(clientJson),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: last ? encodeCursor(last.id) : null },
      totalCount: page.totalCount(),
    });
  }],
  ["POST", /^\/_sandbox\/accounts\/([^/]+)\/clients\/generate$/, async (sb, req, [raw]) => {
    const id = accountParam(sb, raw!);
    if (id === null) return notFound("account", raw!);
    const b = await readBody(req, GenerateSchema);
    if (!b.ok) return b.res;
    const created = sb.store.generateClients(id, b.value.count, b.value.seed ?? 1);
    sb.log("clients_generated", { accountId: encodeId("Account", id), created });
    return json({ created, accountId: encodeId("Account", id) }, 201);
  }],
  ["POST", /^\/_sandbox\/accounts\/([^/]+)\/clients$/, async (sb, req, [raw]) => {
    const id = accountParam(sb, raw!);
    if (id === null) return notFound("account", raw!);
    const b = await readBody(req, ClientSchema);
    if (!b.ok) return b.res;
    return json(clientJson(sb.store.createClient(id, b.value)), 201);
  }],
  ["PATCH", /^\/_sandbox\/clients\/([^/]+)$/, async (sb, req, [raw]) => {
    const id = idOf("Client", raw!);
    if (id === null || !sb.store.clients.has(id)) return notFound("client", raw!);
    const b = await readBody(req, ClientSchema);
    if (!b.ok) return b.res;
    return json(clientJson(sb.store.updateClient(id, b.value)!));
  }],
  ["DELETE", /^\/_sandbox\/clients\/([^/]+)$/, (sb, _req, [raw]) => {
    const id = idOf("Client", raw!);
    if (id === null || !sb.store.deleteClient(id)) return notFound("client", raw!);
    return json({ deleted: encodeId("Client", id) });
  }],
  ...workRoutes,
  ["POST", /^\/_sandbox\/accounts\/([^/]+)\/disconnect$/, (sb, _req, [raw]) => {
    const id = accountParam(sb, raw!);
    if (id === null) return notFound("account", raw!);
    return json({ disconnected: disconnectAccount(sb, id), accountId: encodeId("Account", id) });
  }],
  ["POST", /^\/_sandbox\/accounts\/([^/]+)\/tokens\/expire$/, (sb, _req, [raw]) => {
    const id = accountParam(sb, raw!);
    if (id === null) return notFound("account", raw!);
    sb.auth.expireAccountTokens(id);
    return json({ expired: true, accountId: encodeId("Account", id) });
  }],
  ["GET", /^\/_sandbox\/faults$/, (sb) => json(sb.faults)],
  ["PUT", /^\/_sandbox\/faults$/, async (sb, req) => {
    const b = await readBody(req, FaultsPatchSchema);
    if (!b.ok) return b.res;
    sb.faults = mergeFaults(sb.faults, b.value);
    if (b.value.expireTokens === true) sb.auth.expireAllExisting();
    if (b.value.bucket) {
      for (const bucket of sb.buckets.values()) {
        bucket.configure(sb.faults.bucket.max, sb.faults.bucket.restoreRate);
      }
    }
    if (b.value.webhooks?.reorder === false) sb.webhooks.flushHeld();
    return json(sb.faults);
  }],
  ["GET", /^\/_sandbox\/webhooks$/, (sb) => json(Object.fromEntries(sb.webhooks.subscriptions))],
  ["PUT", /^\/_sandbox\/webhooks$/, async (sb, req) => {
    const raw = await readJson(req);
    if (!raw.ok) return apiError(400, "invalid_request", "body: Request body is not valid JSON");
    const value = raw.value;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return apiError(400, "invalid_request", "body: expected an object of topic to URL or null");
    }
    const entries = Object.entries(value);
    for (const [topic, url] of entries) {
      if (!isFiredTopic(topic)) {
        return apiError(400, "invalid_request", `${topic}: not a topic the sandbox fires`);
      }
      if (url !== null && (typeof url !== "string" || !URL.canParse(url))) {
        return apiError(400, "invalid_request", `${topic}: expected a URL or null`);
      }
    }
    for (const [topic, url] of entries) {
      if (!isFiredTopic(topic)) continue;
      if (url === null) sb.webhooks.subscriptions.delete(topic);
      else sb.webhooks.subscriptions.set(topic, url as string);
    }
    return json(Object.fromEntries(sb.webhooks.subscriptions));
  }],
  ["GET", /^\/_sandbox\/counters$/, (sb) => json(sb.counters)],
  ["GET", /^\/_sandbox\/events$/, (sb) => json({ events: sb.webhooks.events.slice().reverse() })],
];

export function controlApi(sb: Sandbox, req: Request, url: URL): Promise<Response> {
  return dispatchRoutes(routes, sb, req, url);
}
