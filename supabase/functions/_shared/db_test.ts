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

function cutThenFine(failures: number, code: string) {
  let begins = 0;
  const ran: string[] = [];
  const tx = (strings: TemplateStringsArray) => {
    ran.push(strings.join("$"));
    return Promise.resolve([]);
  };
  const sql = {
    begin: async (fn: (tx: unknown) => Promise<unknown>) => {
      if (++begins <= failures) throw Object.assign(new Error("terminating connection due to administrator command"), { code });
      return await fn(tx);
    },
  };
  return { sql: sql as unknown as Sql, ran, begins: () => begins };
}

Deno.test("a transaction whose BEGIN meets a connection the database cut while idle starts again on another", async () => {
  const db = cutThenFine(1, "57P01");
  assert.equal(await asService(db.sql, async (tx: TransactionSql) => (await tx`select 1`, "done")), "done");
  assert.equal(db.begins(), 2);
});

Deno.test("so does one whose BEGIN meets a connection opened while the database was shutting down", async () => {
  const db = cutThenFine(1, "57P03");
  assert.equal(await asService(db.sql, async (tx: TransactionSql) => (await tx`select 1`, "done")), "done");
  assert.equal(db.begins(), 2);
});

Deno.test("so does one whose session settings, the first statement after BEGIN, meet it", async () => {
  let sessions = 0;
  let work = 0;
  const tx = (strings: TemplateStringsArray) => {
    if (strings.join("$").includes("set_config") && ++sessions === 1) {
      return Promise.reject(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }));
    }
    return Promise.resolve([]);
  };
  const sql = { begin: async (fn: (tx: unknown) => Promise<unknown>) => await fn(tx) } as unknown as Sql;
  assert.equal(await asService(sql, () => Promise.resolve(++work)), 1);
  assert.equal(sessions, 2);
});

Deno.test("it starts again at most twice, and never for other failures or for failures after BEGIN", async () => {
  const always = cutThenFine(10, "CONNECTION_CLOSED");
  await assert.rejects(asService(always.sql, () => Promise.resolve(1)), /administrator command/);
  assert.equal(always.begins(), 3);
  const refused = cutThenFine(10, "ECONNREFUSED");
  await assert.rejects(asService(refused.sql, () => Promise.resolve(1)));
  assert.equal(refused.begins(), 1, "a database that is down is not asked again here");
  const { sql } = fakeSql();
  let calls = 0;
  await assert.rejects(asService(sql, () => {
    calls++;
    return Promise.reject(Object.assign(new Error("gone mid-work"), { code: "57P01" }));
  }), /gone mid-work/);
  assert.equal(calls, 1, "work that began is never run twice");
});
