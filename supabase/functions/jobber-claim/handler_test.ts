// jobber-claim against the real database: a Marketplace install held by the callback is attached
// to a business by an owner or admin with the one-time claim token.
import assert from "node:assert/strict";
import type postgres from "postgres";
import type { Runtime } from "../_shared/runtime.ts";
import { randomToken, sha256Hex } from "../_shared/crypto.ts";
import { hs256Jwt, testEnv } from "../_shared/testing.ts";
import {
  APP_ORIGIN,
  dbTestFactory,
  env,
  type Handle,
  JOBBER,
  noJobber,
  postJson,
  type SignedInTenant,
  stubbedRuntime,
  withRuntime,
} from "../_shared/testing_db.ts";
import { insertConnection, type Role, vaultSecretCount } from "../../../tests/support/jobber_fixtures.ts";
import { createHandler } from "./handler.ts";

// Claiming needs nothing from Jobber: the tokens were obtained by the callback.
const runtime = (base: Record<string, string | undefined>): Runtime =>
  stubbedRuntime({ ...base, APP_ORIGIN, JOBBER_API_BASE: JOBBER }, noJobber("jobber-claim"));

const post = (body: unknown, token?: string): Request => postJson("jobber-claim", body, { token });

async function errorCode(res: Response): Promise<string> {
  const body = await res.json();
  assert.equal(typeof body.error?.message, "string");
  return body.error.code;
}

/** Runs `fn` with a handler on a runtime that has no database behind it. */
const withoutDb = (fn: (handle: Handle) => Promise<void>) =>
  withRuntime(runtime(testEnv()), (rt) => fn(createHandler(rt)));

Deno.test("jobber-claim answers 401 without a bearer token", () =>
  withoutDb(async (handle) => {
    const res = await handle(post({ claim: randomToken(32), business_id: crypto.randomUUID() }));
    assert.equal(res.status, 401);
    assert.equal(await errorCode(res), "unauthenticated");
  }));

Deno.test("jobber-claim answers 400 in words a person understands when the claim is malformed", () =>
  withoutDb(async (handle) => {
    const jwt = await hs256Jwt({ sub: crypto.randomUUID(), role: "authenticated" });
    for (const body of [{ claim: "short", business_id: crypto.randomUUID() }, { claim: "has spaces and is long enough!!" }]) {
      const res = await handle(post(body, jwt));
      assert.equal(res.status, 400);
      assert.deepEqual((await res.json()).error, {
        code: "invalid_request",
        message: "The claim code from the install link (claim) is not valid: open the install link from Jobber again.",
      });
    }
    const missing = await (await handle(post({ business_id: crypto.randomUUID() }, jwt))).json();
    assert.equal(missing.error.message, "The claim code from the install link (claim) is required");
  }));

interface Ctx {
  admin: postgres.Sql;
  handle: Handle;
  tenant: (role?: Role) => Promise<SignedInTenant>;
  /** A Marketplace install held for 30 minutes, as the callback leaves it. */
  pending: () => Promise<{ claim: string; accountId: string; access: string; refresh: string; secretIds: string[] }>;
}

const dbTest = dbTestFactory(({ admin, created, track, tenant }): Ctx => ({
  admin,
  handle: createHandler(track(runtime(env))),
  tenant,
  pending: async () => {
    const claim = randomToken(32);
    const accountId = `acct-${crypto.randomUUID()}`;
    created.accountIds.push(accountId);
    const access = `access-${randomToken(16)}`;
    const refresh = `refresh-${randomToken(16)}`;
    await admin`select private.jobber_hold_pending_install(${accountId}, 'Marketplace Co', ${access}, ${refresh},
                  ${new Date(Date.now() + 3600_000)}, ${await sha256Hex(claim)}, 1800)`;
    const [row] = await admin<{ a: string; r: string }[]>`
      select access_token_secret_id as a, refresh_token_secret_id as r
      from private.jobber_pending_installs where account_id = ${accountId}`;
    return { claim, accountId, access, refresh, secretIds: [row!.a, row!.r] };
  },
}));

const pendingCount = async (admin: postgres.Sql, accountId: string) =>
  (await admin<{ n: number }[]>`select count(*)::int as n from private.jobber_pending_installs where account_id = ${accountId}`)[0]!.n;
dbTest("jobber-claim attaches the install to the business and deletes the pending row and its secrets", async (ctx) => {
  const { businessId, userId, jwt } = await ctx.tenant("owner");
  const install = await ctx.pending();
  const res = await ctx.handle(post({ claim: install.claim, business_id: businessId }, jwt));
  // One snapshot right away: the stack's worker is kicked to start the initial sync, and with these
  // made-up tokens that sync would soon flag the connection at the real sandbox.
  const [row] = await ctx.admin`
    select i.connection_status, i.account_id, a.decrypted_secret as access, r.decrypted_secret as refresh,
           (select json_agg(json_build_object('kind', s.kind, 'trigger', s.trigger, 'requested_by', s.requested_by, 'state', s.state))
            from public.jobber_sync_runs s where s.business_id = i.business_id) as runs
    from public.integrations_jobber i
    join vault.decrypted_secrets a on a.id = i.access_token_secret_id
    join vault.decrypted_secrets r on r.id = i.refresh_token_secret_id
    where i.business_id = ${businessId}`;
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("access-control-allow-origin"), APP_ORIGIN);
  assert.deepEqual(await res.json(), { connected: true, account_name: "Marketplace Co", already_connected: false });
  const { runs, ...connection } = row!;
  assert.deepEqual(connection, {
    connection_status: "connected",
    account_id: install.accountId,
    access: install.access,
    refresh: install.refresh,
  });
  assert.equal(runs.length, 1);
  const { state, ...run } = runs[0];
  assert.deepEqual(run, { kind: "full", trigger: "connect", requested_by: userId });
  assert.ok(["queued", "running"].includes(state), `the initial sync is ${state}`);
  assert.equal(await pendingCount(ctx.admin, install.accountId), 0);
  assert.equal(await vaultSecretCount(ctx.admin, install.secretIds), 0);
});

dbTest("jobber-claim answers 404 not_found when the claim token is used a second time", async (ctx) => {
  const first = await ctx.tenant("owner");
  const install = await ctx.pending();
  assert.equal((await ctx.handle(post({ claim: install.claim, business_id: first.businessId }, first.jwt))).status, 200);
  const second = await ctx.tenant("owner");
  const res = await ctx.handle(post({ claim: install.claim, business_id: second.businessId }, second.jwt));
  assert.equal(res.status, 404);
  assert.equal(await errorCode(res), "not_found");
  const [row] = await ctx.admin`select count(*)::int as n from public.integrations_jobber where business_id = ${second.businessId}`;
  assert.equal(row!.n, 0);
});

dbTest("jobber-claim answers 404 not_found for a claim past its 30 minutes", async (ctx) => {
  const { businessId, jwt } = await ctx.tenant("owner");
  const install = await ctx.pending();
  await ctx.admin`update private.jobber_pending_installs set expires_at = now() - interval '1 second'
                  where account_id = ${install.accountId}`;
  const res = await ctx.handle(post({ claim: install.claim, business_id: businessId }, jwt));
  assert.equal(res.status, 404);
  assert.equal(await errorCode(res), "not_found");
  const [row] = await ctx.admin`select count(*)::int as n from public.integrations_jobber where business_id = ${businessId}`;
  assert.equal(row!.n, 0);
});

dbTest("jobber-claim answers 403 forbidden_role to a plain member and keeps the install", async (ctx) => {
  const { businessId, jwt } = await ctx.tenant("member");
  const install = await ctx.pending();
  const res = await ctx.handle(post({ claim: install.claim, business_id: businessId }, jwt));
  assert.equal(res.status, 403);
  assert.equal(await errorCode(res), "forbidden_role");
  assert.equal(await pendingCount(ctx.admin, install.accountId), 1);
});

dbTest("jobber-claim answers 403 not_a_member for another user's business and keeps the install", async (ctx) => {
  const me = await ctx.tenant("owner");
  const them = await ctx.tenant("owner");
  const install = await ctx.pending();
  const res = await ctx.handle(post({ claim: install.claim, business_id: them.businessId }, me.jwt));
  assert.equal(res.status, 403);
  assert.equal(await errorCode(res), "not_a_member");
  assert.equal(await pendingCount(ctx.admin, install.accountId), 1);
});

dbTest("jobber-claim answers 409 already_connected and keeps the install for a connected business", async (ctx) => {
  const { businessId, jwt } = await ctx.tenant("owner");
  const existing = await insertConnection(ctx.admin, businessId, {
    accessToken: "a",
    refreshToken: "r",
    expiresAt: new Date(Date.now() + 3600_000),
  });
  const install = await ctx.pending();
  const res = await ctx.handle(post({ claim: install.claim, business_id: businessId }, jwt));
  assert.equal(res.status, 409);
  assert.equal(await errorCode(res), "already_connected");
  assert.equal(await pendingCount(ctx.admin, install.accountId), 1);
  const [row] = await ctx.admin`select account_id from public.integrations_jobber where business_id = ${businessId}`;
  assert.equal(row!.account_id, existing.accountId);
});

dbTest("jobber-claim describes the install (account and install time) without attaching it", async (ctx) => {
  const { businessId, jwt } = await ctx.tenant("owner");
  const install = await ctx.pending();
  const [held] = await ctx.admin<{ created_at: Date; expires_at: Date }[]>`
    select created_at, expires_at from private.jobber_pending_installs where account_id = ${install.accountId}`;
  const res = await ctx.handle(post({ claim: install.claim }, jwt));
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    account_name: "Marketplace Co",
    installed_at: held!.created_at.toISOString(),
    expires_at: held!.expires_at.toISOString(),
  });
  // Looking is not claiming: the install is still there, the business still unconnected.
  assert.equal(await pendingCount(ctx.admin, install.accountId), 1);
  const [row] = await ctx.admin`select count(*)::int as n from public.integrations_jobber where business_id = ${businessId}`;
  assert.equal(row!.n, 0);
});

dbTest("jobber-claim describes nothing for an expired or used claim (404 not_found)", async (ctx) => {
  const { jwt } = await ctx.tenant("owner");
  const install = await ctx.pending();
  await ctx.admin`update private.jobber_pending_installs set expires_at = now() - interval '1 second'
                  where account_id = ${install.accountId}`;
  const res = await ctx.handle(post({ claim: install.claim }, jwt));
  assert.equal(res.status, 404);
  assert.equal(await errorCode(res), "not_found");
});

dbTest("jobber-claim says already_connected when the business already has that very account, and keeps it", async (ctx) => {
  const { businessId, jwt } = await ctx.tenant("owner");
  const install = await ctx.pending();
  await insertConnection(ctx.admin, businessId, {
    accountId: install.accountId,
    accessToken: "live-a",
    refreshToken: "live-r",
    expiresAt: new Date(Date.now() + 3600_000),
  });
  const res = await ctx.handle(post({ claim: install.claim, business_id: businessId }, jwt));
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { connected: true, account_name: "Marketplace Co", already_connected: true });
  assert.equal(await pendingCount(ctx.admin, install.accountId), 0);
  assert.equal(await vaultSecretCount(ctx.admin, install.secretIds), 0);
  const [row] = await ctx.admin`
    select i.connection_status, a.decrypted_secret as access from public.integrations_jobber i
    join vault.decrypted_secrets a on a.id = i.access_token_secret_id where i.business_id = ${businessId}`;
  assert.deepEqual({ ...row }, { connection_status: "connected", access: "live-a" });
});
