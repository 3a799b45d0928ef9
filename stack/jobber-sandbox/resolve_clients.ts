// Resolvers for the account, its team members and its clients.
import { geocode } from "./geo.ts";
import { encodeId } from "./ids.ts";
import type { ClientRecord, EmailRecord, PhoneRecord, UserRecord } from "./model.ts";
import { inRange, pageById } from "./paging.ts";
import {
  connection,
  idOf,
  lookup,
  type PageArgs,
  pageList,
  pageRequest,
  type Resolver,
} from "./resolve_common.ts";
import { type ClientFilter, clientName } from "./store.ts";

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

export const clientsQuery: Resolver = (_r, args, ctx) => {
  const a = args as PageArgs & { filter?: ClientFilter | null; searchTerm?: string | null };
  const req = pageRequest(a, "clients");
  return connection(
    pageById(ctx.store.listClients(ctx.accountId), req, clientMatcher(a.filter, a.searchTerm)),
  );
};

/** `user` without an id is the user who connected the app (the account owner). */
export const userQuery: Resolver = (_r, args, ctx) => {
  const account = ctx.store.accounts.get(ctx.accountId);
  if (!account) return null;
  const id = args.id == null ? account.ownerUserId : lookup("User", args.id);
  const user = id === null ? undefined : ctx.store.users.get(id);
  return user && user.accountId === ctx.accountId ? user : null;
};

export const clientResolvers: Record<string, Record<string, Resolver>> = {
  Account: { id: idOf("Account") },
  Application: { id: idOf("Application") },
  User: {
    id: idOf("User"),
    account: (r, _a, ctx) => ctx.store.accounts.get((r as UserRecord).accountId) ?? null,
    name: (r) => {
      const u = r as UserRecord;
      return { first: u.firstName, last: u.lastName, full: `${u.firstName} ${u.lastName}`.trim() };
    },
    email: (r) => ({ raw: (r as UserRecord).email, isValid: true }),
    isAccountAdmin: (r) => (r as UserRecord).isAdmin,
    isAccountOwner: (r) => (r as UserRecord).isOwner,
    // Tokens are issued to the owner, who is the one connecting apps.
    isCurrentUser: (r, _a, ctx) =>
      ctx.store.accounts.get(ctx.accountId)?.ownerUserId === (r as UserRecord).id,
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
      if (!a) return null;
      // ClientAddress has only the 2022 string coordinates; "" when the address was not placed.
      const point = geocode(a);
      return {
        ...a,
        street: [a.street1, a.street2].filter(Boolean).join(", "),
        latitude: point ? String(point.latitude) : "",
        longitude: point ? String(point.longitude) : "",
      };
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
};
