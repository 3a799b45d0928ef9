// No database runs here: these tests check which settings asUser/asService apply, using a fake
// `sql` that records queries. The lead's integration tests prove RLS against real Postgres.
import assert from "node:assert/strict";
import { asService, asUser, userSession } from "./db.ts";
import type { Sql, TransactionSql } from "./db.ts";

interface Recorded {
  text: string;
  values: unknown[];
}

function fakeSql() {
  const queries: Recorded[] = [];
  const tx = (strings: TemplateStringsArray, ...values: unknown[]) => {
    queries.push({ text: strings.join("$"), values });
    return Promise.resolve([]);
  };
  const sql = {
    begin: async (fn: (tx: unknown) => Promise<unknown>) => await fn(tx),
  };
  return { sql: sql as unknown as Sql, queries };
}

const USER = "0f8c3a5e-2d4b-4f6a-8e1c-9b7d5a3c1e2f";

Deno.test("asUser sets role authenticated and the JWT claims transaction-locally, before the work", async () => {
  const { sql, queries } = fakeSql();
  const result = await asUser(sql, {
    userId: USER,
    claims: { sub: USER, role: "authenticated", email: "o@demo.test" },
  }, async (tx: TransactionSql) => {
    await tx`select 1`;
    return "done";
  });
  assert.equal(result, "done");
  assert.equal(queries.length, 2);
  const [settings, work] = queries;
  assert.match(settings!.text, /set_config\('role', \$, true\)/);
  assert.match(settings!.text, /set_config\('request\.jwt\.claims', \$, true\)/);
  assert.match(settings!.text, /set_config\('request\.jwt\.claim\.sub', \$, true\)/);
  assert.equal(settings!.values[0], "authenticated");
  assert.deepEqual(JSON.parse(String(settings!.values[1])), {
    sub: USER,
    role: "authenticated",
    email: "o@demo.test",
  });
  assert.equal(settings!.values[2], USER);
  assert.equal(work!.text, "select 1");
});

Deno.test("userSession takes sub and role from the verified identity, not from other claims", () => {
  const session = userSession({
    userId: USER,
    claims: { sub: "someone-else", role: "service_role" } as never,
  });
  assert.equal(session.role, "authenticated");
  assert.equal(session.claims.sub, USER);
  assert.equal(session.claims.role, "authenticated");
});

Deno.test("asService runs as service_role", async () => {
  const { sql, queries } = fakeSql();
  await asService(sql, async () => {});
  assert.equal(queries[0]!.values[0], "service_role");
  assert.deepEqual(JSON.parse(String(queries[0]!.values[1])), { role: "service_role" });
});
