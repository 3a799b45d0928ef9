import { GraphQLError, type GraphQLFieldResolver } from "graphql";
import { decodeCursor, decodeId, encodeCursor, encodeId, type GidType } from "./ids.ts";
import type {
  AccountRecord,
  ClientRecord,
  EmailRecord,
  JobRecord,
  PhoneRecord,
  PropertyRecord,
  VisitRecord,
} from "./model.ts";
import { APP_UUID } from "./options.ts";
import {
  type ClientFilter,
  clientName,
  inRange,
  type Page,
  pageById,
  type RangeFilter,
  type Store,
} from "./store.ts";
import { WEBHOOK_TOPICS } from "./topics.ts";

export interface GqlContext {
  store: Store;
  accountId: number;
  appName: string;
  /** Revokes the app's tokens for the account and fires APP_DISCONNECT. */
  disconnect(accountId: number): void;
}

type Resolver = GraphQLFieldResolver<unknown, GqlContext, Record<string, unknown>>;

export const MAX_PAGE_SIZE = 100;

interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

function pageRequest(args: PageArgs, field: string) {
  for (const name of ["first", "last"] as const) {
    const n = args[name];
    if (n != null && (n < 0 || n > MAX_PAGE_SIZE)) {
      throw new GraphQLError(
        `Argument '${name}' on Field '${field}' must be between 0 and ${MAX_PAGE_SIZE}, got ${n}`,
      );
    }
  }
  const cursor = (name: "after" | "before") => {
    const raw = args[name];
    if (raw == null) return null;
    const id = decodeCursor(raw);
    if (id === null) throw new GraphQLError(`Invalid cursor for argument '${name}' on Field '${field}'`);
    return id;
  };
  return { first: args.first, last: args.last, afterId: cursor("after"), beforeId: cursor("before") };
}

function connection<T extends { id: number }>(page: Page<T>) {
  const first = page.items[0];
  const last = page.items[page.items.length - 1];
  return {
    nodes: page.items,
    // Functions are resolved lazily by graphql's default resolver, so unrequested parts cost nothing.
    edges: () => page.items.map((node) => ({ cursor: encodeCursor(node.id), node })),
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: first ? encodeCursor(first.id) : null,
      endCursor: last ? encodeCursor(last.id) : null,
    },
    totalCount: page.totalCount,
  };
}

function pageList<T extends { id: number }>(list: T[], args: PageArgs, field: string) {
  return connection(pageById(list, pageRequest(args, field), () => true));
}

function lookup(type: GidType, id: unknown): number | null {
  const decoded = typeof id === "string" ? decodeId(id) : null;
  return decoded && decoded.type === type ? decoded.n : null;
}

const idOf = (type: GidType): Resolver => (r) => encodeId(type, (r as { id: number }).id);

function normalizePhone(number: string): string | null {
  const digits = number.replace(/\D/g, "");
  if (digits.length === 10 && !/^0+$/.test(digits)) return `+1${digits}`;
  if (digits.length === 11 && digits.startsWith("1")) return `+${digits}`;
  if (number.trim().startsWith("+") && digits.length >= 11 && digits.length <= 15) return `+${digits}`;
  return null;
}

function friendlyPhone(number: string): string {
  const normalized = normalizePhone(number);
  const m = normalized ? /^\+1(\d{3})(\d{3})(\d{4})$/.exec(normalized) : null;
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : number;
}

function clientMatcher(filter: ClientFilter | null | undefined, searchTerm: string | null | undefined) {
  const term = searchTerm?.trim().toLowerCase() ?? "";
  return (c: ClientRecord): boolean => {
    if (filter) {
      if (filter.isArchived != null && c.isArchived !== filter.isArchived) return false;
      if (filter.isLead != null && c.isLead !== filter.isLead) return false;
      if (filter.isCompany != null && c.isCompany !== filter.isCompany) return false;
      if (!inRange(c.updatedAt, filter.updatedAt)) return false;
      if (!inRange(c.createdAt, filter.createdAt)) return false;
    }
    if (term) {
      const haystack = [
        clientName(c),
        c.companyName ?? "",
        ...c.emails.map((e) => e.address),
        ...c.phones.map((p) => p.number),
      ]
        .join("\n")
        .toLowerCase();
      if (!haystack.includes(term)) return false;
    }
    return true;
  };
}

function visitsOf(store: Store, job: JobRecord): VisitRecord[] {
  return job.visitIds.map((id) => store.visits.get(id)).filter((v): v is VisitRecord => v !== undefined);
}

function visitStatus(v: VisitRecord, now: number): string {
  if (v.completedAt !== null) return "COMPLETED";
  if (v.endAt < now) return "LATE";
  if (v.startAt <= now) return "ACTIVE";
  if (new Date(v.startAt).toDateString() === new Date(now).toDateString()) return "TODAY";
  return "UPCOMING";
}

interface JobArgs extends PageArgs {
  filter?: {
    jobType?: string | null;
    status?: string | null;
    createdAt?: RangeFilter | null;
    startAt?: RangeFilter | null;
    endAt?: RangeFilter | null;
    completedAt?: RangeFilter | null;
  } | null;
  sort?: Array<{ key: string; direction: string }> | null;
  searchTerm?: string | null;
}

function jobsQuery(store: Store, accountId: number, args: JobArgs) {
  const req = pageRequest(args, "jobs");
  const term = args.searchTerm?.trim().toLowerCase() ?? "";
  const f = args.filter;
  const match = (j: JobRecord): boolean => {
    const visits = visitsOf(store, j);
    if (f?.jobType && f.jobType !== "ONE_OFF") return false;
    if (f?.status && j.jobStatus !== f.status) return false;
    if (!inRange(j.createdAt, f?.createdAt)) return false;
    if (!inRange(j.completedAt, f?.completedAt)) return false;
    if (!inRange(visits[0]?.startAt ?? null, f?.startAt)) return false;
    if (!inRange(visits[visits.length - 1]?.endAt ?? null, f?.endAt)) return false;
    if (term && !`${j.title} ${j.jobNumber}`.toLowerCase().includes(term)) return false;
    return true;
  };
  const list = store.listJobs(accountId);
  const sort = args.sort?.[0];
  if (!sort) return connection(pageById(list, req, match));
  // Sorted listings are small (jobs, not clients): sort a filtered copy, then page by the
  // position of the cursor's job in it.
  const dir = sort.direction === "DESCENDING" ? -1 : 1;
  const key = (j: JobRecord): string | number => {
    if (sort.key === "UPDATED_AT") return j.updatedAt;
    const c = store.clients.get(j.clientId);
    if (!c) return "";
    return sort.key === "CLIENT_FIRST_NAME" ? c.firstName : clientName(c);
  };
  const sorted = list.filter(match).sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return (ka < kb ? -1 : ka > kb ? 1 : a.id - b.id) * dir;
  });
  const indexAfter = req.afterId != null ? sorted.findIndex((j) => j.id === req.afterId) + 1 : 0;
  const indexBefore = req.beforeId != null ? sorted.findIndex((j) => j.id === req.beforeId) : sorted.length;
  const window = sorted.slice(indexAfter, indexBefore < 0 ? sorted.length : indexBefore);
  const limit = req.first ?? (req.last == null ? 100 : null);
  const items = limit != null ? window.slice(0, limit) : window.slice(Math.max(0, window.length - req.last!));
  const startIndex = indexAfter + window.indexOf(items[0]!);
  return connection({
    items,
    hasNextPage: startIndex + items.length < sorted.length,
    hasPreviousPage: items.length > 0 && startIndex > 0,
    totalCount: () => sorted.length,
  });
}

function ownClient(ctx: GqlContext, id: number | null): ClientRecord | null {
  const c = id === null ? undefined : ctx.store.clients.get(id);
  return c && c.accountId === ctx.accountId ? c : null;
}

function ownJob(ctx: GqlContext, id: number | null): JobRecord | null {
  const j = id === null ? undefined : ctx.store.jobs.get(id);
  return j && j.accountId === ctx.accountId ? j : null;
}

function userOf(account: AccountRecord) {
  return { account, ...account };
}

export const resolvers: Record<string, Record<string, Resolver>> = {
  Query: {
    account: (_r, _a, ctx) => ctx.store.accounts.get(ctx.accountId) ?? null,
    user: (_r, args, ctx) => {
      const account = ctx.store.accounts.get(ctx.accountId);
      if (!account) return null;
      if (args.id != null && lookup("User", args.id) !== account.ownerUserId) return null;
      return userOf(account);
    },
    clients: (_r, args, ctx) => {
      const a = args as PageArgs & { filter?: ClientFilter | null; searchTerm?: string | null };
      const req = pageRequest(a, "clients");
      return connection(
        pageById(ctx.store.listClients(ctx.accountId), req, clientMatcher(a.filter, a.searchTerm)),
      );
    },
    client: (_r, args, ctx) => ownClient(ctx, lookup("Client", args.id)),
    jobs: (_r, args, ctx) => jobsQuery(ctx.store, ctx.accountId, args as JobArgs),
    job: (_r, args, ctx) => ownJob(ctx, lookup("Job", args.id)),
    visit: (_r, args, ctx) => {
      const visit = ctx.store.visits.get(lookup("Visit", args.id) ?? -1);
      return visit && ownJob(ctx, visit.jobId) ? visit : null;
    },
    webHookEvent: (_r, args) => {
      const hook = lookup("WebHook", args.webHookId);
      const topic = hook === null ? undefined : WEBHOOK_TOPICS[hook - 1];
      if (!topic) throw new GraphQLError("Web hook not found");
      return {
        topic,
        appId: APP_UUID,
        accountId: args.accountId,
        itemId: args.itemId,
        occuredAt: args.occuredAt,
      };
    },
  },
  Mutation: {
    appDisconnect: (_r, _a, ctx) => {
      ctx.disconnect(ctx.accountId);
      return {
        app: {
          id: 1,
          name: ctx.appName,
          author: ctx.appName,
          description: `${ctx.appName} (Jobber sandbox)`,
        },
        userErrors: [],
      };
    },
  },
  Account: { id: idOf("Account") },
  Application: { id: idOf("Application") },
  User: {
    id: (r) => encodeId("User", (r as AccountRecord).ownerUserId),
    name: (r) => {
      const n = (r as AccountRecord).ownerName;
      return { first: n.first, last: n.last, full: `${n.first} ${n.last}` };
    },
    email: (r) => ({ raw: (r as AccountRecord).ownerEmail, isValid: true }),
    isAccountAdmin: () => true,
    isAccountOwner: () => true,
    isCurrentUser: () => true,
  },
  Client: {
    id: idOf("Client"),
    name: (r) => clientName(r as ClientRecord),
    secondaryName: (r) => {
      const c = r as ClientRecord;
      const person = `${c.firstName} ${c.lastName}`.trim();
      return c.isCompany ? (person || null) : c.companyName;
    },
    isArchivable: (r) => !(r as ClientRecord).isArchived,
    jobberWebUri: (r) => `https://secure.getjobber.com/clients/${(r as ClientRecord).id}`,
    defaultEmails: (r) => (r as ClientRecord).emails.filter((e) => e.primary).map((e) => e.address),
    emails: (r) => (r as ClientRecord).emails.map((e) => ({ ...e, client: r })),
    phones: (r) => (r as ClientRecord).phones.map((p) => ({ ...p, client: r })),
    billingAddress: (r) => {
      const a = (r as ClientRecord).billingAddress;
      return a &&
        { ...a, street: [a.street1, a.street2].filter(Boolean).join(", "), latitude: "", longitude: "" };
    },
    clientProperties: (r, args) => pageList((r as ClientRecord).properties, args, "clientProperties"),
    jobs: (r, args, ctx) => {
      const c = r as ClientRecord;
      return pageList(ctx.store.listJobs(c.accountId).filter((j) => j.clientId === c.id), args, "jobs");
    },
    tags: (_r, args) => pageList([], args, "tags"),
  },
  Email: { id: (r) => encodeId("Email", (r as EmailRecord).id) },
  ClientPhoneNumber: {
    id: (r) => encodeId("ClientPhoneNumber", (r as PhoneRecord).id),
    friendly: (r) => friendlyPhone((r as PhoneRecord).number),
    normalizedPhoneNumber: (r) => normalizePhone((r as PhoneRecord).number),
  },
  Property: {
    id: idOf("Property"),
    client: (r, _a, ctx) => ctx.store.clients.get((r as PropertyRecord).clientId) ?? null,
    address: (r) => {
      const p = r as PropertyRecord;
      return {
        ...p.address,
        id: encodeId("Property", p.id),
        street: [p.address.street1, p.address.street2].filter(Boolean).join(", "),
      };
    },
    isBillingAddress: (r, _a, ctx) => {
      const p = r as PropertyRecord;
      const b = ctx.store.clients.get(p.clientId)?.billingAddress;
      return b ? b.street1 === p.address.street1 && b.postalCode === p.address.postalCode : false;
    },
    jobberWebUri: (r) => `https://secure.getjobber.com/properties/${(r as PropertyRecord).id}`,
  },
  Job: {
    id: idOf("Job"),
    client: (r, _a, ctx) => ctx.store.clients.get((r as JobRecord).clientId),
    property: (r, _a, ctx) => ctx.store.properties.get((r as JobRecord).propertyId),
    jobType: () => "ONE_OFF",
    instructions: () => null,
    startAt: (r, _a, ctx) => visitsOf(ctx.store, r as JobRecord)[0]?.startAt ?? null,
    endAt: (r, _a, ctx) => visitsOf(ctx.store, r as JobRecord).at(-1)?.endAt ?? null,
    jobberWebUri: (r) => `https://secure.getjobber.com/work_orders/${(r as JobRecord).id}`,
    visits: (r, args, ctx) => pageList(visitsOf(ctx.store, r as JobRecord), args, "visits"),
  },
  Visit: {
    id: idOf("Visit"),
    allDay: () => false,
    duration: (r) => Math.round(((r as VisitRecord).endAt - (r as VisitRecord).startAt) / 60000),
    instructions: () => null,
    isComplete: (r) => (r as VisitRecord).completedAt !== null,
    isDefaultTitle: () => true,
    isLastScheduledVisit: (r, _a, ctx) => ctx.store.isLastScheduledVisit(r as VisitRecord),
    job: (r, _a, ctx) => ctx.store.jobs.get((r as VisitRecord).jobId),
    client: (r, _a, ctx) =>
      ctx.store.clients.get(ctx.store.jobs.get((r as VisitRecord).jobId)?.clientId ?? -1),
    property: (r, _a, ctx) =>
      ctx.store.properties.get(ctx.store.jobs.get((r as VisitRecord).jobId)?.propertyId ?? -1),
    visitStatus: (r, _a, ctx) => visitStatus(r as VisitRecord, ctx.store.now()),
  },
};
