import {
  buildSchema,
  GraphQLError,
  type GraphQLScalarType,
  type GraphQLSchema,
  isObjectType,
  Kind,
} from "graphql";
import { decodeId, isoSeconds } from "./ids.ts";
import { resolvers } from "./resolvers.ts";

/**
 * Schema coordinates the sandbox serves that are newer than the 2022 reference introspection
 * (jobber-schema-2022.introspection.json). The conformance test skips exactly these, and
 * checks they really are absent from the reference so the list stays honest.
 */
export const NEWER_THAN_2022: readonly string[] = [
  // Added to Jobber's public schema after 2022; the integration listens for it to learn a job closed.
  "WebHookTopicEnum.JOB_CLOSED",
];

// Hand-written subset of Jobber's public schema. Type, field, argument and enum names, types
// and nullability are Jobber's (checked by schema_conformance_test.ts); only what the
// integration needs is here.
export const SDL = /* GraphQL */ `
scalar EncodedId
scalar ISO8601DateTime
"""An IANA time zone name, e.g. America/Denver."""
scalar Timezone

type Query {
  account: Account
  user(id: EncodedId): User
  clients(
    filter: ClientFilterAttributes
    searchTerm: String
    after: String
    before: String
    first: Int
    last: Int
  ): ClientConnection!
  client(id: EncodedId!): Client
  jobs(
    filter: JobFilterAttributes
    sort: [JobsSortInput!]
    searchTerm: String
    after: String
    before: String
    first: Int
    last: Int
  ): JobConnection!
  job(id: EncodedId!): Job
  visit(id: EncodedId!): Visit
  visits(
    filter: VisitFilterAttributes
    sort: [VisitsSortInput!]
    timezone: Timezone
    after: String
    before: String
    first: Int
    last: Int
  ): VisitConnection!
  webHookEvent(
    webHookId: EncodedId!
    itemId: EncodedId!
    accountId: EncodedId!
    occuredAt: ISO8601DateTime!
  ): WebHookPayload!
}

type Mutation {
  appDisconnect: AppDisconnectPayload!
}

type Account {
  createdAt: ISO8601DateTime!
  id: EncodedId!
  name: String!
}

type User {
  account: Account
  email: UserEmail!
  id: EncodedId!
  isAccountAdmin: Boolean!
  isAccountOwner: Boolean!
  isCurrentUser: Boolean!
  name: Name!
}

type Name {
  first: String!
  full: String!
  last: String!
}

type UserConnection {
  edges: [UserEdge!]
  nodes: [User!]!
  pageInfo: PageInfo!
  totalCount: Int!
}

type UserEdge {
  cursor: String!
  node: User!
}

type UserEmail {
  isValid: Boolean!
  raw: String!
}

type PageInfo {
  endCursor: String
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
}

input Iso8601DateTimeRangeInput {
  before: ISO8601DateTime
  after: ISO8601DateTime
  eq: ISO8601DateTime
}

input ClientFilterAttributes {
  isCompany: Boolean
  isLead: Boolean
  isArchived: Boolean
  updatedAt: Iso8601DateTimeRangeInput
  createdAt: Iso8601DateTimeRangeInput
}

type Client {
  balance: Float!
  billingAddress: ClientAddress
  clientProperties(after: String, before: String, first: Int, last: Int): PropertyConnection!
  companyName: String
  createdAt: ISO8601DateTime!
  defaultEmails: [String!]!
  emails: [Email!]!
  firstName: String!
  id: EncodedId!
  isArchivable: Boolean!
  isArchived: Boolean!
  isCompany: Boolean!
  isLead: Boolean!
  jobberWebUri: String!
  jobs(after: String, before: String, first: Int, last: Int): JobConnection!
  lastName: String!
  name: String!
  phones: [ClientPhoneNumber!]!
  secondaryName: String
  tags(after: String, before: String, first: Int, last: Int): TagConnection!
  title: String
  updatedAt: ISO8601DateTime!
}

type ClientConnection {
  edges: [ClientEdge!]
  nodes: [Client!]!
  pageInfo: PageInfo!
  totalCount: Int!
}

type ClientEdge {
  cursor: String!
  node: Client!
}

type ClientAddress {
  city: String!
  country: String!
  latitude: String!
  longitude: String!
  postalCode: String!
  province: String!
  street: String!
  street1: String!
  street2: String!
}

type Email {
  address: String!
  client: Client!
  description: String!
  id: EncodedId!
  primary: Boolean!
}

type ClientPhoneNumber {
  client: Client!
  description: String!
  friendly: String!
  id: EncodedId!
  normalizedPhoneNumber: String
  number: String!
  primary: Boolean!
  smsAllowed: Boolean!
}

type Tag {
  id: EncodedId!
  label: String!
}

type TagConnection {
  edges: [TagEdge!]
  nodes: [Tag!]!
  pageInfo: PageInfo!
  totalCount: Int!
}

type TagEdge {
  cursor: String!
  node: Tag!
}

type Property {
  address: PropertyAddress!
  client: Client
  id: EncodedId!
  isBillingAddress: Boolean
  jobberWebUri: String!
  jobs(after: String, before: String, first: Int, last: Int): JobConnection!
  latitude: String! @deprecated(reason: "Use the fields available on 'address' instead")
  longitude: String! @deprecated(reason: "Use the fields available on 'address' instead")
}

type PropertyAddress {
  city: String
  coordinates: GeoPoint
  country: String
  geoStatus: GeoStatus
  id: EncodedId!
  postalCode: String
  province: String
  street: String!
  street1: String
  street2: String
}

type GeoPoint {
  latitude: Float!
  latitudeString: String!
  longitude: Float!
  longitudeString: String!
  point: String!
}

enum GeoStatus {
  NOT_STARTED
  PROCESSING
  FOUND
  NOT_FOUND
  MANUAL_OVERRIDE
  FOUND_ALTERNATE
}

type PropertyConnection {
  edges: [PropertyEdge!]
  nodes: [Property!]!
  pageInfo: PageInfo!
  totalCount: Int!
}

type PropertyEdge {
  cursor: String!
  node: Property!
}

enum JobStatusTypeEnum {
  requires_invoicing
  archived
  late
  today
  upcoming
  action_required
  on_hold
  unscheduled
  active
}

enum JobTypeTypeEnum {
  ONE_OFF
  RECURRING
}

enum JobSortKey {
  CLIENT_FIRST_NAME
  CLIENT_PRIMARY_NAME
  UPDATED_AT
}

enum SortDirectionEnum {
  ASCENDING
  DESCENDING
}

input JobsSortInput {
  key: JobSortKey!
  direction: SortDirectionEnum!
}

input JobFilterAttributes {
  jobType: JobTypeTypeEnum
  createdAt: Iso8601DateTimeRangeInput
  startAt: Iso8601DateTimeRangeInput
  endAt: Iso8601DateTimeRangeInput
  completedAt: Iso8601DateTimeRangeInput
  includeUnscheduled: Boolean
  status: JobStatusTypeEnum
}

type Job {
  client: Client!
  completedAt: ISO8601DateTime
  createdAt: ISO8601DateTime!
  endAt: ISO8601DateTime
  id: EncodedId!
  instructions: String
  jobNumber: Int!
  jobStatus: JobStatusTypeEnum!
  jobType: JobTypeTypeEnum!
  jobberWebUri: String!
  property: Property!
  startAt: ISO8601DateTime
  title: String
  total: Float!
  updatedAt: ISO8601DateTime!
  visits(
    after: String
    before: String
    first: Int
    last: Int
    filter: VisitFilterAttributes
    sort: [VisitsSortInput!]
    timezone: Timezone
  ): VisitConnection!
  visitsInfo: VisitsInfo!
}

type VisitsInfo {
  futureCount: Int!
  incompleteTotal: Int!
  pastCount: Int!
  scheduledCount: Int!
  unscheduledCount: Int!
}

type JobConnection {
  edges: [JobEdge!]
  nodes: [Job!]!
  pageInfo: PageInfo!
  totalCount: Int!
}

type JobEdge {
  cursor: String!
  node: Job!
}

enum VisitStatusTypeEnum {
  ACTIVE
  COMPLETED
  LATE
  TODAY
  UNSCHEDULED
  UPCOMING
}

input VisitFilterAttributes {
  status: VisitStatusTypeEnum
  createdAt: Iso8601DateTimeRangeInput
  startAt: Iso8601DateTimeRangeInput
  endAt: Iso8601DateTimeRangeInput
  completedAt: Iso8601DateTimeRangeInput
  assignedTo: EncodedId
}

enum VisitsSortableFields {
  CREATED_AT
  START_AT
  CLIENT_PRIMARY_NAME
}

input VisitsSortInput {
  key: VisitsSortableFields!
  direction: SortDirectionEnum!
}

type Visit {
  allDay: Boolean!
  assignedUsers(after: String, before: String, first: Int, last: Int): UserConnection
  client: Client!
  completedAt: ISO8601DateTime
  createdAt: ISO8601DateTime!
  duration: Int
  endAt: ISO8601DateTime
  id: EncodedId!
  instructions: String
  isComplete: Boolean!
  isDefaultTitle: Boolean!
  isLastScheduledVisit: Boolean!
  job: Job!
  property: Property!
  startAt: ISO8601DateTime
  title: String
  visitStatus(timezone: Timezone): VisitStatusTypeEnum!
}

type VisitConnection {
  edges: [VisitEdge!]
  nodes: [Visit!]!
  pageInfo: PageInfo!
  totalCount: Int!
}

type VisitEdge {
  cursor: String!
  node: Visit!
}

enum WebHookTopicEnum {
  APP_CONNECT
  APP_DISCONNECT
  CLIENT_CREATE
  CLIENT_DESTROY
  CLIENT_UPDATE
  INVOICE_CREATE
  INVOICE_DESTROY
  INVOICE_UPDATE
  JOB_CREATE
  JOB_DESTROY
  JOB_UPDATE
  JOB_CLOSED
  PROPERTY_CREATE
  PROPERTY_DESTROY
  PROPERTY_UPDATE
  QUOTE_CREATE
  QUOTE_DESTROY
  QUOTE_UPDATE
  REQUEST_CREATE
  REQUEST_DESTROY
  REQUEST_UPDATE
  VISIT_COMPLETE
  VISIT_CREATE
  VISIT_DESTROY
  VISIT_UPDATE
}

type WebHookPayload {
  accountId: EncodedId!
  appId: String!
  itemId: EncodedId!
  occuredAt: ISO8601DateTime!
  topic: WebHookTopicEnum!
}

type Application {
  author: String!
  description: String
  id: EncodedId!
  name: String!
}

type MutationErrors {
  message: String!
  path: [String!]!
}

type AppDisconnectPayload {
  app: Application
  userErrors: [MutationErrors!]!
}
`;

function parseEncodedId(value: unknown): string {
  if (typeof value !== "string" || decodeId(value) === null) {
    throw new GraphQLError(`Invalid EncodedId: ${JSON.stringify(value)}`);
  }
  return value;
}

function parseDateTime(value: unknown): number {
  const ms = typeof value === "string" ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new GraphQLError(`Invalid ISO8601DateTime: ${JSON.stringify(value)}`);
  return ms;
}

/** Builds the executable schema: SDL plus scalar coercion plus resolvers. */
export function buildSandboxSchema(): GraphQLSchema {
  const schema = buildSchema(SDL);
  // buildSchema leaves custom scalars as pass-through; Jobber rejects malformed ids and dates.
  const encoded = schema.getType("EncodedId") as GraphQLScalarType;
  Object.assign(encoded, {
    serialize: (v: unknown) => v,
    parseValue: parseEncodedId,
    parseLiteral: (ast: { kind: string; value?: string }) =>
      parseEncodedId(ast.kind === Kind.STRING ? ast.value : undefined),
  });
  // Internally times are epoch milliseconds; on the wire they are ISO strings.
  const dateTime = schema.getType("ISO8601DateTime") as GraphQLScalarType;
  Object.assign(dateTime, {
    serialize: (v: unknown) => (typeof v === "number" ? isoSeconds(v) : v),
    parseValue: parseDateTime,
    parseLiteral: (ast: { kind: string; value?: string }) =>
      parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
  });
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) throw new Error(`Resolvers for unknown type ${typeName}`);
    const defs = type.getFields();
    for (const [fieldName, resolve] of Object.entries(fields)) {
      const def = defs[fieldName];
      if (!def) throw new Error(`Resolver for unknown field ${typeName}.${fieldName}`);
      def.resolve = resolve;
    }
  }
  return schema;
}
