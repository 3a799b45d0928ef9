import assert from "node:assert/strict";
import { parse } from "graphql";
import { actualQueryCost, requestedQueryCost } from "./cost.ts";
import { buildSandboxSchema } from "./schema.ts";

const schema = buildSandboxSchema();
const requested = (q: string, vars: Record<string, unknown> = {}) =>
  requestedQueryCost(schema, parse(q), null, vars);

Deno.test("a connection of ten clients with two fields costs 20", () => {
  assert.equal(requested("{ clients(first: 10) { nodes { id name } } }"), 20);
});

Deno.test("edges and node cost nothing but the cursor does", () => {
  assert.equal(requested("{ clients(first: 10) { edges { cursor node { id } } } }"), 20);
});

Deno.test("a connection without first is priced as 100", () => {
  assert.equal(requested("{ clients { nodes { id } } }"), 100);
});

Deno.test("last prices a connection like first", () => {
  assert.equal(requested("{ clients(last: 5) { nodes { id } } }"), 5);
});

Deno.test("nested connections multiply", () => {
  assert.equal(
    requested("{ clients(first: 10) { nodes { id clientProperties(first: 5) { nodes { id } } } } }"),
    10 * (1 + 5),
  );
});

Deno.test("nested objects cost one plus their fields, and pageInfo is multiplied like the rest", () => {
  assert.equal(requested("{ account { id name } }"), 3);
  assert.equal(
    requested("{ clients(first: 2) { nodes { billingAddress { city } } pageInfo { hasNextPage } } }"),
    2 * (2 + 2),
  );
});

Deno.test("first taken from a variable is priced by its value", () => {
  const q = "query($n: Int) { clients(first: $n) { nodes { id name } } }";
  assert.equal(requested(q, { n: 50 }), 100);
  assert.equal(requested(q, {}), 200);
  assert.equal(requested("query($n: Int = 3) { clients(first: $n) { nodes { id } } }"), 3);
});

Deno.test("fragments are priced like inline selections and skipped fields are free", () => {
  assert.equal(requested("{ clients(first: 10) { nodes { ...F } } } fragment F on Client { id name }"), 20);
  assert.equal(requested("{ clients(first: 10) { nodes { id name @skip(if: true) } } }"), 10);
});

Deno.test("the actual cost counts the nodes really returned", () => {
  const doc = parse(
    "{ clients(first: 10) { nodes { id name clientProperties(first: 5) { nodes { id } } } } }",
  );
  const data = {
    clients: {
      nodes: [
        { id: "a", name: "A", clientProperties: { nodes: [{ id: "p" }] } },
        { id: "b", name: "B", clientProperties: { nodes: [] } },
      ],
    },
  };
  assert.equal(actualQueryCost(schema, doc, null, {}, data), (2 + 1) + 2);
});

Deno.test("plain lists are priced once, not per element", () => {
  const doc = parse('{ client(id: "x") { emails { address } } }');
  const data = { client: { emails: [{ address: "a" }, { address: "b" }] } };
  assert.equal(requested('{ client(id: "x") { emails { address } } }'), 3);
  assert.equal(actualQueryCost(schema, doc, null, {}, data), 3);
});
