// jobber-callback against the real database with Jobber stubbed: every outcome is a 302 to the
// dashboard's callback page carrying no text, a state-carrying callback never calls Jobber (the code
// waits behind a ticket for the user who started connecting, SPEC §12), and the anonymous
// Marketplace path exchanges at most once per admitted attempt.
import assert from "node:assert/strict";
import type postgres from "postgres";
import type { Runtime } from "../_shared/runtime.ts";
import { randomToken, sha256Hex } from "../_shared/crypto.ts";
import { jsonReply, testEnv } from "../_shared/testing.ts";
import {
  APP_ORIGIN,
  type Created,
  dbTestFactory,
  env,
  fakeJobber,
  type FakeJobber,
  functionUrl,
  type Handle,
  JOBBER,
  jobberAccessToken as signedAccessToken,
  type Stub,
  stubbedRuntime,
  withRuntime,
} from "../_shared/testing_db.ts";
import { awayFromMinuteBoundary, insertConnection } from "../../../tests/support/jobber_fixtures.ts";
import { CONNECT_TICKET_TTL_SECONDS, createHandler, PENDING_INSTALL_TTL_SECONDS } from "./handler.ts";

const CALLBACK = functionUrl("jobber-callback");
type Env = Record<string, string | undefined>;

const runtime = (base: Env, fetchStub: Stub, logs: string[]): Runtime =>
  stubbedRuntime({ ...base, APP_ORIGIN, JOBBER_API_BASE: JOBBER, JOBBER_REDIRECT_URI: CALLBACK }, fetchStub, logs);

/** A Jobber access token: a JWT whose `exp` is what the callback must store as token_expires_at. */
const jobberAccessToken = (exp: Date) => signedAccessToken(exp, { account_id: "acct" });


function happyJobber(tokens: { access: string; refresh: string }, account: { id: string; name: string }) {
  return fakeJobber(
    () => jsonReply(200, { access_token: tokens.access, refresh_token: tokens.refresh }),
    () => jsonReply(200, { data: { account } }),
  );
}

/** A Jobber that hands out a fresh token pair per exchange and names `account`. */
async function marketplaceJobber(account: { id: string; name: string }) {
  const access = await jobberAccessToken(new Date(Date.now() + 3600_000));
  return happyJobber({ access, refresh: `refresh-${randomToken(16)}` }, account);
}

function callback(params: Record<string, string>, headers: Record<string, string> = {}): Request {
  const url = new URL(CALLBACK);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return new Request(url, { method: "GET", headers });
}

const ALLOWED_KEYS = ["result", "code", "ticket", "claim"];

/**
 * Asserts a 302 to APP_ORIGIN/jobber/callback carrying nothing the page could show as text (only a
 * result, a code, or a one-time ticket or claim), and returns its query parameters.
 */
function landing(res: Response): URLSearchParams {
  assert.equal(res.status, 302);
  const location = new URL(res.headers.get("location")!);
  assert.equal(`${location.origin}${location.pathname}`, `${APP_ORIGIN}/jobber/callback`);
  assert.equal(res.headers.get("cache-control"), "no-store");
  for (const key of location.searchParams.keys()) assert.ok(ALLOWED_KEYS.includes(key), `the redirect carries "${key}"`);
  const code = location.searchParams.get("code");
  if (code !== null) assert.match(code, /^[a-z_]+$/);
  return location.searchParams;
}

// ---- consent denied needs no database when no state came along ----------------------------------

Deno.test("jobber-callback sends a denied consent (no parameters) to the dashboard as access_denied, with no text", () => {
  const jobber = fakeJobber(() => jsonReply(500, {}));
  return withRuntime(runtime(testEnv(), jobber.fetch, []), async (rt) => {
    const params = landing(await createHandler(rt)(callback({})));
    assert.deepEqual(Object.fromEntries(params), { result: "error", code: "access_denied" });
    assert.equal(jobber.fetch.calls.length, 0);
  });
});

// ---- against the database ------------------------------------------------------------------------

interface Ctx {
  admin: postgres.Sql;
  logs: string[];
  handle: (jobber: FakeJobber, env?: Env) => Handle;
  created: Created;
  /** A business with an owner (or `role`) who has just clicked Connect: returns the state. */
  begun: (role?: "owner" | "admin") => Promise<{ businessId: string; userId: string; state: string }>;
  /** An account id removed (with its pending installs) after the test. */
  account: (name: string) => { id: string; name: string };
  /** Forgets every counted Marketplace attempt, so a test's allowance starts full. */
  resetAttempts: () => Promise<void>;
}

const dbTest = dbTestFactory(({ admin, created, track, business }): Ctx => {
  const logs: string[] = [];
  return {
    admin,
    logs,
    handle: (jobber, base = env) => createHandler(track(runtime(base, jobber.fetch, logs))),
    created,
    begun: async (role = "owner") => {
      const t = await business(role);
      const state = randomToken(32);
      await admin`select private.jobber_begin_connect(${t.user.id}, ${t.businessId}, ${await sha256Hex(state)}, 600)`;
      return { businessId: t.businessId, userId: t.user.id, state };
    },
    account: (name) => {
      const id = `acct-${crypto.randomUUID()}`;
      created.accountIds.push(id);
      return { id, name };
    },
    resetAttempts: async () => {
      // A minute window that turns over mid-test would refill the allowance: stay clear of it.
      await awayFromMinuteBoundary(15);
      await admin`delete from private.jobber_install_attempts`;
    },
  };
});

async function nothingStored(admin: postgres.Sql, businessId: string) {
  const [row] = await admin<{ rows: number; secrets: number; runs: number; tickets: number }[]>`
    select (select count(*)::int from public.integrations_jobber where business_id = ${businessId}) as rows,
           (select count(*)::int from vault.secrets where name like ${`jobber/${businessId}/%`}) as secrets,
           (select count(*)::int from public.jobber_sync_runs where business_id = ${businessId}) as runs,
           (select count(*)::int from private.jobber_connect_tickets where business_id = ${businessId}) as tickets`;
  assert.deepEqual(row, { rows: 0, secrets: 0, runs: 0, tickets: 0 });
}

const pendingFor = (admin: postgres.Sql, accountId: string) =>
  admin`select * from private.jobber_pending_installs where account_id = ${accountId}`;

// ---- with a state: keep the code for the user who started connecting ----------------------------

dbTest("jobber-callback keeps the code behind a one-time ticket for the user who started, without calling Jobber", async (ctx) => {
  const { businessId, userId, state } = await ctx.begun();
  const jobber = fakeJobber(() => jsonReply(500, {}));
  const code = `code-${randomToken(16)}`;
  const before = Date.now();

  const params = landing(await ctx.handle(jobber)(callback({ code, state })));
  assert.equal(params.get("result"), "confirm");
  const ticket = params.get("ticket")!;
  // At least 128 bits: 32 random bytes, base64url.
  assert.match(ticket, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(jobber.fetch.calls.length, 0, "the callback called Jobber");

  const [held] = await ctx.admin`
    select t.user_id, t.business_id, t.expires_at, t.used_at, t.ticket_hash, d.decrypted_secret as code
    from private.jobber_connect_tickets t join vault.decrypted_secrets d on d.id = t.code_secret_id
    where t.business_id = ${businessId}`;
  assert.equal(held!.user_id, userId);
  assert.equal(held!.ticket_hash, await sha256Hex(ticket));
  assert.equal(held!.code, code);
  assert.equal(held!.used_at, null);
  const ttl = (held!.expires_at as Date).getTime() - before;
  assert.ok(Math.abs(ttl - CONNECT_TICKET_TTL_SECONDS * 1000) < 5_000);
  const [plain] = await ctx.admin<{ n: number }[]>`select count(*)::int as n from vault.secrets where secret = ${code}`;
  assert.equal(plain!.n, 0, "Vault stores the code encrypted");

  // Nothing is connected yet, and the state is spent.
  const [row] = await ctx.admin`select count(*)::int as n from public.integrations_jobber where business_id = ${businessId}`;
  assert.equal(row!.n, 0);
  const [used] = await ctx.admin`select used_at from private.jobber_oauth_states where business_id = ${businessId}`;
  assert.ok(used!.used_at instanceof Date);

  const log = ctx.logs.join("\n");
  for (const secret of [code, state, ticket]) assert.ok(!log.includes(secret), "a secret reached the log");
});

dbTest("jobber-callback holds no second code when the same state comes back", async (ctx) => {
  const { businessId, state } = await ctx.begun();
  const jobber = fakeJobber(() => jsonReply(500, {}));
  const handle = ctx.handle(jobber);
  assert.equal(landing(await handle(callback({ code: "code-first", state }))).get("result"), "confirm");

  const replay = landing(await handle(callback({ code: "code-first", state })));
  assert.deepEqual(Object.fromEntries(replay), { result: "error", code: "invalid_state" });
  const [tickets] = await ctx.admin`select count(*)::int as n from private.jobber_connect_tickets where business_id = ${businessId}`;
  assert.equal(tickets!.n, 1);
  assert.equal(jobber.fetch.calls.length, 0);
});

dbTest("jobber-callback rejects an unknown state without calling Jobber", async (ctx) => {
  const jobber = fakeJobber(() => jsonReply(500, {}));
  const params = landing(await ctx.handle(jobber)(callback({ code: "c", state: randomToken(32) })));
  assert.deepEqual(Object.fromEntries(params), { result: "error", code: "invalid_state" });
  assert.equal(jobber.fetch.calls.length, 0);
});

dbTest("jobber-callback rejects an expired state without calling Jobber and stores nothing", async (ctx) => {
  const { businessId, state } = await ctx.begun();
  await ctx.admin`update private.jobber_oauth_states set expires_at = now() - interval '1 second' where business_id = ${businessId}`;
  const jobber = fakeJobber(() => jsonReply(500, {}));
  const params = landing(await ctx.handle(jobber)(callback({ code: "c", state })));
  assert.deepEqual(Object.fromEntries(params), { result: "error", code: "invalid_state" });
  assert.equal(jobber.fetch.calls.length, 0);
  await nothingStored(ctx.admin, businessId);
});

dbTest("jobber-callback refuses a state whose creator is no longer owner or admin", async (ctx) => {
  const { businessId, userId, state } = await ctx.begun("admin");
  await ctx.admin`update public.business_members set role = 'member' where business_id = ${businessId} and user_id = ${userId}`;
  const jobber = fakeJobber(() => jsonReply(500, {}));
  const params = landing(await ctx.handle(jobber)(callback({ code: "c", state })));
  assert.deepEqual(Object.fromEntries(params), { result: "error", code: "forbidden_role" });
  assert.equal(jobber.fetch.calls.length, 0);
  await nothingStored(ctx.admin, businessId);
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

// ---- without a state: a Marketplace install -------------------------------------------------------

dbTest("jobber-callback holds a Marketplace install (no state) for a claim token it never stores", async (ctx) => {
  await ctx.resetAttempts();
  const account = ctx.account("Marketplace Co");
  const exp = new Date(Math.floor(Date.now() / 1000) * 1000 + 3600_000);
  const access = await jobberAccessToken(exp);
  const refresh = `refresh-${randomToken(16)}`;
  const jobber = happyJobber({ access, refresh }, account);
  const before = Date.now();
  const params = landing(await ctx.handle(jobber)(callback({ code: "market-code" })));
  assert.equal(params.get("result"), "claim");
  const claim = params.get("claim")!;
  assert.match(claim, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(jobber.tokenCalls().length, 1);
  assert.equal(new URLSearchParams(jobber.tokenCalls()[0]!.body).get("code"), "market-code");

  const rows = await pendingFor(ctx.admin, account.id);
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

dbTest("jobber-callback never retries the anonymous code exchange: Jobber's 503 costs one token call", async (ctx) => {
  await ctx.resetAttempts();
  const jobber = fakeJobber(() => jsonReply(503, { error: "server_error" }));
  const params = landing(await ctx.handle(jobber)(callback({ code: "flaky" })));
  assert.deepEqual(Object.fromEntries(params), { result: "error", code: "jobber_unavailable" });
  assert.equal(jobber.tokenCalls().length, 1);

  const unreachable = fakeJobber(() => Promise.reject(new TypeError("error sending request: connection refused")));
  const again = landing(await ctx.handle(unreachable)(callback({ code: "unreachable" })));
  assert.equal(again.get("code"), "jobber_unavailable");
  assert.equal(unreachable.tokenCalls().length, 1);
});

dbTest("jobber-callback answers rate_limited past an address's allowance, before calling Jobber", async (ctx) => {
  await ctx.resetAttempts();
  const account = ctx.account("Flooded Co");
  const jobber = await marketplaceJobber(account);
  const handle = ctx.handle(jobber, { ...env, MARKETPLACE_INSTALLS_PER_ADDRESS_PER_MINUTE: "2" });
  const from = { "x-forwarded-for": "203.0.113.9" };
  const results: string[] = [];
  for (let i = 0; i < 5; i++) {
    const params = landing(await handle(callback({ code: `flood-${i}` }, from)));
    results.push(params.get("result") === "error" ? params.get("code")! : params.get("result")!);
  }
  assert.deepEqual(results, ["claim", "claim", "rate_limited", "rate_limited", "rate_limited"]);
  assert.equal(jobber.tokenCalls().length, 2);
  // Another address still gets in.
  const other = landing(await handle(callback({ code: "neighbour" }, { "x-forwarded-for": "198.51.100.4" })));
  assert.equal(other.get("result"), "claim");
  const [stored] = await ctx.admin`select count(*)::int as n from private.jobber_install_attempts where bucket like '%203.0.113.9%'`;
  assert.equal(stored!.n, 0, "the address is stored only as a keyed hash");
});

dbTest("jobber-callback bounds everyone together: past the overall allowance every address waits", async (ctx) => {
  await ctx.resetAttempts();
  const account = ctx.account("Crowded Co");
  const jobber = await marketplaceJobber(account);
  const handle = ctx.handle(jobber, { ...env, MARKETPLACE_INSTALLS_PER_MINUTE: "3" });
  const codes: string[] = [];
  for (let i = 0; i < 8; i++) {
    const params = landing(await handle(callback({ code: `spread-${i}` }, { "x-forwarded-for": `192.0.2.${i + 1}` })));
    codes.push(params.get("code") ?? params.get("result")!);
  }
  assert.deepEqual(codes, ["claim", "claim", "claim", "rate_limited", "rate_limited", "rate_limited", "rate_limited", "rate_limited"]);
  assert.equal(jobber.tokenCalls().length, 3);
});

dbTest("jobber-callback admits no install while the cap of pending installs is reached", async (ctx) => {
  await ctx.resetAttempts();
  const [live] = await ctx.admin<{ n: number }[]>`
    select count(*)::int as n from private.jobber_pending_installs where expires_at > now()`;
  const pendingNow = live!.n;
  const jobber = await marketplaceJobber(ctx.account("Capped Co"));
  const handle = ctx.handle(jobber, { ...env, MARKETPLACE_PENDING_INSTALLS_MAX: String(pendingNow + 1) });
  assert.equal(landing(await handle(callback({ code: "first" }, { "x-forwarded-for": "192.0.2.50" }))).get("result"), "claim");
  const refused = landing(await handle(callback({ code: "second" }, { "x-forwarded-for": "192.0.2.51" })));
  assert.deepEqual(Object.fromEntries(refused), { result: "error", code: "rate_limited" });
  assert.equal(jobber.tokenCalls().length, 1);
});

dbTest("jobber-callback holds nothing for an account a business has connected, and leaves that connection alone", async (ctx) => {
  await ctx.resetAttempts();
  const owner = await ctx.begun();
  const account = ctx.account("Already Live Co");
  await insertConnection(ctx.admin, owner.businessId, {
    accountId: account.id,
    accessToken: "live-a",
    refreshToken: "live-r",
    expiresAt: new Date(Date.now() + 3600_000),
  });
  const jobber = await marketplaceJobber(account);
  const params = landing(await ctx.handle(jobber)(callback({ code: "again" })));
  assert.deepEqual(Object.fromEntries(params), { result: "already_connected" });
  assert.equal((await pendingFor(ctx.admin, account.id)).length, 0);
  // No appDisconnect, nothing replaced.
  assert.equal(jobber.graphqlCalls().filter((c) => /appDisconnect/.test(c.body)).length, 0);
  const [row] = await ctx.admin`
    select i.connection_status, a.decrypted_secret as access from public.integrations_jobber i
    join vault.decrypted_secrets a on a.id = i.access_token_secret_id where i.business_id = ${owner.businessId}`;
  assert.deepEqual({ ...row }, { connection_status: "connected", access: "live-a" });
});

dbTest("jobber-callback keeps only the newest install when the same account is installed twice", async (ctx) => {
  await ctx.resetAttempts();
  const account = ctx.account("Twice Co");
  const jobber = await marketplaceJobber(account);
  const first = landing(await ctx.handle(jobber)(callback({ code: "one" }))).get("claim")!;
  const second = landing(await ctx.handle(jobber)(callback({ code: "two" }))).get("claim")!;
  const rows = await pendingFor(ctx.admin, account.id);
  assert.deepEqual(rows.map((r) => r.claim_hash), [await sha256Hex(second)]);
  assert.notEqual(first, second);
});
