// jobber-callback against the real database with Jobber stubbed: every outcome is a 302 to the
// dashboard's callback page, and nothing is stored unless every step succeeded.
import assert from "node:assert/strict";
import type postgres from "postgres";
import type { Runtime } from "../_shared/runtime.ts";
import { randomToken, sha256Hex } from "../_shared/crypto.ts";
import { jsonReply, type RecordedCall, stubFetch, testEnv } from "../_shared/testing.ts";
import {
  APP_ORIGIN,
  type Created,
  dbTestFactory,
  env,
  functionUrl,
  GRAPHQL_URL,
  type Handle,
  JOBBER,
  jobberAccessToken as signedAccessToken,
  type Stub,
  stubbedRuntime,
  TOKEN_URL,
  withRuntime,
} from "../_shared/testing_db.ts";
import { createTenant, insertConnection } from "../../../tests/support/jobber_fixtures.ts";
import { createHandler, PENDING_INSTALL_TTL_SECONDS } from "./handler.ts";

const CALLBACK = functionUrl("jobber-callback");

const runtime = (base: Record<string, string | undefined>, fetchStub: Stub, logs: string[]): Runtime =>
  stubbedRuntime({ ...base, APP_ORIGIN, JOBBER_API_BASE: JOBBER, JOBBER_REDIRECT_URI: CALLBACK }, fetchStub, logs);

/** A Jobber access token: a JWT whose `exp` is what the callback must store as token_expires_at. */
const jobberAccessToken = (exp: Date) => signedAccessToken(exp, { account_id: "acct" });

interface FakeJobber {
  fetch: Stub;
  tokenCalls: () => RecordedCall[];
  graphqlCalls: () => RecordedCall[];
}

/** Routes the token endpoint and GraphQL to separate responders. */
function fakeJobber(
  token: (call: RecordedCall) => Response | Promise<Response>,
  graphql: (call: RecordedCall) => Response | Promise<Response> = () => jsonReply(500, {}),
): FakeJobber {
  const fetch = stubFetch((call) => (call.url === TOKEN_URL ? token(call) : graphql(call)));
  return {
    fetch,
    tokenCalls: () => fetch.calls.filter((c) => c.url === TOKEN_URL),
    graphqlCalls: () => fetch.calls.filter((c) => c.url === GRAPHQL_URL),
  };
}

function happyJobber(tokens: { access: string; refresh: string }, account: { id: string; name: string }) {
  return fakeJobber(
    () => jsonReply(200, { access_token: tokens.access, refresh_token: tokens.refresh }),
    () => jsonReply(200, { data: { account } }),
  );
}

function callback(params: Record<string, string>): Request {
  const url = new URL(CALLBACK);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return new Request(url, { method: "GET" });
}

/** Asserts a 302 to APP_ORIGIN/jobber/callback and returns its query parameters. */
function landing(res: Response): URLSearchParams {
  assert.equal(res.status, 302);
  const location = new URL(res.headers.get("location")!);
  assert.equal(`${location.origin}${location.pathname}`, `${APP_ORIGIN}/jobber/callback`);
  assert.equal(res.headers.get("cache-control"), "no-store");
  return location.searchParams;
}

// ---- consent denied needs no database when no state came along ----------------------------------

Deno.test("jobber-callback sends a denied consent (no parameters) to the dashboard as access_denied", () => {
  const jobber = fakeJobber(() => jsonReply(500, {}));
  return withRuntime(runtime(testEnv(), jobber.fetch, []), async (rt) => {
    const params = landing(await createHandler(rt)(callback({})));
    assert.equal(params.get("result"), "error");
    assert.equal(params.get("code"), "access_denied");
    assert.ok((params.get("message") ?? "").length > 0);
    assert.equal(jobber.fetch.calls.length, 0);
  });
});

// ---- against the database ------------------------------------------------------------------------

interface Ctx {
  admin: postgres.Sql;
  logs: string[];
  handle: (jobber: FakeJobber) => Handle;
  created: Created;
  /** A business with an owner (or `role`) who has just clicked Connect: returns the state. */
  begun: (role?: "owner" | "admin") => Promise<{ businessId: string; userId: string; state: string }>;
}

const dbTest = dbTestFactory(({ admin, created, track, business }): Ctx => {
  const logs: string[] = [];
  return {
    admin,
    logs,
    handle: (jobber) => createHandler(track(runtime(env, jobber.fetch, logs))),
    created,
    begun: async (role = "owner") => {
      const t = await business(role);
      const state = randomToken(32);
      await admin`select private.jobber_begin_connect(${t.user.id}, ${t.businessId}, ${await sha256Hex(state)}, 600)`;
      return { businessId: t.businessId, userId: t.user.id, state };
    },
  };
});

async function nothingStored(admin: postgres.Sql, businessId: string) {
  const [row] = await admin<{ rows: number; secrets: number; runs: number }[]>`
    select (select count(*)::int from public.integrations_jobber where business_id = ${businessId}) as rows,
           (select count(*)::int from vault.secrets where name like ${`jobber/${businessId}/%`}) as secrets,
           (select count(*)::int from public.jobber_sync_runs where business_id = ${businessId}) as runs`;
  assert.deepEqual(row, { rows: 0, secrets: 0, runs: 0 });
}

dbTest("jobber-callback connects the business: tokens in Vault, row connected, full sync queued", async (ctx) => {
  const { businessId, userId, state } = await ctx.begun();
  const exp = new Date(Math.floor(Date.now() / 1000) * 1000 + 3600_000);
  const access = await jobberAccessToken(exp);
  const refresh = `refresh-${randomToken(16)}`;
  const accountId = `acct-${crypto.randomUUID()}`;
  const jobber = happyJobber({ access, refresh }, { id: accountId, name: "Sparkle & Sons" });
  const code = `code-${randomToken(16)}`;

  const params = landing(await ctx.handle(jobber)(callback({ code, state })));
  assert.equal(params.get("result"), "connected");
  assert.equal(params.get("account"), "Sparkle & Sons");

  // Exactly one code exchange, with the exact redirect_uri, then the account query with the new token.
  assert.equal(jobber.tokenCalls().length, 1);
  const form = new URLSearchParams(jobber.tokenCalls()[0]!.body);
  assert.equal(form.get("grant_type"), "authorization_code");
  assert.equal(form.get("code"), code);
  assert.equal(form.get("redirect_uri"), CALLBACK);
  assert.equal(jobber.graphqlCalls().length, 1);
  assert.equal(jobber.graphqlCalls()[0]!.headers.get("authorization"), `Bearer ${access}`);

  const [row] = await ctx.admin`select * from public.integrations_jobber where business_id = ${businessId}`;
  assert.equal(row!.connection_status, "connected");
  assert.equal(row!.account_id, accountId);
  assert.equal(row!.account_name, "Sparkle & Sons");
  assert.equal((row!.token_expires_at as Date).toISOString(), exp.toISOString());
  assert.ok(row!.connected_at instanceof Date);
  assert.equal(row!.needs_reconnect, false);
  // The row holds only Vault ids; the tokens are readable through vault.decrypted_secrets alone.
  assert.ok(!JSON.stringify(row).includes(access) && !JSON.stringify(row).includes(refresh));
  const secrets = await ctx.admin<{ id: string; decrypted_secret: string }[]>`
    select id, decrypted_secret from vault.decrypted_secrets
    where id in (${row!.access_token_secret_id}, ${row!.refresh_token_secret_id})`;
  const byId = Object.fromEntries(secrets.map((s) => [s.id, s.decrypted_secret]));
  assert.equal(byId[row!.access_token_secret_id], access);
  assert.equal(byId[row!.refresh_token_secret_id], refresh);
  const [cipher] = await ctx.admin<{ n: number }[]>`
    select count(*)::int as n from vault.secrets where id = ${row!.access_token_secret_id} and secret = ${access}`;
  assert.equal(cipher!.n, 0, "Vault stores the token encrypted");

  const runs = await ctx.admin`select kind, state, trigger, requested_by from public.jobber_sync_runs where business_id = ${businessId}`;
  assert.equal(runs.length, 1);
  const { state: runState, ...run } = runs[0]!;
  assert.deepEqual(run, { kind: "full", trigger: "connect", requested_by: userId });
  // The stack's worker is kicked at once and may already have taken the run.
  assert.ok(["queued", "running", "succeeded", "failed"].includes(runState), `the initial sync is ${runState}`);

  const [used] = await ctx.admin`select used_at from private.jobber_oauth_states where business_id = ${businessId}`;
  assert.ok(used!.used_at instanceof Date);

  const log = ctx.logs.join("\n");
  for (const secret of [access, refresh, code, state]) assert.ok(!log.includes(secret), "a secret reached the log");
});

dbTest("jobber-callback makes no second code exchange when the same state comes back", async (ctx) => {
  const { businessId, state } = await ctx.begun();
  const access = await jobberAccessToken(new Date(Date.now() + 3600_000));
  const jobber = happyJobber({ access, refresh: "r1" }, { id: `acct-${crypto.randomUUID()}`, name: "Once" });
  const handle = ctx.handle(jobber);
  const code = "code-first";
  assert.equal(landing(await handle(callback({ code, state }))).get("result"), "connected");
  assert.equal(jobber.tokenCalls().length, 1);

  const replay = landing(await handle(callback({ code, state })));
  assert.equal(replay.get("result"), "error");
  assert.equal(replay.get("code"), "invalid_state");
  assert.match(replay.get("message")!, /already used/);
  assert.equal(jobber.tokenCalls().length, 1, "the replay reached Jobber's token endpoint");
  const rows = await ctx.admin`select account_name from public.integrations_jobber where business_id = ${businessId}`;
  assert.deepEqual(rows.map((r) => r.account_name), ["Once"]);
});

dbTest("jobber-callback rejects an unknown state without calling Jobber", async (ctx) => {
  const jobber = fakeJobber(() => jsonReply(500, {}));
  const params = landing(await ctx.handle(jobber)(callback({ code: "c", state: randomToken(32) })));
  assert.equal(params.get("result"), "error");
  assert.equal(params.get("code"), "invalid_state");
  assert.match(params.get("message")!, /not valid/);
  assert.equal(jobber.fetch.calls.length, 0);
});

dbTest("jobber-callback rejects an expired state without calling Jobber and stores nothing", async (ctx) => {
  const { businessId, state } = await ctx.begun();
  await ctx.admin`update private.jobber_oauth_states set expires_at = now() - interval '1 second' where business_id = ${businessId}`;
  const jobber = fakeJobber(() => jsonReply(500, {}));
  const params = landing(await ctx.handle(jobber)(callback({ code: "c", state })));
  assert.equal(params.get("code"), "invalid_state");
  assert.match(params.get("message")!, /expired/);
  assert.equal(jobber.fetch.calls.length, 0);
  await nothingStored(ctx.admin, businessId);
});

dbTest("jobber-callback refuses a state whose creator is no longer owner or admin", async (ctx) => {
  const { businessId, userId, state } = await ctx.begun("admin");
  await ctx.admin`update public.business_members set role = 'member' where business_id = ${businessId} and user_id = ${userId}`;
  const jobber = fakeJobber(() => jsonReply(500, {}));
  const params = landing(await ctx.handle(jobber)(callback({ code: "c", state })));
  assert.equal(params.get("result"), "error");
  assert.equal(params.get("code"), "forbidden_role");
  assert.equal(jobber.fetch.calls.length, 0);
  await nothingStored(ctx.admin, businessId);
});

dbTest("jobber-callback reports a refused code exchange as jobber_error and stores nothing", async (ctx) => {
  const { businessId, state } = await ctx.begun();
  const jobber = fakeJobber(() => jsonReply(400, { error: "invalid_grant", error_description: "The grant is invalid." }));
  const params = landing(await ctx.handle(jobber)(callback({ code: "stale", state })));
  assert.equal(params.get("result"), "error");
  assert.equal(params.get("code"), "jobber_error");
  assert.match(params.get("message")!, /refused the authorization code/);
  assert.equal(jobber.tokenCalls().length, 1);
  assert.equal(jobber.graphqlCalls().length, 0);
  await nothingStored(ctx.admin, businessId);
});

dbTest("jobber-callback reports Jobber answering 503 as jobber_unavailable and stores nothing", async (ctx) => {
  const { businessId, state } = await ctx.begun();
  const jobber = fakeJobber(() => jsonReply(503, { error: "server_error" }));
  const params = landing(await ctx.handle(jobber)(callback({ code: "c", state })));
  assert.equal(params.get("code"), "jobber_unavailable");
  assert.ok(jobber.tokenCalls().length >= 1);
  await nothingStored(ctx.admin, businessId);
});

dbTest("jobber-callback reports an unreachable Jobber as jobber_unavailable and stores nothing", async (ctx) => {
  const { businessId, state } = await ctx.begun();
  const jobber = fakeJobber(() => Promise.reject(new TypeError("error sending request: connection reset")));
  const params = landing(await ctx.handle(jobber)(callback({ code: "c", state })));
  assert.equal(params.get("code"), "jobber_unavailable");
  await nothingStored(ctx.admin, businessId);
});

dbTest("jobber-callback refuses a Jobber account connected to another business (account_in_use)", async (ctx) => {
  const other = await createTenant(ctx.admin, "owner");
  ctx.created.businessIds.push(other.businessId);
  ctx.created.userIds.push(other.user.id);
  const { accountId } = await insertConnection(ctx.admin, other.businessId, {
    accessToken: "other-a",
    refreshToken: "other-r",
    expiresAt: new Date(Date.now() + 3600_000),
  });

  const { businessId, state } = await ctx.begun();
  const access = await jobberAccessToken(new Date(Date.now() + 3600_000));
  const jobber = happyJobber({ access, refresh: "mine-r" }, { id: accountId, name: "Taken" });
  const params = landing(await ctx.handle(jobber)(callback({ code: "c", state })));
  assert.equal(params.get("result"), "error");
  assert.equal(params.get("code"), "account_in_use");
  await nothingStored(ctx.admin, businessId);
  const [kept] = await ctx.admin`select account_id from public.integrations_jobber where business_id = ${other.businessId}`;
  assert.equal(kept!.account_id, accountId);
});

dbTest("jobber-callback holds a Marketplace install (no state) for a claim token it never stores", async (ctx) => {
  const accountId = `acct-${crypto.randomUUID()}`;
  ctx.created.accountIds.push(accountId);
  const exp = new Date(Math.floor(Date.now() / 1000) * 1000 + 3600_000);
  const access = await jobberAccessToken(exp);
  const refresh = `refresh-${randomToken(16)}`;
  const jobber = happyJobber({ access, refresh }, { id: accountId, name: "Marketplace Co" });
  const before = Date.now();
  const params = landing(await ctx.handle(jobber)(callback({ code: "market-code" })));
  assert.equal(params.get("result"), "claim");
  const claim = params.get("claim")!;
  assert.match(claim, /^[A-Za-z0-9_-]{43}$/);

  const rows = await ctx.admin`select * from private.jobber_pending_installs where account_id = ${accountId}`;
  assert.equal(rows.length, 1);
  const pending = rows[0]!;
  assert.equal(pending.claim_hash, await sha256Hex(claim));
  assert.equal(pending.account_name, "Marketplace Co");
  assert.equal((pending.token_expires_at as Date).toISOString(), exp.toISOString());
  const ttl = (pending.expires_at as Date).getTime() - before;
  assert.ok(Math.abs(ttl - PENDING_INSTALL_TTL_SECONDS * 1000) < 5_000);
  const text = JSON.stringify(pending);
  for (const secret of [claim, access, refresh]) assert.ok(!text.includes(secret), "a secret is stored in plain text");
  const secrets = await ctx.admin<{ id: string; decrypted_secret: string }[]>`
    select id, decrypted_secret from vault.decrypted_secrets
    where id in (${pending.access_token_secret_id}, ${pending.refresh_token_secret_id})`;
  const byId = Object.fromEntries(secrets.map((s) => [s.id, s.decrypted_secret]));
  assert.equal(byId[pending.access_token_secret_id], access);
  assert.equal(byId[pending.refresh_token_secret_id], refresh);
  assert.ok(!ctx.logs.join("\n").includes(claim));
});

dbTest("jobber-callback burns a state that arrives with a denied consent", async (ctx) => {
  const { businessId, state } = await ctx.begun();
  const jobber = fakeJobber(() => jsonReply(500, {}));
  const params = landing(await ctx.handle(jobber)(callback({ state })));
  assert.equal(params.get("code"), "access_denied");
  const [row] = await ctx.admin`select used_at from private.jobber_oauth_states where business_id = ${businessId}`;
  assert.ok(row!.used_at instanceof Date);
  await nothingStored(ctx.admin, businessId);
});
