import assert from "node:assert/strict";
import { computeQueryCost } from "./cost.ts";

Deno.test("each field costs one point", () => {
  assert.equal(computeQueryCost("{ account { id name } }"), 3);
});

Deno.test("nodes, edges and node are free, and __typename too", () => {
  assert.equal(
    computeQueryCost("{ clients(first: 1) { nodes { id } edges { node { id } } } }"),
    1 + 1 * (1 + 1),
  );
  assert.equal(computeQueryCost("{ account { __typename id } }"), 2);
});

Deno.test("a connection multiplies what is under it by first, from literals or variables", () => {
  assert.equal(computeQueryCost("{ clients(first: 10) { nodes { id name } } }"), 1 + 10 * 2);
  assert.equal(
    computeQueryCost("query($n: Int!) { clients(first: $n) { nodes { id } } }", { n: 25 }),
    1 + 25,
  );
  assert.equal(computeQueryCost("{ clients(last: 3) { nodes { id } } }"), 1 + 3);
});

Deno.test("a connection without first counts as 100", () => {
  assert.equal(computeQueryCost("{ clients { nodes { id } } }"), 1 + 100);
  assert.equal(computeQueryCost("query($n: Int) { clients(first: $n) { nodes { id } } }", {}), 1 + 100);
});

Deno.test("nested connections multiply", () => {
  const doc = "{ clients(first: 10) { nodes { id clientProperties(first: 2) { nodes { id } } } } }";
  assert.equal(computeQueryCost(doc), 1 + 10 * (1 + (1 + 2 * 1)));
});

Deno.test("plain object and list fields do not multiply", () => {
  assert.equal(
    computeQueryCost('{ client(id: "x") { emails { address primary } billingAddress { city } } }'),
    1 + (1 + 2) + (1 + 1),
  );
});

Deno.test("fragments and inline fragments are expanded", () => {
  const doc = `query { clients(first: 2) { nodes { ...F ... on Client { name } } } }
    fragment F on Client { id firstName }`;
  assert.equal(computeQueryCost(doc), 1 + 2 * 3);
});

Deno.test("picks the named operation", () => {
  const doc = "query A { account { id } } query B { clients(first: 5) { nodes { id } } }";
  assert.equal(computeQueryCost(doc, {}, "B"), 6);
  assert.throws(() => computeQueryCost(doc, {}, "C"), /no operation named "C"/);
});
