// The one refresh routine against the real database: lock, re-read, skip when someone else already
// refreshed, and a forced refresh after a 401 only when the stored token is the one Jobber refused.
import assert from "node:assert/strict";
import type postgres from "postgres";
import type { Runtime } from "../runtime.ts";
import { silentLogger } from "../log.ts";
import { jsonReply, stubFetch } from "../testing.ts";
import {
  dbTestFactory,
  env,
  JOBBER,
  jobberAccessToken,
  NO_DATABASE,
  type Stub,
  stubbedRuntime,
  tokenCalls,
  TOKEN_URL,
} from "../testing_db.ts";
import { awayFromCronTick, cleanup, createTenant, insertConnection, storedTokens } from "../../../../tests/support/jobber_fixtures.ts";
import { jobberClientFor, refreshConnection } from "./connection.ts";
import { ACCOUNT_QUERY, accountResultSchema } from "./queries.ts";

const runtime = (fetchStub: Stub): Runtime => stubbedRuntime({ ...env, JOBBER_API_BASE: JOBBER }, fetchStub);

const accessToken = (exp: Date, jti: string) => jobberAccessToken(exp, { jti });

interface Ctx {
  admin: postgres.Sql;
  runtime: (stub: Stub) => Runtime;
  /** A connected business whose token expires at `expiresAt`. */
  connection: (expiresAt: Date, tokens?: { access: string; refresh: string }) => Promise<string>;
}

// No user signs in here, so these run without JWT_SECRET.
const dbTest = dbTestFactory(({ admin, track, business }): Ctx => ({
  admin,
  runtime: (stub) => track(runtime(stub)),
  connection: async (expiresAt, tokens = { access: "access-1", refresh: "refresh-1" }) => {
    const t = await business("owner");
    await insertConnection(admin, t.businessId, { accessToken: tokens.access, refreshToken: tokens.refresh, expiresAt });
    return t.businessId;
  },
}), { ignore: NO_DATABASE });

dbTest("refreshConnection spends the refresh token once when two callers race, the second finds it already fresh", async (ctx) => {
  const newExp = new Date(Math.floor(Date.now() / 1000) * 1000 + 3600_000);
  const fresh = await accessToken(newExp, "fresh");
  // Jobber answers slowly, so the second caller is waiting on the row lock while the first refreshes.
  const stub = stubFetch(async () => {
    await new Promise((resolve) => setTimeout(resolve, 150));
    return jsonReply(200, { access_token: fresh, refresh_token: "refresh-2" });
  });
  await awayFromCronTick();
  const businessId = await ctx.connection(new Date(Date.now() - 60_000));
  const rtA = ctx.runtime(stub);
  const rtB = ctx.runtime(stub);
  const outcomes = await Promise.all([
    refreshConnection(rtA, businessId, silentLogger),
    refreshConnection(rtB, businessId, silentLogger),
  ]);
  assert.deepEqual(outcomes.map((o) => o.kind).sort(), ["already_fresh", "refreshed"]);
  for (const o of outcomes) {
    assert.ok(o.kind === "refreshed" || o.kind === "already_fresh");
    assert.equal(o.accessToken, fresh, "both callers end up with the new token");
  }
  assert.equal(tokenCalls(stub).length, 1);
  assert.equal(new URLSearchParams(tokenCalls(stub)[0]!.body).get("refresh_token"), "refresh-1");
  assert.deepEqual(await storedTokens(ctx.admin, businessId), { access_token: fresh, refresh_token: "refresh-2" });
});

dbTest("refreshConnection answers already_fresh without calling Jobber when the token is outside the margin", async (ctx) => {
  const stub = stubFetch(() => jsonReply(500, {}));
  const businessId = await ctx.connection(new Date(Date.now() + 3600_000));
  const outcome = await refreshConnection(ctx.runtime(stub), businessId, silentLogger);
  assert.equal(outcome.kind, "already_fresh");
  assert.equal(stub.calls.length, 0);
});

dbTest("a forced refresh after a 401 is skipped when the stored token is no longer the refused one", async (ctx) => {
  const stub = stubFetch(() => jsonReply(500, {}));
  const businessId = await ctx.connection(new Date(Date.now() + 3600_000), { access: "access-new", refresh: "refresh-new" });
  const outcome = await refreshConnection(ctx.runtime(stub), businessId, silentLogger, { rejectedAccessToken: "access-old" });
  assert.equal(outcome.kind, "already_fresh");
  assert.ok(outcome.kind === "already_fresh" && outcome.accessToken === "access-new");
  assert.equal(stub.calls.length, 0);
  assert.deepEqual(await storedTokens(ctx.admin, businessId), { access_token: "access-new", refresh_token: "refresh-new" });
});

dbTest("a forced refresh after a 401 refreshes a token that is not yet due when it is the refused one", async (ctx) => {
  const fresh = await accessToken(new Date(Date.now() + 3600_000), "forced");
  const stub = stubFetch(() => jsonReply(200, { access_token: fresh, refresh_token: "refresh-2" }));
  const businessId = await ctx.connection(new Date(Date.now() + 3600_000));
  const outcome = await refreshConnection(ctx.runtime(stub), businessId, silentLogger, { rejectedAccessToken: "access-1" });
  assert.equal(outcome.kind, "refreshed");
  assert.equal(tokenCalls(stub).length, 1);
  assert.deepEqual(await storedTokens(ctx.admin, businessId), { access_token: fresh, refresh_token: "refresh-2" });
});

dbTest("jobberClientFor refreshes once after Jobber answers 401 and retries with the new token", async (ctx) => {
  const fresh = await accessToken(new Date(Date.now() + 3600_000), "after-401");
  const stub = stubFetch((call) => {
    if (call.url === TOKEN_URL) return jsonReply(200, { access_token: fresh, refresh_token: "refresh-2" });
    return call.headers.get("authorization") === `Bearer ${fresh}`
      ? jsonReply(200, { data: { account: { id: "acct", name: "Retried" } } })
      : jsonReply(401, { message: "Unauthorized" });
  });
  const businessId = await ctx.connection(new Date(Date.now() + 3600_000));
  const { data } = await jobberClientFor(ctx.runtime(stub), businessId, silentLogger)
    .request(ACCOUNT_QUERY, {}, accountResultSchema);
  assert.equal(data.account.name, "Retried");
  assert.deepEqual(stub.calls.map((c) => c.url === TOKEN_URL ? "token" : c.headers.get("authorization")), [
    "Bearer access-1",
    "token",
    `Bearer ${fresh}`,
  ]);
});

dbTest("refreshConnection reports not_connected for a business without a connection", async (ctx) => {
  const stub = stubFetch(() => jsonReply(500, {}));
  const t = await createTenant(ctx.admin, "owner");
  try {
    const outcome = await refreshConnection(ctx.runtime(stub), t.businessId, silentLogger);
    assert.equal(outcome.kind, "not_connected");
    assert.equal(stub.calls.length, 0);
  } finally {
    await cleanup(ctx.admin, { businessIds: [t.businessId], userIds: [t.user.id] });
  }
});
