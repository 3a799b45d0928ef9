// jobber-disconnect against the real database with Jobber's GraphQL stubbed: appDisconnect is sent
// (best effort), the Vault secrets are deleted, the row is marked disconnected, customers stay.
import assert from "node:assert/strict";
import type postgres from "postgres";
import type { Runtime } from "../_shared/runtime.ts";
import { jsonReply, stubFetch } from "../_shared/testing.ts";
import {
  APP_ORIGIN,
  appDisconnected,
  dbTestFactory,
  env,
  type Handle,
  JOBBER,
  postJson,
  type Stub,
  stubbedRuntime,
} from "../_shared/testing_db.ts";
import { insertConnection, type Role, vaultSecretCount } from "../../../tests/support/jobber_fixtures.ts";
import { createHandler } from "./handler.ts";

const runtime = (fetchStub: Stub): Runtime => stubbedRuntime({ ...env, APP_ORIGIN, JOBBER_API_BASE: JOBBER }, fetchStub);

const disconnect = (businessId: string, jwt: string) =>
  postJson("jobber-disconnect", { business_id: businessId }, { token: jwt });

interface Ctx {
  admin: postgres.Sql;
  handler: (fetchStub: Stub) => Handle;
  /** A connected business (fresh token), one Jobber customer, one queued run; `role` is the caller's. */
  connected: (role?: Role) => Promise<{
    businessId: string;
    jwt: string;
    secretIds: string[];
    runId: string;
  }>;
  tenant: (role?: Role) => Promise<{ businessId: string; jwt: string }>;
}

const dbTest = dbTestFactory(({ admin, track, tenant }): Ctx => ({
  admin,
  handler: (fetchStub) => createHandler(track(runtime(fetchStub))),
  connected: async (role = "owner") => {
    const t = await tenant(role);
    const c = await insertConnection(admin, t.businessId, {
      accessToken: "access-current",
      refreshToken: "refresh-current",
      expiresAt: new Date(Date.now() + 3600_000),
    });
    await admin`insert into public.customers (business_id, source, external_id, full_name)
                values (${t.businessId}, 'jobber', 'client-1', 'Kept Customer')`;
    const [run] = await admin<{ id: string }[]>`
      insert into public.jobber_sync_runs (business_id, kind, trigger) values (${t.businessId}, 'full', 'connect') returning id`;
    return { ...t, secretIds: [c.accessSecretId, c.refreshSecretId], runId: run!.id };
  },
  tenant,
}));

async function assertDisconnectedLocally(admin: postgres.Sql, c: { businessId: string; secretIds: string[]; runId: string }) {
  assert.equal(await vaultSecretCount(admin, c.secretIds), 0, "the Vault secrets are gone");
  const [row] = await admin`
    select connection_status, access_token_secret_id, refresh_token_secret_id, token_expires_at, needs_reconnect
    from public.integrations_jobber where business_id = ${c.businessId}`;
  assert.deepEqual({ ...row }, {
    connection_status: "disconnected",
    access_token_secret_id: null,
    refresh_token_secret_id: null,
    token_expires_at: null,
    needs_reconnect: false,
  });
  const [run] = await admin`select state, finished_at from public.jobber_sync_runs where id = ${c.runId}`;
  assert.equal(run!.state, "cancelled");
  assert.ok(run!.finished_at instanceof Date);
  const customers = await admin`select full_name from public.customers where business_id = ${c.businessId}`;
  assert.deepEqual(customers.map((r) => r.full_name), ["Kept Customer"]);
}

dbTest("jobber-disconnect calls appDisconnect, deletes the secrets and keeps the customers", async (ctx) => {
  const c = await ctx.connected("owner");
  const stub = stubFetch(appDisconnected);
  const res = await ctx.handler(stub)(disconnect(c.businessId, c.jwt));
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { disconnected: true });

  assert.equal(stub.calls.length, 1);
  const call = stub.calls[0]!;
  assert.equal(call.url, `${JOBBER}/api/graphql`);
  assert.equal(call.headers.get("authorization"), "Bearer access-current");
  assert.match(JSON.parse(call.body).query, /mutation AppDisconnect\s*\{\s*appDisconnect/);
  await assertDisconnectedLocally(ctx.admin, c);
});

dbTest("jobber-disconnect lets an admin disconnect", async (ctx) => {
  const c = await ctx.connected("admin");
  const res = await ctx.handler(stubFetch(appDisconnected))(disconnect(c.businessId, c.jwt));
  assert.equal(res.status, 200);
  await assertDisconnectedLocally(ctx.admin, c);
});

dbTest("jobber-disconnect still disconnects locally when Jobber fails", async (ctx) => {
  const c = await ctx.connected("owner");
  const stub = stubFetch(() => jsonReply(503, { error: "unavailable" }));
  const res = await ctx.handler(stub)(disconnect(c.businessId, c.jwt));
  assert.equal(res.status, 200);
  assert.ok(stub.calls.length >= 1, "appDisconnect was attempted");
  await assertDisconnectedLocally(ctx.admin, c);
});

dbTest("jobber-disconnect still disconnects locally when Jobber cannot be reached", async (ctx) => {
  const c = await ctx.connected("owner");
  const stub = stubFetch(() => Promise.reject(new TypeError("error sending request: connection reset")));
  const res = await ctx.handler(stub)(disconnect(c.businessId, c.jwt));
  assert.equal(res.status, 200);
  await assertDisconnectedLocally(ctx.admin, c);
});

dbTest("jobber-disconnect answers 403 forbidden_role to a plain member and changes nothing", async (ctx) => {
  const c = await ctx.connected("member");
  const stub = stubFetch(appDisconnected);
  const res = await ctx.handler(stub)(disconnect(c.businessId, c.jwt));
  assert.equal(res.status, 403);
  assert.equal((await res.json()).error.code, "forbidden_role");
  assert.equal(stub.calls.length, 0);
  assert.equal(await vaultSecretCount(ctx.admin, c.secretIds), 2);
  const [row] = await ctx.admin`select connection_status from public.integrations_jobber where business_id = ${c.businessId}`;
  assert.equal(row!.connection_status, "connected");
});

dbTest("jobber-disconnect answers 403 not_a_member for someone else's business", async (ctx) => {
  const theirs = await ctx.connected("owner");
  const mine = await ctx.tenant("owner");
  const stub = stubFetch(appDisconnected);
  const res = await ctx.handler(stub)(disconnect(theirs.businessId, mine.jwt));
  assert.equal(res.status, 403);
  assert.equal((await res.json()).error.code, "not_a_member");
  assert.equal(stub.calls.length, 0);
  assert.equal(await vaultSecretCount(ctx.admin, theirs.secretIds), 2);
});

dbTest("jobber-disconnect answers 422 not_connected for a business that never connected", async (ctx) => {
  const t = await ctx.tenant("owner");
  const stub = stubFetch(appDisconnected);
  const res = await ctx.handler(stub)(disconnect(t.businessId, t.jwt));
  assert.equal(res.status, 422);
  assert.equal((await res.json()).error.code, "not_connected");
  assert.equal(stub.calls.length, 0);
});

dbTest("jobber-disconnect answers 422 not_connected the second time", async (ctx) => {
  const c = await ctx.connected("owner");
  const handle = ctx.handler(stubFetch(appDisconnected));
  assert.equal((await handle(disconnect(c.businessId, c.jwt))).status, 200);
  const again = await handle(disconnect(c.businessId, c.jwt));
  assert.equal(again.status, 422);
  assert.equal((await again.json()).error.code, "not_connected");
});
