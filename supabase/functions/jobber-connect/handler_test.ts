// jobber-connect against the real database (fresh users and businesses per test); Jobber is never
// called here. Tests that need no database run on a bare `deno test` too.
import assert from "node:assert/strict";
import type postgres from "postgres";
import type { Runtime } from "../_shared/runtime.ts";
import { sha256Hex } from "../_shared/crypto.ts";
import { hs256Jwt, testEnv } from "../_shared/testing.ts";
import {
  APP_ORIGIN,
  type Created,
  dbTestFactory,
  env,
  errorOf,
  functionUrl,
  type Handle,
  JOBBER,
  noJobber,
  postJson,
  type SignedInTenant,
  stubbedRuntime,
  withRuntime,
} from "../_shared/testing_db.ts";
import { addMember, createUser, insertConnection, type Role } from "../../../tests/support/jobber_fixtures.ts";
import { createHandler, OAUTH_STATE_TTL_SECONDS } from "./handler.ts";

const REDIRECT_URI = functionUrl("jobber-callback");

// Connect must never talk to Jobber: any call fails the test.
const runtime = (base: Record<string, string | undefined>): Runtime =>
  stubbedRuntime(
    { ...base, APP_ORIGIN, JOBBER_API_BASE: JOBBER, JOBBER_REDIRECT_URI: REDIRECT_URI, JOBBER_CLIENT_ID: "blipp-test" },
    noJobber("jobber-connect"),
  );

// With `aud`, as GoTrue issues them; a test below signs one with another secret.
const userJwt = (userId: string, secret = env.JWT_SECRET) =>
  hs256Jwt({ sub: userId, role: "authenticated", aud: "authenticated" }, secret ? { secret } : {});

const post = (body: unknown, token?: string): Request => postJson("jobber-connect", body, { token });

// ---- no database needed --------------------------------------------------------------------------

/** Runs `fn` with a handler on a runtime that has no database behind it. */
const withoutDb = (fn: (handle: Handle) => Promise<void>) =>
  withRuntime(runtime(testEnv()), (rt) => fn(createHandler(rt)));

Deno.test("jobber-connect answers 401 unauthenticated without a bearer token", () =>
  withoutDb(async (handle) => {
    const res = await handle(post({ business_id: crypto.randomUUID() }));
    assert.equal(res.status, 401);
    assert.equal((await errorOf(res)).code, "unauthenticated");
    assert.equal(res.headers.get("access-control-allow-origin"), APP_ORIGIN);
  }));

Deno.test("jobber-connect answers 401 for a JWT signed with another secret", () =>
  withoutDb(async (handle) => {
    const forged = await userJwt(crypto.randomUUID(), "another-secret-that-is-at-least-32-characters");
    const res = await handle(post({ business_id: crypto.randomUUID() }, forged));
    assert.equal(res.status, 401);
    assert.equal((await errorOf(res)).code, "unauthenticated");
  }));

Deno.test("jobber-connect answers 400 naming business_id when it is missing", () =>
  withoutDb(async (handle) => {
    const res = await handle(post({}, await hs256Jwt({ sub: crypto.randomUUID(), role: "authenticated" })));
    assert.equal(res.status, 400);
    const error = await errorOf(res);
    assert.equal(error.code, "invalid_request");
    // SPEC §5: the message names the field.
    assert.equal(error.message, "The business id (business_id) is required");
  }));

Deno.test("jobber-connect answers 400 naming business_id when it is not a UUID", () =>
  withoutDb(async (handle) => {
    const res = await handle(post({ business_id: "42" }, await hs256Jwt({ sub: crypto.randomUUID(), role: "authenticated" })));
    assert.equal(res.status, 400);
    const error = await errorOf(res);
    assert.equal(error.code, "invalid_request");
    assert.equal(error.message, "The business id (business_id) must be a UUID");
  }));

Deno.test("jobber-connect answers 400 naming an unknown key in the body", () =>
  withoutDb(async (handle) => {
    const jwt = await hs256Jwt({ sub: crypto.randomUUID(), role: "authenticated" });
    const res = await handle(post({ business_id: crypto.randomUUID(), redirect_to: "https://evil.test" }, jwt));
    assert.equal(res.status, 400);
    const error = await errorOf(res);
    assert.equal(error.code, "invalid_request");
    assert.match(error.message, /"redirect_to"/);
  }));

Deno.test("jobber-connect answers the CORS preflight for APP_ORIGIN exactly", () =>
  withoutDb(async (handle) => {
    const res = await handle(new Request("https://project.example.test/functions/v1/jobber-connect", {
      method: "OPTIONS",
      headers: { origin: APP_ORIGIN, "access-control-request-method": "POST" },
    }));
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), APP_ORIGIN);
    assert.match(res.headers.get("access-control-allow-methods") ?? "", /\bPOST\b/);
    assert.match(res.headers.get("access-control-allow-headers") ?? "", /authorization/);
  }));

Deno.test("jobber-connect answers 405 method_not_allowed for GET", () =>
  withoutDb(async (handle) => {
    const res = await handle(new Request("https://project.example.test/functions/v1/jobber-connect?business_id=x"));
    assert.equal(res.status, 405);
    assert.equal((await errorOf(res)).code, "method_not_allowed");
    assert.match(res.headers.get("allow") ?? "", /POST/);
  }));


// ---- against the database ------------------------------------------------------------------------

interface Ctx {
  handle: Handle;
  admin: postgres.Sql;
  created: Created;
  tenant: (role?: Role) => Promise<SignedInTenant>;
}

const dbTest = dbTestFactory(
  ({ admin, created, track, tenant }): Ctx => ({ handle: createHandler(track(runtime(env))), admin, created, tenant }),
  { jwt: userJwt },
);

dbTest("jobber-connect returns an authorize URL and stores only the SHA-256 of its 43-character state", async (ctx) => {
  const { businessId, userId, jwt } = await ctx.tenant("owner");
  const before = Date.now();
  const res = await ctx.handle(post({ business_id: businessId }, jwt));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("access-control-allow-origin"), APP_ORIGIN);
  const body = await res.json();
  assert.deepEqual(Object.keys(body), ["url"]);

  const url = new URL(body.url);
  assert.equal(`${url.origin}${url.pathname}`, `${JOBBER}/api/oauth/authorize`);
  assert.equal(url.searchParams.get("client_id"), "blipp-test");
  assert.equal(url.searchParams.get("redirect_uri"), REDIRECT_URI);
  assert.equal(url.searchParams.get("response_type"), "code");
  const state = url.searchParams.get("state")!;
  assert.match(state, /^[A-Za-z0-9_-]{43}$/);

  const rows = await ctx.admin<{ nonce_hash: string; user_id: string; expires_at: Date; used_at: Date | null }[]>`
    select nonce_hash, user_id, expires_at, used_at from private.jobber_oauth_states where business_id = ${businessId}`;
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.nonce_hash, await sha256Hex(state));
  assert.equal(rows[0]!.user_id, userId);
  assert.equal(rows[0]!.used_at, null);
  const ttl = rows[0]!.expires_at.getTime() - before;
  assert.ok(Math.abs(ttl - OAUTH_STATE_TTL_SECONDS * 1000) < 5_000, `state lives ${ttl} ms, expected 10 minutes`);
  assert.equal(OAUTH_STATE_TTL_SECONDS, 600);

  // The state itself is nowhere in the table.
  const [leak] = await ctx.admin<{ n: number }[]>`
    select count(*)::int as n from private.jobber_oauth_states s where s::text like ${"%" + state + "%"}`;
  assert.equal(leak!.n, 0);
});

dbTest("jobber-connect lets an admin start a connection", async (ctx) => {
  const { businessId, jwt } = await ctx.tenant("admin");
  const res = await ctx.handle(post({ business_id: businessId }, jwt));
  assert.equal(res.status, 200);
  assert.match((await res.json()).url, /state=/);
});

dbTest("jobber-connect answers 403 forbidden_role to a plain member and stores no state", async (ctx) => {
  const { businessId, jwt } = await ctx.tenant("member");
  const res = await ctx.handle(post({ business_id: businessId }, jwt));
  assert.equal(res.status, 403);
  assert.equal((await errorOf(res)).code, "forbidden_role");
  const [row] = await ctx.admin<{ n: number }[]>`
    select count(*)::int as n from private.jobber_oauth_states where business_id = ${businessId}`;
  assert.equal(row!.n, 0);
});

dbTest("jobber-connect answers 403 not_a_member for someone else's business", async (ctx) => {
  const mine = await ctx.tenant("owner");
  const theirs = await ctx.tenant("owner");
  const res = await ctx.handle(post({ business_id: theirs.businessId }, mine.jwt));
  assert.equal(res.status, 403);
  const error = await errorOf(res);
  assert.equal(error.code, "not_a_member");
  const [row] = await ctx.admin<{ n: number }[]>`
    select count(*)::int as n from private.jobber_oauth_states where business_id = ${theirs.businessId}`;
  assert.equal(row!.n, 0);
});

dbTest("jobber-connect answers a business that does not exist exactly like someone else's", async (ctx) => {
  const mine = await ctx.tenant("owner");
  const other = await ctx.tenant("owner");
  const missing = await ctx.handle(post({ business_id: crypto.randomUUID() }, mine.jwt));
  const foreign = await ctx.handle(post({ business_id: other.businessId }, mine.jwt));
  assert.equal(missing.status, 403);
  assert.deepEqual(await missing.json(), await foreign.json());
});

dbTest("jobber-connect answers 409 already_connected for a connected business", async (ctx) => {
  const { businessId, jwt } = await ctx.tenant("owner");
  await insertConnection(ctx.admin, businessId, {
    accessToken: "a",
    refreshToken: "r",
    expiresAt: new Date(Date.now() + 3600_000),
  });
  const res = await ctx.handle(post({ business_id: businessId }, jwt));
  assert.equal(res.status, 409);
  assert.equal((await errorOf(res)).code, "already_connected");
});

dbTest("jobber-connect lets a user who belongs to two businesses act only where they are owner", async (ctx) => {
  const owned = await ctx.tenant("owner");
  const other = await ctx.tenant("owner");
  await addMember(ctx.admin, other.businessId, owned.userId, "member");
  assert.equal((await ctx.handle(post({ business_id: owned.businessId }, owned.jwt))).status, 200);
  const res = await ctx.handle(post({ business_id: other.businessId }, owned.jwt));
  assert.equal(res.status, 403);
  assert.equal((await errorOf(res)).code, "forbidden_role");
  // a stray user with no membership at all
  const stray = await createUser(ctx.admin, "stray");
  ctx.created.userIds.push(stray.id);
  const strayRes = await ctx.handle(post({ business_id: owned.businessId }, await userJwt(stray.id)));
  assert.equal((await errorOf(strayRes)).code, "not_a_member");
});
