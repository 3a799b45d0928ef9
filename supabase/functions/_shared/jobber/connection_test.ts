// The one refresh routine against the real database: claim, spend the refresh token once, save over
// the generation read, use someone else's refresh instead of racing it, force a refresh after a 401
// only when the stored token is the one Jobber refused - and never hold a pooled connection while
// Jobber's token endpoint takes its time.
import assert from "node:assert/strict";
import type postgres from "postgres";
import type { Runtime } from "../runtime.ts";
import { silentLogger } from "../log.ts";
import { jsonReply, stubFetch } from "../testing.ts";
import { asService } from "../db.ts";
import { realSleep } from "./retry.ts";
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
import { cleanup, createTenant, insertConnection, storedTokens } from "../../../../tests/support/jobber_fixtures.ts";
import { jobberClientFor, refreshConnection, refreshDecision, type TokenRow } from "./connection.ts";
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
  // Jobber answers slowly, so the second caller finds the refresh claimed while the first refreshes.
  const stub = stubFetch(async () => {
    await new Promise((resolve) => setTimeout(resolve, 150));
    return jsonReply(200, { access_token: fresh, refresh_token: "refresh-2" });
  });
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

dbTest("a slow Jobber token endpoint holds no pooled connection: other work runs while every refresh waits on it", async (ctx) => {
  const fresh = await accessToken(new Date(Date.now() + 3600_000), "slow");
  let arrived = 0;
  let answer!: () => void;
  const jobberAnswers = new Promise<void>((resolve) => (answer = resolve));
  const stub = stubFetch(async (call) => {
    arrived++;
    await jobberAnswers;
    return jsonReply(200, { access_token: fresh, refresh_token: `rotated-${new URLSearchParams(call.body).get("refresh_token")}` });
  });
  // One runtime, so one pool of createDb's 5 connections, as one function instance has; callers
  // waiting for another's refresh back off for real.
  const rt = { ...ctx.runtime(stub), sleep: realSleep };
  const expired = new Date(Date.now() - 60_000);
  const businesses = await Promise.all(
    Array.from({ length: 6 }, (_, i) => ctx.connection(expired, { access: `access-${i}`, refresh: `refresh-${i}` })),
  );
  // More refreshes than the pool has connections, and twenty more callers waiting on the first.
  const refreshes = [
    ...businesses.map((id) => refreshConnection(rt, id, silentLogger)),
    ...Array.from({ length: 20 }, () => refreshConnection(rt, businesses[0]!, silentLogger)),
  ];
  try {
    for (let i = 0; i < 200 && arrived < businesses.length; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(arrived, businesses.length, "every business's refresh is waiting on Jobber");
    const since = (await ctx.admin<{ now: Date }[]>`select now()`)[0]!.now;

    // Jobber has answered none of them. The webhook path's one call, say, still gets a connection.
    const starved = Symbol("starved");
    const otherWork = Promise.all(Array.from({ length: 20 }, () => asService(rt.sql, (tx) => tx`select 1 as one`)));
    const guard = new Promise<typeof starved>((resolve) => setTimeout(() => resolve(starved), 20_000));
    const result = await Promise.race([otherWork, guard]);
    assert.notEqual(result, starved, "work that needs a pooled connection waited on Jobber's token endpoint");
    // Callers waiting for the refresh read again now and then, each in a transaction of a few
    // milliseconds; none that was open when Jobber got the calls is still open.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [held] = await ctx.admin<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where application_name = 'edge-functions' and xact_start < ${since}`;
    assert.equal(held!.n, 0, "a transaction stayed open across the call to Jobber");
  } finally {
    answer();
  }
  const outcomes = await Promise.all(refreshes);
  assert.equal(tokenCalls(stub).length, businesses.length, "each refresh token was spent once");
  assert.deepEqual([...new Set(outcomes.map((o) => o.kind))].sort(), ["already_fresh", "refreshed"]);
  for (const [i, id] of businesses.entries()) {
    assert.deepEqual(await storedTokens(ctx.admin, id), { access_token: fresh, refresh_token: `rotated-refresh-${i}` });
  }
});

const row = (overrides: Partial<TokenRow> = {}): TokenRow => ({
  access_token: "access-1",
  token_expires_at: new Date("2025-10-12T04:00:00Z"),
  connection_status: "connected",
  refresh_failures: 0,
  refresh_retry_at: null,
  token_generation: "3",
  ...overrides,
});
const at = (iso: string) => new Date(iso);
const MARGIN = 5 * 60_000;

// ---- "Jobber says disconnected", met by a call or by the refresh -------------------------------------

const DISCONNECTED = "User has disconnected this app from their account. Please delete this token";

async function connectionState(admin: postgres.Sql, businessId: string) {
  const [row] = await admin<{ connection_status: string; needs_reconnect: boolean; error_message: string | null }[]>`
    select connection_status, needs_reconnect, error_message from public.integrations_jobber where business_id = ${businessId}`;
  return { ...row! };
}

dbTest("a call Jobber answers 'disconnected this app' runs the routine: tokens deleted, disconnected, needs reconnect", async (ctx) => {
  const stub = stubFetch(() => jsonReply(401, { message: DISCONNECTED }));
  const businessId = await ctx.connection(new Date(Date.now() + 3600_000));
  await assert.rejects(
    jobberClientFor(ctx.runtime(stub), businessId, silentLogger).request(ACCOUNT_QUERY, {}, accountResultSchema),
    (err: unknown) => (err as Error).name === "JobberDisconnectedError",
  );
  const state = await connectionState(ctx.admin, businessId);
  assert.equal(state.connection_status, "disconnected");
  assert.equal(state.needs_reconnect, true);
  assert.match(state.error_message!, /^Jobber says this app was disconnected from the Jobber account/);
  assert.deepEqual(await storedTokens(ctx.admin, businessId), { access_token: null, refresh_token: null });
  assert.equal(tokenCalls(stub).length, 0, "no refresh is tried for a disconnected app");
});

dbTest("an inactive account ('This account is not active') is treated as disconnected too", async (ctx) => {
  const stub = stubFetch(() => jsonReply(403, { error: { message: "This account is not active" } }));
  const businessId = await ctx.connection(new Date(Date.now() + 3600_000));
  await assert.rejects(jobberClientFor(ctx.runtime(stub), businessId, silentLogger).request(ACCOUNT_QUERY, {}, accountResultSchema));
  const state = await connectionState(ctx.admin, businessId);
  assert.equal(state.connection_status, "disconnected");
  assert.equal(state.needs_reconnect, true);
});

dbTest("a 'disconnected' answer about tokens refreshed since leaves the newer connection alone", async (ctx) => {
  const businessId = await ctx.connection(new Date(Date.now() + 3600_000));
  const stub = stubFetch(async () => {
    // Someone else refreshes (a new token generation) while this call is in flight.
    await ctx.admin`update public.integrations_jobber set token_generation = token_generation + 1 where business_id = ${businessId}`;
    return jsonReply(401, { message: DISCONNECTED });
  });
  await assert.rejects(jobberClientFor(ctx.runtime(stub), businessId, silentLogger).request(ACCOUNT_QUERY, {}, accountResultSchema));
  assert.equal((await connectionState(ctx.admin, businessId)).connection_status, "connected");
});

dbTest("a refresh Jobber answers with 'disconnected this app' runs the routine", async (ctx) => {
  const stub = stubFetch(() => jsonReply(401, { error: "invalid_grant", error_description: DISCONNECTED }));
  const businessId = await ctx.connection(new Date(Date.now() - 60_000));
  const outcome = await refreshConnection(ctx.runtime(stub), businessId, silentLogger);
  assert.equal(outcome.kind, "disconnected");
  const state = await connectionState(ctx.admin, businessId);
  assert.equal(state.connection_status, "disconnected");
  assert.equal(state.needs_reconnect, true);
  assert.deepEqual(await storedTokens(ctx.admin, businessId), { access_token: null, refresh_token: null });
});

dbTest("a refresh token Jobber merely refuses leaves the connection in error, needing a reconnect, as before", async (ctx) => {
  const stub = stubFetch(() => jsonReply(400, { error: "invalid_grant", error_description: "The provided refresh token is not valid." }));
  const businessId = await ctx.connection(new Date(Date.now() - 60_000));
  const outcome = await refreshConnection(ctx.runtime(stub), businessId, silentLogger);
  assert.equal(outcome.kind, "reconnect_required");
  const state = await connectionState(ctx.admin, businessId);
  assert.equal(state.connection_status, "error");
  assert.equal(state.needs_reconnect, true);
  assert.deepEqual(await storedTokens(ctx.admin, businessId), { access_token: "access-1", refresh_token: "refresh-1" },
    "the tokens are kept for the reconnect to replace");
});

dbTest("a call whose refresh Jobber refuses fails not_connected and is not taken for a disconnect", async (ctx) => {
  const stub = stubFetch((call) =>
    call.url === TOKEN_URL
      ? jsonReply(400, { error: "invalid_grant", error_description: "The provided refresh token is not valid." })
      : jsonReply(401, { message: "Unauthorized" })
  );
  const businessId = await ctx.connection(new Date(Date.now() + 3600_000));
  await assert.rejects(
    jobberClientFor(ctx.runtime(stub), businessId, silentLogger).request(ACCOUNT_QUERY, {}, accountResultSchema),
    (err: unknown) => (err as { code?: string }).code === "not_connected" && (err as Error).name !== "JobberDisconnectedError",
  );
  assert.equal((await connectionState(ctx.admin, businessId)).connection_status, "error");
});

Deno.test("refreshDecision: nothing to refresh without a connected row holding a token", () => {
  assert.deepEqual(refreshDecision(undefined, at("2025-10-12T03:00:00Z"), MARGIN), { kind: "not_connected" });
  assert.deepEqual(refreshDecision(row({ connection_status: "error" }), at("2025-10-12T03:00:00Z"), MARGIN), { kind: "not_connected" });
  assert.deepEqual(refreshDecision(row({ access_token: null }), at("2025-10-12T03:00:00Z"), MARGIN), { kind: "not_connected" });
});

Deno.test("refreshDecision: a token outside the margin is used; one within it is refreshed unless cooling down", () => {
  assert.equal(refreshDecision(row(), at("2025-10-12T03:54:59Z"), MARGIN).kind, "already_fresh");
  assert.equal(refreshDecision(row(), at("2025-10-12T03:55:00Z"), MARGIN).kind, "refresh");
  const cooling = row({ refresh_retry_at: at("2025-10-12T03:58:00Z") });
  assert.deepEqual(refreshDecision(cooling, at("2025-10-12T03:56:00Z"), MARGIN), { kind: "cooling_down", retryAt: at("2025-10-12T03:58:00Z") });
  assert.equal(refreshDecision(cooling, at("2025-10-12T03:58:01Z"), MARGIN).kind, "refresh");
});

Deno.test("refreshDecision: after a 401 it refreshes only the token Jobber refused, cooldown or not", () => {
  const cooling = row({ refresh_retry_at: at("2025-10-12T03:58:00Z") });
  assert.equal(refreshDecision(cooling, at("2025-10-12T03:00:00Z"), MARGIN, "access-1").kind, "refresh");
  assert.deepEqual(refreshDecision(cooling, at("2025-10-12T03:00:00Z"), MARGIN, "access-0"), {
    kind: "already_fresh",
    accessToken: "access-1",
    expiresAt: at("2025-10-12T04:00:00Z"),
  });
});
