// Resolvers for jobs, visits and the properties they happen at.
import { GraphQLError } from "graphql";
import type { Coordinates } from "./geo.ts";
import { encodeId } from "./ids.ts";
import type { JobRecord, PropertyRecord, UserRecord, VisitRecord } from "./model.ts";
import { inRange, pageById, type RangeFilter, type SortKey } from "./paging.ts";
import {
  connection,
  type GqlContext,
  idOf,
  lookup,
  ownJob,
  type PageArgs,
  pageList,
  pageRequest,
  type Resolver,
  sortedConnection,
} from "./resolve_common.ts";
import { clientName, type Store } from "./store.ts";
import { isLastScheduledVisit, jobStatus, visitsInfo, visitsOf, visitStatus } from "./work.ts";

/** A `timezone: Timezone` argument: an IANA zone name, UTC when absent. */
function zoneArg(value: unknown): string {
  if (value == null) return "UTC";
  try {
    if (typeof value !== "string") throw new RangeError();
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return value;
  } catch {
    throw new GraphQLError(`Invalid timezone: ${JSON.stringify(value)}`);
  }
}

interface JobArgs extends PageArgs {
  filter?: {
    jobType?: string | null;
    status?: string | null;
    createdAt?: RangeFilter | null;
    startAt?: RangeFilter | null;
    endAt?: RangeFilter | null;
    completedAt?: RangeFilter | null;
    includeUnscheduled?: boolean | null;
  } | null;
  sort?: Array<{ key: string; direction: string }> | null;
  searchTerm?: string | null;
}

function jobMatcher(store: Store, args: JobArgs) {
  const term = args.searchTerm?.trim().toLowerCase() ?? "";
  const f = args.filter;
  const now = store.now();
  return (j: JobRecord): boolean => {
    if (f?.jobType && j.jobType !== f.jobType) return false;
    if (f?.status) {
      const status = jobStatus(store, j, now);
      // `active` is every open job, whatever its finer status (Jobber's enum says so).
      if (f.status === "active" ? j.closedStatus !== null : status !== f.status) return false;
    }
    if (!inRange(j.createdAt, f?.createdAt)) return false;
    if (!inRange(j.completedAt, f?.completedAt)) return false;
    if (f?.startAt || f?.endAt) {
      const visits = visitsOf(store, j);
      if (!inRange(visits[0]?.startAt ?? null, f?.startAt)) return false;
      if (!inRange(visits.at(-1)?.endAt ?? null, f?.endAt)) return false;
    }
    if (term) {
      const client = store.clients.get(j.clientId);
      const haystack = `${j.title} ${j.jobNumber} ${client ? clientName(client) : ""}`.toLowerCase();
      if (!haystack.includes(term)) return false;
    }
    return true;
  };
}

function jobSortKey(store: Store, key: string): (j: JobRecord) => SortKey {
  if (key === "UPDATED_AT") return (j) => j.updatedAt;
  return (j) => {
    const c = store.clients.get(j.clientId);
    if (!c) return null;
    return key === "CLIENT_FIRST_NAME" ? c.firstName : clientName(c);
  };
}

/** `jobs(filter, sort, searchTerm, first/after…)`: id order, or keyset order when sorted. */
export function jobsConnection(store: Store, jobs: JobRecord[], args: JobArgs, field = "jobs") {
  const match = jobMatcher(store, args);
  const sort = args.sort?.[0];
  if (!sort) return connection(pageById(jobs, pageRequest(args, field), match));
  return sortedConnection(
    jobs.filter(match),
    jobSortKey(store, sort.key),
    sort.direction === "DESCENDING",
    args,
    field,
  );
}

interface VisitArgs extends PageArgs {
  filter?: {
    status?: string | null;
    createdAt?: RangeFilter | null;
    startAt?: RangeFilter | null;
    endAt?: RangeFilter | null;
    completedAt?: RangeFilter | null;
    assignedTo?: string | null;
  } | null;
  sort?: Array<{ key: string; direction: string }> | null;
  timezone?: string | null;
}

function visitSortKey(store: Store, key: string): (v: VisitRecord) => SortKey {
  if (key === "CREATED_AT") return (v) => v.createdAt;
  if (key === "CLIENT_PRIMARY_NAME") {
    // "The client last name or company name associated with the visit."
    return (v) => {
      const c = store.clients.get(store.jobs.get(v.jobId)?.clientId ?? -1);
      if (!c) return null;
      return c.isCompany && c.companyName ? c.companyName : c.lastName;
    };
  }
  return (v) => v.startAt;
}

/** `visits(filter, sort, timezone, first/after…)`, sorted by START_AT ascending unless told. */
export function visitsConnection(store: Store, visits: VisitRecord[], args: VisitArgs, field = "visits") {
  const f = args.filter;
  const zone = zoneArg(args.timezone);
  const now = store.now();
  const assignedTo = f?.assignedTo != null ? lookup("User", f.assignedTo) ?? -1 : null;
  const matched = visits.filter((v) =>
    (!f?.status || visitStatus(v, now, zone) === f.status) &&
    inRange(v.createdAt, f?.createdAt) &&
    inRange(v.startAt, f?.startAt) &&
    inRange(v.endAt, f?.endAt) &&
    inRange(v.completedAt, f?.completedAt) &&
    (assignedTo === null || v.assignedUserIds.includes(assignedTo))
  );
  const sort = args.sort?.[0];
  return sortedConnection(
    matched,
    visitSortKey(store, sort?.key ?? "START_AT"),
    sort?.direction === "DESCENDING",
    args,
    field,
  );
}

function geoPoint(c: Coordinates | null) {
  if (!c) return null;
  return {
    latitude: c.latitude,
    longitude: c.longitude,
    latitudeString: String(c.latitude),
    longitudeString: String(c.longitude),
    // Well-known text, longitude first, as PostGIS-backed Rails apps print a point.
    point: `POINT (${c.longitude} ${c.latitude})`,
  };
}

function accountVisits(ctx: GqlContext): VisitRecord[] {
  return ctx.store.listJobs(ctx.accountId).flatMap((j) => visitsOf(ctx.store, j));
}

export const workQueries: Record<string, Resolver> = {
  jobs: (_r, args, ctx) => jobsConnection(ctx.store, ctx.store.listJobs(ctx.accountId), args as JobArgs),
  job: (_r, args, ctx) => ownJob(ctx, lookup("Job", args.id)),
  visits: (_r, args, ctx) => visitsConnection(ctx.store, accountVisits(ctx), args as VisitArgs),
  visit: (_r, args, ctx) => {
    const visit = ctx.store.visits.get(lookup("Visit", args.id) ?? -1);
    return visit && ownJob(ctx, visit.jobId) ? visit : null;
  },
};

export const workResolvers: Record<string, Record<string, Resolver>> = {
  Property: {
    id: idOf("Property"),
    client: (r, _a, ctx) => ctx.store.clients.get((r as PropertyRecord).clientId) ?? null,
    address: (r) => {
      const p = r as PropertyRecord;
      return {
        ...p.address,
        id: encodeId("Property", p.id),
        street: [p.address.street1, p.address.street2].filter(Boolean).join(", "),
        coordinates: geoPoint(p.coordinates),
        geoStatus: p.geoStatus,
      };
    },
    // The 2022 schema's deprecated string coordinates: "" when the address was not placed.
    latitude: (r) => String((r as PropertyRecord).coordinates?.latitude ?? ""),
    longitude: (r) => String((r as PropertyRecord).coordinates?.longitude ?? ""),
    isBillingAddress: (r, _a, ctx) => {
      const p = r as PropertyRecord;
      const b = ctx.store.clients.get(p.clientId)?.billingAddress;
      return b ? b.street1 === p.address.street1 && b.postalCode === p.address.postalCode : false;
    },
    jobberWebUri: (r) => `https://secure.getjobber.com/properties/${(r as PropertyRecord).id}`,
    jobs: (r, args, ctx) => {
      const p = r as PropertyRecord;
      const client = ctx.store.clients.get(p.clientId);
      const jobs = client ? ctx.store.listJobs(client.accountId).filter((j) => j.propertyId === p.id) : [];
      return pageList(jobs, args, "jobs");
    },
  },
  Job: {
    id: idOf("Job"),
    client: (r, _a, ctx) => ctx.store.clients.get((r as JobRecord).clientId),
    property: (r, _a, ctx) => ctx.store.properties.get((r as JobRecord).propertyId),
    jobStatus: (r, _a, ctx) => jobStatus(ctx.store, r as JobRecord),
    instructions: () => null,
    startAt: (r, _a, ctx) => visitsOf(ctx.store, r as JobRecord)[0]?.startAt ?? null,
    endAt: (r, _a, ctx) => visitsOf(ctx.store, r as JobRecord).at(-1)?.endAt ?? null,
    jobberWebUri: (r) => `https://secure.getjobber.com/work_orders/${(r as JobRecord).id}`,
    visits: (r, args, ctx) =>
      visitsConnection(ctx.store, visitsOf(ctx.store, r as JobRecord), args, "visits"),
    visitsInfo: (r, _a, ctx) => visitsInfo(ctx.store, r as JobRecord),
  },
  Visit: {
    id: idOf("Visit"),
    allDay: () => false,
    assignedUsers: (r, args, ctx) => {
      const users = (r as VisitRecord).assignedUserIds
        .map((id) => ctx.store.users.get(id))
        .filter((u): u is UserRecord => u !== undefined)
        .sort((a, b) => a.id - b.id);
      return pageList(users, args, "assignedUsers");
    },
    duration: (r) => Math.round(((r as VisitRecord).endAt - (r as VisitRecord).startAt) / 60000),
    instructions: () => null,
    isComplete: (r) => (r as VisitRecord).completedAt !== null,
    isDefaultTitle: () => true,
    isLastScheduledVisit: (r, _a, ctx) => isLastScheduledVisit(ctx.store, r as VisitRecord),
    job: (r, _a, ctx) => ctx.store.jobs.get((r as VisitRecord).jobId),
    client: (r, _a, ctx) =>
      ctx.store.clients.get(ctx.store.jobs.get((r as VisitRecord).jobId)?.clientId ?? -1),
    property: (r, _a, ctx) =>
      ctx.store.properties.get(ctx.store.jobs.get((r as VisitRecord).jobId)?.propertyId ?? -1),
    visitStatus: (r, args, ctx) => visitStatus(r as VisitRecord, ctx.store.now(), zoneArg(args.timezone)),
  },
};
