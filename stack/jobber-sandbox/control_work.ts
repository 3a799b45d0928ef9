// Control API for an account's team members, jobs and visits. Every action fires the webhooks
// Jobber would (to accounts that have the app installed) and answers with the job as it now is.
import { z } from "zod";
import type { Sandbox } from "./context.ts";
import { accountParam, Address } from "./control_common.ts";
import { PLACES } from "./geo.ts";
import { apiError, json, notFound, readBody, type Route } from "../sandbox_http.ts";
import { encodeId, idOf } from "./ids.ts";
import { jobJson, userJson } from "./serialize.ts";
import {
  closeJob,
  completeJob,
  completeVisit,
  createJob,
  deleteJob,
  type JobInput,
  MAX_VISITS,
  reopenJob,
  WorkError,
} from "./work.ts";

const UserSchema = z.object({
  firstName: z.string().trim().min(1).max(100),
  lastName: z.string().trim().max(100).optional(),
  email: z.email().optional(),
  isAdmin: z.boolean().optional(),
}).strict();

const Coordinates = z.object({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
}).strict();

const placeKeys = PLACES.map((p) => p.key) as [string, ...string[]];

const JobSchema = z.object({
  clientId: z.string().min(1),
  title: z.string().min(1).max(200),
  visits: z.number().int().min(1).max(MAX_VISITS).optional(),
  jobType: z.enum(["ONE_OFF", "RECURRING"]).optional(),
  total: z.number().min(0).max(100_000_000).optional(),
  assignedUserIds: z.array(z.string().min(1)).max(20).optional(),
  propertyId: z.string().min(1).optional(),
  propertyAddress: Address.optional(),
  /** Shorthand for `propertyAddress`: a real address in one of the sandbox's known cities. */
  place: z.enum(placeKeys).optional(),
  coordinates: Coordinates.nullable().optional(),
  startAt: z.iso.datetime({ offset: true }).optional(),
  intervalDays: z.number().int().min(1).max(365).optional(),
}).strict().refine(
  (b) => [b.propertyId, b.propertyAddress, b.place].filter((v) => v !== undefined).length <= 1,
  { message: "give at most one of propertyId, propertyAddress and place", path: ["propertyId"] },
);

const CloseSchema = z.object({ status: z.enum(["requires_invoicing", "archived"]).optional() }).strict();

function invalid(message: string): Response {
  return apiError(400, "invalid_request", message);
}

/** Runs a store action, turning its refusals into the control API's answers. */
function act(fn: () => Response): Response {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof WorkError)) throw error;
    return error.kind === "conflict" ? apiError(409, "conflict", error.message) : invalid(error.message);
  }
}

/** Resolves the body's EncodedIds within the account; the first one that does not resolve is named. */
function jobInput(sb: Sandbox, accountId: number, b: z.infer<typeof JobSchema>): JobInput | Response {
  const clientId = idOf("Client", b.clientId);
  const client = clientId === null ? undefined : sb.store.clients.get(clientId);
  if (!client || client.accountId !== accountId) {
    return invalid(`clientId: no client ${JSON.stringify(b.clientId)} in this account`);
  }
  const users: number[] = [];
  for (const raw of b.assignedUserIds ?? []) {
    const id = idOf("User", raw);
    if (id === null || sb.store.users.get(id)?.accountId !== accountId) {
      return invalid(`assignedUserIds: no user ${JSON.stringify(raw)} in this account`);
    }
    users.push(id);
  }
  let propertyId: number | undefined;
  if (b.propertyId !== undefined) {
    const id = idOf("Property", b.propertyId);
    if (id === null || !client.properties.some((p) => p.id === id)) {
      return invalid(`propertyId: no property ${JSON.stringify(b.propertyId)} on this client`);
    }
    propertyId = id;
  }
  const place = PLACES.find((p) => p.key === b.place);
  return {
    clientId: client.id,
    title: b.title,
    visits: b.visits,
    jobType: b.jobType,
    total: b.total,
    assignedUserIds: users,
    propertyId,
    propertyAddress: place ? { ...place.address } : b.propertyAddress,
    coordinates: b.coordinates,
    startAt: b.startAt === undefined ? undefined : Date.parse(b.startAt),
    intervalDays: b.intervalDays,
  };
}

function jobParam(sb: Sandbox, raw: string): number | null {
  const id = idOf("Job", raw);
  return id !== null && sb.store.jobs.has(id) ? id : null;
}

export const workRoutes: Route<Sandbox>[] = [
  ["GET", /^\/_sandbox\/places$/, () => json({ places: PLACES })],
  ["GET", /^\/_sandbox\/accounts\/([^/]+)\/users$/, (sb, _req, [raw]) => {
    const id = accountParam(sb, raw!);
    if (id === null) return notFound("account", raw!);
    return json({ users: sb.store.listUsers(id).map(userJson) });
  }],
  ["POST", /^\/_sandbox\/accounts\/([^/]+)\/users$/, async (sb, req, [raw]) => {
    const id = accountParam(sb, raw!);
    if (id === null) return notFound("account", raw!);
    const b = await readBody(req, UserSchema);
    if (!b.ok) return b.res;
    const user = sb.store.addUser(id, { ...b.value, lastName: b.value.lastName ?? "" });
    return json(userJson(user), 201);
  }],
  ["GET", /^\/_sandbox\/accounts\/([^/]+)\/jobs$/, (sb, _req, [raw]) => {
    const id = accountParam(sb, raw!);
    if (id === null) return notFound("account", raw!);
    return json({ jobs: sb.store.listJobs(id).map((j) => jobJson(sb.store, j)) });
  }],
  ["POST", /^\/_sandbox\/accounts\/([^/]+)\/jobs$/, async (sb, req, [raw]) => {
    const id = accountParam(sb, raw!);
    if (id === null) return notFound("account", raw!);
    const b = await readBody(req, JobSchema);
    if (!b.ok) return b.res;
    const input = jobInput(sb, id, b.value);
    if (input instanceof Response) return input;
    return act(() => json(jobJson(sb.store, createJob(sb.store, id, input)), 201));
  }],
  ["GET", /^\/_sandbox\/jobs\/([^/]+)$/, (sb, _req, [raw]) => {
    const id = jobParam(sb, raw!);
    if (id === null) return notFound("job", raw!);
    return json(jobJson(sb.store, sb.store.jobs.get(id)!));
  }],
  ["DELETE", /^\/_sandbox\/jobs\/([^/]+)$/, (sb, _req, [raw]) => {
    const id = jobParam(sb, raw!);
    if (id === null) return notFound("job", raw!);
    deleteJob(sb.store, id);
    return json({ deleted: encodeId("Job", id) });
  }],
  ["POST", /^\/_sandbox\/jobs\/([^/]+)\/(complete|close|reopen)$/, async (sb, req, [raw, action]) => {
    const id = jobParam(sb, raw!);
    if (id === null) return notFound("job", raw!);
    if (action === "close") {
      const b = await readBody(req, CloseSchema);
      if (!b.ok) return b.res;
      const status = b.value.status ?? "requires_invoicing";
      return act(() => json(jobJson(sb.store, closeJob(sb.store, id, status))));
    }
    return act(() =>
      json(jobJson(sb.store, action === "complete" ? completeJob(sb.store, id) : reopenJob(sb.store, id)))
    );
  }],
  ["POST", /^\/_sandbox\/visits\/([^/]+)\/complete$/, (sb, _req, [raw]) => {
    const id = idOf("Visit", raw!);
    if (id === null || !sb.store.visits.has(id)) return notFound("visit", raw!);
    return act(() => json(jobJson(sb.store, completeVisit(sb.store, id))));
  }],
];
