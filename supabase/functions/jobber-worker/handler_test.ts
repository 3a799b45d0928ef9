// jobber-worker: only the service key gets in, and refresh_tokens renews tokens expiring within
// 15 minutes (and no others), drops Marketplace installs nobody claimed (disconnecting at Jobber only
// accounts no business has connected) and purges unredeemed connect codes. Jobber is stubbed.
import assert from "node:assert/strict";
import type { Runtime } from "../_shared/runtime.ts";
import { randomToken, sha256Hex } from "../_shared/crypto.ts";
import { hs256Jwt, jsonReply, type RecordedCall, stubFetch, TEST_SERVICE_ROLE_KEY, testEnv } from "../_shared/testing.ts";
import {
  APP_ORIGIN,
  appDisconnected,
  dbTestFactory,
  env,
  type Handle,
  JOBBER,
  jobberAccessToken,
  lacksEnv,
  NO_DB,
  noJobber,
  postJson,
  type Stub,
  stubbedRuntime,
  tokenCalls,
  withRuntime,
} from "../_shared/testing_db.ts";
import { insertConnection, storedTokens, vaultSecretCount } from "../../../tests/support/jobber_fixtures.ts";
import { createHandler } from "./handler.ts";

const runtime = (base: Record<string, string | undefined>, fetchStub: Stub): Runtime =>
  stubbedRuntime({ ...base, APP_ORIGIN, JOBBER_API_BASE: JOBBER }, fetchStub);

// The worker is called by pg_cron with the service key in a header, not by a signed-in user.
const worker = (body: unknown, headers: Record<string, string> = {}) => postJson("jobber-worker", body, { headers });

async function withoutDb(fn: (handle: Handle, stub: Stub) => Promise<void>) {
  const stub = noJobber();
  await withRuntime(runtime(testEnv(), stub), (rt) => fn(createHandler(rt), stub));
}

Deno.test("jobber-worker answers 401 without the service key", () =>
  withoutDb(async (handle) => {
    const res = await handle(worker({ task: "refresh_tokens" }));
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, "unauthenticated");
  }));

Deno.test("jobber-worker answers 401 to a signed-in user's JWT", () =>
  withoutDb(async (handle) => {
    const jwt = await hs256Jwt({ sub: crypto.randomUUID(), role: "authenticated" });
    const res = await handle(worker({ task: "refresh_tokens" }, { authorization: `Bearer ${jwt}` }));
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, "unauthenticated");
  }));

Deno.test("jobber-worker answers 401 to the anon key", () =>
  withoutDb(async (handle) => {
    const anon = await hs256Jwt({ role: "anon" });
    const res = await handle(worker({ task: "refresh_tokens" }, { authorization: `Bearer ${anon}`, apikey: anon }));
    assert.equal(res.status, 401);
  }));

Deno.test("jobber-worker answers 400 naming task for an unknown task", () =>
  withoutDb(async (handle) => {
    const res = await handle(worker({ task: "mine_bitcoin" }, { authorization: `Bearer ${TEST_SERVICE_ROLE_KEY}` }));
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error.code, "invalid_request");
    assert.match(body.error.message, /task/);
  }));

Deno.test("jobber-worker answers 400 naming the field a task does not take", () =>
  withoutDb(async (handle) => {
    const res = await handle(worker({ task: "refresh_tokens", run_ids: [crypto.randomUUID()] }, {
      authorization: `Bearer ${TEST_SERVICE_ROLE_KEY}`,
    }));
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error.code, "invalid_request");
    assert.match(body.error.message, /Unknown field "run_ids"/);
  }));

Deno.test("jobber-worker answers 400 when continue_syncs is handed run ids that are not UUIDs", () =>
  withoutDb(async (handle) => {
    const res = await handle(worker({ task: "continue_syncs", run_ids: ["run-1"] }, {
      authorization: `Bearer ${TEST_SERVICE_ROLE_KEY}`,
    }));
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error.code, "invalid_request");
    assert.match(body.error.message, /run_ids\[0\] must be a UUID/);
  }));

Deno.test("jobber-worker answers 400 when reconcile is handed a business_id that is not a UUID", () =>
  withoutDb(async (handle) => {
    const res = await handle(worker({ task: "reconcile", business_id: "business-1" }, {
      authorization: `Bearer ${TEST_SERVICE_ROLE_KEY}`,
    }));
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.message, "The business id (business_id) must be a UUID");
  }));

Deno.test("jobber-worker answers 400 naming the field process_webhooks does not take", () =>
  withoutDb(async (handle) => {
    const res = await handle(worker({ task: "process_webhooks", event_ids: [1] }, {
      authorization: `Bearer ${TEST_SERVICE_ROLE_KEY}`,
    }));
    assert.equal(res.status, 400);
    assert.match((await res.json()).error.message, /Unknown field "event_ids"/);
  }));

Deno.test("jobber-worker accepts pg_cron's `time` beside any task", async () => {
  // The body is valid, so the worker goes on to run the task and meets a database that is not
  // there (port 9: nothing listens); what matters is that `time` was not refused as a field.
  const rt = runtime(testEnv({ SUPABASE_DB_URL: "postgresql://postgres:postgres@127.0.0.1:9/postgres" }), noJobber());
  await withRuntime(rt, async (rt) => {
    const res = await createHandler(rt)(worker({ task: "refresh_tokens", time: "2025-10-12T03:00:00Z" }, {
      authorization: `Bearer ${TEST_SERVICE_ROLE_KEY}`,
    }));
    assert.equal(res.status, 500);
    assert.equal((await res.json()).error.code, "internal_error");
  });
});

const refreshTokenOf = (c: RecordedCall) => new URLSearchParams(c.body).get("refresh_token");

// The tests take the harness itself as their context; they also need the service key.
const dbTest = dbTestFactory((harness) => harness, { ignore: NO_DB || lacksEnv("SUPABASE_SERVICE_ROLE_KEY") });

dbTest(
  "jobber-worker refresh_tokens renews tokens expiring within 15 minutes, leaves the others, drops unclaimed installs",
  async ({ admin, created, track, business }) => {
    const newExp = new Date(Math.floor(Date.now() / 1000) * 1000 + 3600_000);
    const newAccess = await jobberAccessToken(newExp);
    const stub = stubFetch((call) =>
      call.url.endsWith("/api/oauth/token")
        ? jsonReply(200, { access_token: newAccess, refresh_token: `rotated-${refreshTokenOf(call)}` })
        : appDisconnected()
    );
    const rt = track(runtime(env, stub));
    const due = await business("owner");
    const later = await business("owner");
    const accountId = `acct-${crypto.randomUUID()}`;
    created.accountIds.push(accountId);

    const dueRefresh = `due-${randomToken(16)}`;
    const laterRefresh = `later-${randomToken(16)}`;
    const laterExpiry = new Date(Math.floor(Date.now() / 1000) * 1000 + 20 * 60_000);
    await insertConnection(admin, due.businessId, {
      accessToken: "due-access",
      refreshToken: dueRefresh,
      expiresAt: new Date(Date.now() + 10 * 60_000),
    });
    await insertConnection(admin, later.businessId, {
      accessToken: "later-access",
      refreshToken: laterRefresh,
      expiresAt: laterExpiry,
    });
    const pendingAccess = `pending-access-${randomToken(16)}`;
    await admin`select private.jobber_hold_pending_install(${accountId}, 'Nobody Claimed', ${pendingAccess}, 'pending-refresh',
                  ${new Date(Date.now() + 3600_000)}, ${await sha256Hex(randomToken(32))}, 1800)`;
    const [pending] = await admin<{ a: string; r: string }[]>`
      update private.jobber_pending_installs set expires_at = now() - interval '1 minute', created_at = now() - interval '31 minutes'
      where account_id = ${accountId} returning access_token_secret_id as a, refresh_token_secret_id as r`;

    const res = await createHandler(rt)(
      worker({ task: "refresh_tokens" }, { authorization: `Bearer ${env.SUPABASE_SERVICE_ROLE_KEY}` }),
    );
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.task, "refresh_tokens");
    assert.ok(body.refreshed >= 1);
    assert.ok(body.unclaimed_installs_dropped >= 1);

    // The due connection was refreshed exactly once; the one expiring in 20 minutes was not touched.
    assert.equal(tokenCalls(stub).filter((c) => refreshTokenOf(c) === dueRefresh).length, 1);
    assert.equal(tokenCalls(stub).filter((c) => refreshTokenOf(c) === laterRefresh).length, 0);
    assert.deepEqual(await storedTokens(admin, due.businessId), { access_token: newAccess, refresh_token: `rotated-${dueRefresh}` });
    assert.deepEqual(await storedTokens(admin, later.businessId), { access_token: "later-access", refresh_token: laterRefresh });
    const rows = await admin<{ business_id: string; token_expires_at: Date }[]>`
      select business_id, token_expires_at from public.integrations_jobber where business_id in (${due.businessId}, ${later.businessId})`;
    const expiry = Object.fromEntries(rows.map((r) => [r.business_id, r.token_expires_at.toISOString()]));
    assert.equal(expiry[due.businessId], newExp.toISOString());
    assert.equal(expiry[later.businessId], laterExpiry.toISOString());

    // The unclaimed install was disconnected at Jobber with its own token, then forgotten.
    const disconnects = stub.calls.filter((c) => c.url === `${JOBBER}/api/graphql` && /appDisconnect/.test(c.body));
    assert.equal(disconnects.filter((c) => c.headers.get("authorization") === `Bearer ${pendingAccess}`).length, 1);
    const [left] = await admin`select count(*)::int as n from private.jobber_pending_installs where account_id = ${accountId}`;
    assert.equal(left!.n, 0);
    assert.equal(await vaultSecretCount(admin, [pending!.a, pending!.r]), 0);
  },
);

dbTest(
  "jobber-worker refresh_tokens keeps a claimable install that is still within its 30 minutes",
  async ({ admin, created, track }) => {
    const stub = stubFetch(() => jsonReply(500, {}));
    const rt = track(runtime(env, stub));
    const accountId = `acct-${crypto.randomUUID()}`;
    created.accountIds.push(accountId);
    await admin`select private.jobber_hold_pending_install(${accountId}, 'Still Claimable', 'a', 'r',
                  ${new Date(Date.now() + 3600_000)}, ${await sha256Hex(randomToken(32))}, 1800)`;
    const res = await createHandler(rt)(
      worker({ task: "refresh_tokens" }, { apikey: env.SUPABASE_SERVICE_ROLE_KEY! }),
    );
    assert.equal(res.status, 200);
    const [left] = await admin`select count(*)::int as n from private.jobber_pending_installs where account_id = ${accountId}`;
    assert.equal(left!.n, 1);
    assert.equal(stub.calls.filter((c) => c.headers.get("authorization") === "Bearer a").length, 0);
  },
);

dbTest(
  "jobber-worker refresh_tokens never disconnects an unclaimed install's account that a business has connected",
  async ({ admin, created, track, business }) => {
    const stub = stubFetch(() => appDisconnected());
    const rt = track(runtime(env, stub));
    const owner = await business("owner");
    const accountId = `acct-${crypto.randomUUID()}`;
    created.accountIds.push(accountId);
    // The owner installed from the Marketplace, then connected the same account from Blipp before
    // claiming: the held install expires while the account's connection is live.
    const heldAccess = `held-access-${randomToken(16)}`;
    await admin`select private.jobber_hold_pending_install(${accountId}, 'Live Account', ${heldAccess}, 'held-refresh',
                  ${new Date(Date.now() + 3600_000)}, ${await sha256Hex(randomToken(32))}, 1800)`;
    const [pending] = await admin<{ a: string; r: string }[]>`
      update private.jobber_pending_installs set expires_at = now() - interval '1 minute'
      where account_id = ${accountId} returning access_token_secret_id as a, refresh_token_secret_id as r`;
    await insertConnection(admin, owner.businessId, {
      accountId,
      accessToken: "live-access",
      refreshToken: "live-refresh",
      expiresAt: new Date(Date.now() + 3 * 3600_000),
    });

    const res = await createHandler(rt)(worker({ task: "refresh_tokens" }, { apikey: env.SUPABASE_SERVICE_ROLE_KEY! }));
    assert.equal(res.status, 200);
    assert.ok((await res.json()).unclaimed_installs_dropped >= 1);

    const disconnects = stub.calls.filter((c) => /appDisconnect/.test(c.body));
    assert.equal(disconnects.filter((c) => c.headers.get("authorization") === `Bearer ${heldAccess}`).length, 0);
    assert.equal(disconnects.filter((c) => c.headers.get("authorization") === "Bearer live-access").length, 0);
    const [left] = await admin`select count(*)::int as n from private.jobber_pending_installs where account_id = ${accountId}`;
    assert.equal(left!.n, 0);
    assert.equal(await vaultSecretCount(admin, [pending!.a, pending!.r]), 0);
    assert.deepEqual(await storedTokens(admin, owner.businessId), { access_token: "live-access", refresh_token: "live-refresh" });
    const [row] = await admin`select connection_status from public.integrations_jobber where business_id = ${owner.businessId}`;
    assert.equal(row!.connection_status, "connected");
  },
);

dbTest(
  "jobber-worker refresh_tokens purges the codes of connect tickets nobody redeemed in time",
  async ({ admin, track, business }) => {
    const rt = track(runtime(env, stubFetch(() => jsonReply(500, {}))));
    const t = await business("owner");
    const state = randomToken(32);
    await admin`select private.jobber_begin_connect(${t.user.id}, ${t.businessId}, ${await sha256Hex(state)}, 600)`;
    const code = `code-${randomToken(16)}`;
    await admin`select * from private.jobber_hold_authorization_code(${await sha256Hex(state)}, ${code},
                  ${await sha256Hex(randomToken(32))}, 600)`;
    await admin`update private.jobber_connect_tickets set expires_at = now() - interval '1 second' where business_id = ${t.businessId}`;
    const inVault = async () =>
      (await admin<{ n: number }[]>`select count(*)::int as n from vault.decrypted_secrets where decrypted_secret = ${code}`)[0]!.n;
    assert.equal(await inVault(), 1);

    const res = await createHandler(rt)(worker({ task: "refresh_tokens" }, { apikey: env.SUPABASE_SERVICE_ROLE_KEY! }));
    assert.equal(res.status, 200);
    assert.ok((await res.json()).connect_codes_purged >= 1);
    assert.equal(await inVault(), 0);
  },
);
