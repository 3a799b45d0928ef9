// Every GraphQL document we send to Jobber, with zod schemas for just the fields we read.
// Response objects are not .strict(): Jobber adds fields over time. The documents are
// validated against Jobber's published schema in queries_test.ts.
import { z } from "zod";
import { computeQueryCost } from "./cost.ts";

const CLIENT_FIELDS = `
fragment ClientFields on Client {
  id
  name
  firstName
  lastName
  companyName
  isCompany
  isLead
  isArchived
  updatedAt
  emails { address primary }
  phones { number primary }
  billingAddress { street1 street2 city province postalCode country }
  clientProperties(first: 1) {
    nodes { address { street1 street2 city province postalCode country } }
  }
}`;

export const ACCOUNT_QUERY = `
query Account {
  account { id name }
}`;

export const CLIENTS_PAGE_QUERY = `
query ClientsPage($first: Int!, $after: String, $filter: ClientFilterAttributes) {
  clients(first: $first, after: $after, filter: $filter) {
    nodes { ...ClientFields }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
${CLIENT_FIELDS}`;

// Jobs and visits as the webhook worker and reconciliation read them: the job with its client
// (so a job whose client has no customer yet gets one from the same answer) and its property
// (the address, and the coordinates its time zone comes from); a visit with its assignees (the
// {technician} of a review message) and its job. Every connection has a small `first`, since
// Jobber multiplies a connection's fields by it.
const JOB_FIELDS = `
fragment JobFields on Job {
  id
  jobNumber
  title
  jobStatus
  jobType
  total
  completedAt
  updatedAt
  client { ...ClientFields }
  property {
    address { street1 street2 city province postalCode country coordinates { latitude longitude } }
  }
}`;

const VISIT_FIELDS = `
fragment VisitFields on Visit {
  id
  title
  startAt
  endAt
  completedAt
  isLastScheduledVisit
  assignedUsers(first: 10) { nodes { name { full } } }
}`;

/** One client (CLIENT_CREATE / CLIENT_UPDATE / CLIENT_DESTROY). */
export const CLIENT_QUERY = `
query Client($id: EncodedId!) {
  client(id: $id) { ...ClientFields }
}
${CLIENT_FIELDS}`;

/** One job with its client and property (JOB_CREATE / JOB_UPDATE / JOB_CLOSED / JOB_DESTROY). */
export const JOB_QUERY = `
query Job($id: EncodedId!) {
  job(id: $id) { ...JobFields }
}
${JOB_FIELDS}
${CLIENT_FIELDS}`;

/** One visit with its job (VISIT_COMPLETE). */
export const VISIT_QUERY = `
query Visit($id: EncodedId!) {
  visit(id: $id) { ...VisitFields job { ...JobFields } }
}
${VISIT_FIELDS}
${JOB_FIELDS}
${CLIENT_FIELDS}`;

/** A page of jobs completed (closed) within a window: reconciliation's first phase. */
export const COMPLETED_JOBS_QUERY = `
query CompletedJobs($first: Int!, $after: String, $filter: JobFilterAttributes) {
  jobs(first: $first, after: $after, filter: $filter) {
    nodes { ...JobFields }
    pageInfo { hasNextPage endCursor }
  }
}
${JOB_FIELDS}
${CLIENT_FIELDS}`;

/** A page of visits completed within a window, each with its job: reconciliation's second phase. */
export const COMPLETED_VISITS_QUERY = `
query CompletedVisits($first: Int!, $after: String, $filter: VisitFilterAttributes) {
  visits(first: $first, after: $after, filter: $filter) {
    nodes { ...VisitFields job { ...JobFields } }
    pageInfo { hasNextPage endCursor }
  }
}
${VISIT_FIELDS}
${JOB_FIELDS}
${CLIENT_FIELDS}`;

/** Acts on the token's own account and invalidates its tokens (Jobber requires we call it). */
export const APP_DISCONNECT_MUTATION = `
mutation AppDisconnect {
  appDisconnect {
    app { name author }
    userErrors { message path }
  }
}`;

// Jobber's scalars may be null even where the 2022 schema says non-null (newer versions relaxed
// several), so string fields we only display are nullish.
const text = z.string().nullish();
const flag = z.boolean().nullish();
const isoDateTime = z.string().refine((v) => !Number.isNaN(Date.parse(v)), {
  error: "must be an ISO 8601 date-time",
});

export const addressSchema = z.object({
  street1: text,
  street2: text,
  city: text,
  province: text,
  postalCode: text,
  country: text,
});

export const clientNodeSchema = z.object({
  id: z.string().min(1),
  name: text,
  firstName: text,
  lastName: text,
  companyName: text,
  isCompany: flag,
  isLead: flag,
  isArchived: flag,
  updatedAt: isoDateTime,
  emails: z.array(z.object({ address: text, primary: flag })).nullish(),
  phones: z.array(z.object({ number: text, primary: flag })).nullish(),
  billingAddress: addressSchema.nullish(),
  clientProperties: z.object({ nodes: z.array(z.object({ address: addressSchema.nullish() })) }).nullish(),
});

export type JobberAddress = z.output<typeof addressSchema>;
export type JobberClientNode = z.output<typeof clientNodeSchema>;

const id = z.string().min(1);

export const propertyAddressSchema = addressSchema.extend({
  coordinates: z.object({ latitude: z.number(), longitude: z.number() }).nullish(),
});

export const jobNodeSchema = z.object({
  id,
  jobNumber: z.number().int().nullish(),
  title: text,
  jobStatus: text,
  jobType: text,
  total: z.number().nullish(),
  completedAt: isoDateTime.nullish(),
  updatedAt: isoDateTime,
  // The client is checked on its own (a malformed client must not lose the job's completion).
  client: z.unknown(),
  property: z.object({ address: propertyAddressSchema.nullish() }).nullish(),
});

export const visitNodeSchema = z.object({
  id,
  title: text,
  startAt: isoDateTime.nullish(),
  endAt: isoDateTime.nullish(),
  completedAt: isoDateTime.nullish(),
  isLastScheduledVisit: flag,
  assignedUsers: z.object({ nodes: z.array(z.object({ name: z.object({ full: text }).nullish() })) }).nullish(),
});

export const visitWithJobSchema = visitNodeSchema.extend({ job: jobNodeSchema });

export type JobberPropertyAddress = z.output<typeof propertyAddressSchema>;
export type JobberJobNode = z.output<typeof jobNodeSchema>;
export type JobberVisitNode = z.output<typeof visitNodeSchema>;
export type JobberVisitWithJob = z.output<typeof visitWithJobSchema>;

// Single-record lookups answer null for a record that is gone (deleted, or another account's).
export const clientResultSchema = z.object({ client: z.unknown() });
export const jobResultSchema = z.object({ job: jobNodeSchema.nullable() });
export const visitResultSchema = z.object({ visit: visitWithJobSchema.nullable() });

const pageInfoSchema = z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullish() });
// Page envelopes; nodes are checked one by one, so one malformed node does not stop the rest.
export const completedJobsPageSchema = z.object({
  jobs: z.object({ nodes: z.array(z.unknown()), pageInfo: pageInfoSchema }),
});
export const completedVisitsPageSchema = z.object({
  visits: z.object({ nodes: z.array(z.unknown()), pageInfo: pageInfoSchema }),
});

/** Variables for a page of jobs / visits completed within [after, before]. */
export function completedWithinVariables(first: number, after: string | null, window: { from: Date; to: Date }) {
  return {
    first,
    after,
    filter: { completedAt: { after: window.from.toISOString(), before: window.to.toISOString() } },
  };
}

export const accountResultSchema = z.object({
  account: z.object({ id: z.string().min(1), name: z.string() }),
});

export const appDisconnectResultSchema = z.object({
  appDisconnect: z.object({
    app: z.object({ name: text, author: text }).nullish(),
    userErrors: z.array(z.object({ message: z.string(), path: z.array(z.string()).nullish() })),
  }),
});

export interface ClientsPageVariables {
  [key: string]: unknown;
  first: number;
  after?: string | null;
  filter?: { updatedAt?: { after?: string; before?: string }; isArchived?: boolean; isLead?: boolean };
}

/** Variables for a page of clients updated after `since` (incremental sync); omit `since` for a full sync. */
export function clientsPageVariables(
  first: number,
  after: string | null,
  since?: Date,
): ClientsPageVariables {
  const variables: ClientsPageVariables = { first, after };
  if (since) variables.filter = { updatedAt: { after: since.toISOString() } };
  return variables;
}

/** The requested cost Jobber will charge for one CLIENTS_PAGE_QUERY page of `first` clients. */
export function clientsPageCost(first: number): number {
  return computeQueryCost(CLIENTS_PAGE_QUERY, { first });
}
