// Validates every document we send against Jobber's published schema. The schema file lives
// outside the repo (../shared/reference); it must not be copied in.
import assert from "node:assert/strict";
import { buildClientSchema, parse, validate } from "graphql";
import type { IntrospectionQuery } from "graphql";
import * as queries from "./queries.ts";

const schemaPath = Deno.env.get("JOBBER_REFERENCE_SCHEMA") ??
  new URL("../../../../../shared/reference/jobber-schema-2022.introspection.json", import.meta.url).pathname;

function schemaAvailable(): boolean {
  try {
    return Deno.statSync(schemaPath).isFile;
  } catch {
    return false;
  }
}

const available = schemaAvailable();
const inCi = Deno.env.get("CI") === "true";
if (!available && !inCi) {
  console.warn(`Skipping Jobber schema validation: ${schemaPath} is missing (set JOBBER_REFERENCE_SCHEMA).`);
}

const documents: Array<[string, string]> = [];
for (const [name, value] of Object.entries(queries as Record<string, unknown>)) {
  if (typeof value === "string" && /_(QUERY|MUTATION)$/.test(name)) documents.push([name, value]);
}

Deno.test({
  name: "every exported GraphQL document is valid against Jobber's reference schema",
  ignore: !available && !inCi,
  fn() {
    assert.ok(available, `The Jobber reference schema is required in CI but ${schemaPath} is missing`);
    const introspection = JSON.parse(Deno.readTextFileSync(schemaPath)) as
      & { data?: IntrospectionQuery }
      & IntrospectionQuery;
    const schema = buildClientSchema(introspection.data ?? introspection);
    assert.deepEqual(documents.map(([name]) => name).sort(), [
      "ACCOUNT_QUERY",
      "APP_DISCONNECT_MUTATION",
      "CLIENTS_PAGE_QUERY",
      "CLIENT_QUERY",
      "COMPLETED_JOBS_QUERY",
      "COMPLETED_VISITS_QUERY",
      "JOB_QUERY",
      "VISIT_QUERY",
    ]);
    for (const [name, document] of documents) {
      const errors = validate(schema, parse(document));
      assert.deepEqual(errors.map((e) => e.message), [], `${name} is invalid`);
    }
  },
});

Deno.test("every document parses", () => {
  for (const [, document] of documents) parse(document);
});

Deno.test("clientsPageCost follows Jobber's rules and fits the 10,000-point bucket at 50 per page", () => {
  const perClient = queries.clientsPageCost(2) - queries.clientsPageCost(1);
  assert.ok(perClient > 0);
  assert.equal(queries.clientsPageCost(50), 1 + 50 * perClient);
  assert.ok(queries.clientsPageCost(50) < 10_000);
});

Deno.test("clientsPageVariables adds an updatedAt filter only for incremental pages", () => {
  assert.deepEqual(queries.clientsPageVariables(50, null), { first: 50, after: null });
  assert.deepEqual(queries.clientsPageVariables(50, "c1", new Date("2025-10-12T03:00:00Z")), {
    first: 50,
    after: "c1",
    filter: { updatedAt: { after: "2025-10-12T03:00:00.000Z" } },
  });
});

Deno.test("the client schema accepts Jobber's extra fields and nulls where Jobber sends them", () => {
  const client = queries.clientNodeSchema.parse({
    id: "Z2lkOi8vSm9iYmVyL0NsaWVudC8x",
    name: "Ann Lee",
    firstName: "Ann",
    lastName: "Lee",
    companyName: null,
    isCompany: false,
    isLead: false,
    isArchived: false,
    updatedAt: "2025-10-12T03:27:49Z",
    emails: [{ address: "ann@example.com", primary: true, description: "MAIN" }],
    phones: [],
    billingAddress: null,
    clientProperties: { nodes: [] },
    balance: 0,
  });
  assert.equal(client.name, "Ann Lee");
  assert.equal("balance" in client, false);
  assert.equal(client.companyName, null);
});
