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
