// jobber-complete against the real database with Jobber stubbed (SPEC §12): only the user who
// started connecting, still owner or admin, turns a ticket into a connection; anyone else gets 403,
// the ticket is used up, and Jobber's token endpoint is never called for them.
import assert from "node:assert/strict";
import type postgres from "postgres";
import type { Runtime } from "../_shared/runtime.ts";
import { randomToken, sha256Hex } from "../_shared/crypto.ts";
import { hs256Jwt, jsonReply, testEnv } from "../_shared/testing.ts";
import {
  APP_ORIGIN,
  dbTestFactory,
  env,
  errorOf,
  fakeJobber,
  type FakeJobber,
  functionUrl,
  type Handle,
  JOBBER,
  jobberAccessToken,
  postJson,
  type Stub,
  stubbedRuntime,
  userJwt,
  withRuntime,
} from "../_shared/testing_db.ts";
import { addMember, createUser, insertConnection, type Role } from "../../../tests/support/jobber_fixtures.ts";
import { createHandler } from "./handler.ts";

const CALLBACK = functionUrl("jobber-callback");

const runtime = (base: Record<string, string | undefined>, fetchStub: Stub, logs: string[] = []): Runtime =>
  stubbedRuntime({ ...base, APP_ORIGIN, JOBBER_API_BASE: JOBBER, JOBBER_REDIRECT_URI: CALLBACK }, fetchStub, logs);

const complete = (body: unknown, token?: string) => postJson("jobber-complete", body, { token });


const happyJobber = (tokens: { access: string; refresh: string }, account: { id: string; name: string }) =>
  fakeJobber(
    () => jsonReply(200, { access_token: tokens.access, refresh_token: tokens.refresh }),
    () => jsonReply(200, { data: { account } }),
  );

const refusingJobber = () => fakeJobber(() => jsonReply(500, {}));

// ---- no database needed ---------------------------------------------------------------------------

const withoutDb = (fn: (handle: Handle, jobber: FakeJobber) => Promise<void>) => {
  const jobber = refusingJobber();
  return withRuntime(runtime(testEnv(), jobber.fetch), (rt) => fn(createHandler(rt), jobber));
};

Deno.test("jobber-complete answers 401 to a ticket presented without a session", () =>
  withoutDb(async (handle, jobber) => {
    const res = await handle(complete({ ticket: randomToken(32) }));
    assert.equal(res.status, 401);
    assert.equal((await errorOf(res)).code, "unauthenticated");
    assert.equal(jobber.fetch.calls.length, 0);
  }));

Deno.test("jobber-complete answers 400 in words when the ticket is malformed", () =>
  withoutDb(async (handle) => {
    const jwt = await hs256Jwt({ sub: crypto.randomUUID(), role: "authenticated" });
    const res = await handle(complete({ ticket: "not a ticket!" }, jwt));
    assert.equal(res.status, 400);
    assert.deepEqual(await errorOf(res), {
      code: "invalid_request",
      message: "The connection ticket (ticket) is not valid: start connecting Jobber again from Blipp.",
    });
    const missing = await errorOf(await handle(complete({}, jwt)));
    assert.equal(missing.message, "The connection ticket (ticket) is required");
  }));

Deno.test("jobber-complete answers CORS for the dashboard only", () =>
  withoutDb(async (handle) => {
    const res = await handle(new Request(functionUrl("jobber-complete"), { method: "OPTIONS" }));
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), APP_ORIGIN);
  }));

// ---- against the database -------------------------------------------------------------------------

interface Pending {
  businessId: string;
  userId: string;
  jwt: string;
  ticket: string;
  code: string;
}

interface Ctx {
  admin: postgres.Sql;
  logs: string[];
  created: { businessIds: string[]; userIds: string[]; accountIds: string[] };
  handle: (jobber: FakeJobber) => Handle;
  /** Someone (`role`, owner by default) clicked Connect and Jobber came back: the ticket waits. */
  confirmed: (role?: "owner" | "admin") => Promise<Pending>;
  /** Another user in `businessId` with `role`, signed in. */
  colleague: (businessId: string, role: Role) => Promise<{ userId: string; jwt: string }>;
  tenant: (role?: Role) => Promise<{ businessId: string; userId: string; jwt: string }>;
}

const dbTest = dbTestFactory(({ admin, created, track, tenant }): Ctx => {
  const logs: string[] = [];
  return {
    admin,
    logs,
    created,
    handle: (jobber) => createHandler(track(runtime(env, jobber.fetch, logs))),
    tenant,
    confirmed: async (role = "owner") => {
      const t = await tenant(role);
      const state = randomToken(32);
      const ticket = randomToken(32);
      const code = `code-${randomToken(16)}`;
      await admin`select private.jobber_begin_connect(${t.userId}, ${t.businessId}, ${await sha256Hex(state)}, 600)`;
      const [held] = await admin`select outcome from private.jobber_hold_authorization_code(${await sha256Hex(state)},
                                   ${code}, ${await sha256Hex(ticket)}, 600)`;
      assert.equal(held!.outcome, "ok");
      return { ...t, ticket, code };
    },
    colleague: async (businessId, role) => {
      const user = await createUser(admin, role);
      created.userIds.push(user.id);
      await addMember(admin, businessId, user.id, role);
      return { userId: user.id, jwt: await userJwt(user.id) };
    },
  };
});

async function nothingConnected(admin: postgres.Sql, businessId: string) {
  const [row] = await admin<{ rows: number; secrets: number; runs: number }[]>`
    select (select count(*)::int from public.integrations_jobber where business_id = ${businessId}) as rows,
           (select count(*)::int from vault.secrets where name like ${`jobber/${businessId}/%`}) as secrets,
           (select count(*)::int from public.jobber_sync_runs where business_id = ${businessId}) as runs`;
  assert.deepEqual(row, { rows: 0, secrets: 0, runs: 0 });
}

async function codeInVault(admin: postgres.Sql, code: string): Promise<boolean> {
  const [row] = await admin<{ n: number }[]>`select count(*)::int as n from vault.decrypted_secrets where decrypted_secret = ${code}`;
  return row!.n > 0;
}

dbTest("jobber-complete connects the business for the user who started: one exchange, tokens in Vault, full sync queued", async (ctx) => {
  const pending = await ctx.confirmed("admin");
  const exp = new Date(Math.floor(Date.now() / 1000) * 1000 + 3600_000);
  const access = await jobberAccessToken(exp, { account_id: "acct" });
  const refresh = `refresh-${randomToken(16)}`;
  const accountId = `acct-${crypto.randomUUID()}`;
  const jobber = happyJobber({ access, refresh }, { id: accountId, name: "Sparkle & Sons" });

  const res = await ctx.handle(jobber)(complete({ ticket: pending.ticket }, pending.jwt));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("access-control-allow-origin"), APP_ORIGIN);
  assert.deepEqual(await res.json(), { result: "connected", account_name: "Sparkle & Sons", business_id: pending.businessId });

  assert.equal(jobber.tokenCalls().length, 1);
  const form = new URLSearchParams(jobber.tokenCalls()[0]!.body);
  assert.equal(form.get("grant_type"), "authorization_code");
  assert.equal(form.get("code"), pending.code);
  assert.equal(form.get("redirect_uri"), CALLBACK);
  assert.equal(jobber.graphqlCalls().length, 1);
  assert.equal(jobber.graphqlCalls()[0]!.headers.get("authorization"), `Bearer ${access}`);

  const [row] = await ctx.admin`select * from public.integrations_jobber where business_id = ${pending.businessId}`;
  assert.equal(row!.connection_status, "connected");
  assert.equal(row!.account_id, accountId);
  assert.equal(row!.account_name, "Sparkle & Sons");
  assert.equal((row!.token_expires_at as Date).toISOString(), exp.toISOString());
  const secrets = await ctx.admin<{ id: string; decrypted_secret: string }[]>`
    select id, decrypted_secret from vault.decrypted_secrets
    where id in (${row!.access_token_secret_id}, ${row!.refresh_token_secret_id})`;
  const byId = Object.fromEntries(secrets.map((s) => [s.id, s.decrypted_secret]));
  assert.equal(byId[row!.access_token_secret_id], access);
  assert.equal(byId[row!.refresh_token_secret_id], refresh);

  const runs = await ctx.admin`select kind, trigger, requested_by from public.jobber_sync_runs where business_id = ${pending.businessId}`;
  assert.deepEqual(runs.map((r) => ({ ...r })), [{ kind: "full", trigger: "connect", requested_by: pending.userId }]);

  // The ticket is spent and the code is gone from Vault.
  assert.equal(await codeInVault(ctx.admin, pending.code), false);
  const replay = await ctx.handle(jobber)(complete({ ticket: pending.ticket }, pending.jwt));
  assert.equal(replay.status, 404);
  assert.equal((await errorOf(replay)).code, "not_found");
  assert.equal(jobber.tokenCalls().length, 1, "a replayed ticket reached Jobber's token endpoint");

  const log = ctx.logs.join("\n");
  for (const secret of [access, refresh, pending.code, pending.ticket]) assert.ok(!log.includes(secret), "a secret reached the log");
});

dbTest("jobber-complete refuses another owner of the same business (not_initiator) and uses the ticket up", async (ctx) => {
  const pending = await ctx.confirmed("owner");
  const coOwner = await ctx.colleague(pending.businessId, "owner");
  const jobber = refusingJobber();
  const res = await ctx.handle(jobber)(complete({ ticket: pending.ticket }, coOwner.jwt));
  assert.equal(res.status, 403);
  assert.deepEqual(await errorOf(res), {
    code: "not_initiator",
    message: "Only the person who started connecting Jobber can finish it. Start again from Blipp.",
  });
  assert.equal(jobber.fetch.calls.length, 0);
  assert.equal(await codeInVault(ctx.admin, pending.code), false);
  // A ticket that travelled is dead for everyone, the initiator included.
  const late = await ctx.handle(jobber)(complete({ ticket: pending.ticket }, pending.jwt));
  assert.equal((await errorOf(late)).code, "not_found");
  assert.equal(jobber.fetch.calls.length, 0);
  await nothingConnected(ctx.admin, pending.businessId);
});

dbTest("jobber-complete answers not_a_member to someone outside the business, and connects nothing", async (ctx) => {
  const pending = await ctx.confirmed();
  const outsider = await ctx.tenant("owner");
  const jobber = refusingJobber();
  const res = await ctx.handle(jobber)(complete({ ticket: pending.ticket }, outsider.jwt));
  assert.equal(res.status, 403);
  assert.equal((await errorOf(res)).code, "not_a_member");
  assert.equal(jobber.fetch.calls.length, 0);
  await nothingConnected(ctx.admin, pending.businessId);
  await nothingConnected(ctx.admin, outsider.businessId);
});

dbTest("jobber-complete refuses the initiator once demoted to member (forbidden_role), exchanging nothing", async (ctx) => {
  const pending = await ctx.confirmed("admin");
  await ctx.admin`update public.business_members set role = 'member'
                  where business_id = ${pending.businessId} and user_id = ${pending.userId}`;
  const jobber = refusingJobber();
  const res = await ctx.handle(jobber)(complete({ ticket: pending.ticket }, pending.jwt));
  assert.equal(res.status, 403);
  assert.equal((await errorOf(res)).code, "forbidden_role");
  assert.equal(jobber.fetch.calls.length, 0);
  await nothingConnected(ctx.admin, pending.businessId);
});

dbTest("jobber-complete answers not_found for a forged or expired ticket", async (ctx) => {
  const pending = await ctx.confirmed();
  const jobber = refusingJobber();
  const forged = await ctx.handle(jobber)(complete({ ticket: randomToken(32) }, pending.jwt));
  assert.equal(forged.status, 404);
  assert.equal((await errorOf(forged)).code, "not_found");

  await ctx.admin`update private.jobber_connect_tickets set expires_at = now() - interval '1 second'
                  where business_id = ${pending.businessId}`;
  const expired = await ctx.handle(jobber)(complete({ ticket: pending.ticket }, pending.jwt));
  assert.equal(expired.status, 404);
  assert.equal(jobber.fetch.calls.length, 0);
  await nothingConnected(ctx.admin, pending.businessId);
});

dbTest("jobber-complete keeps a ticket that was presented without a session for its initiator", async (ctx) => {
  const pending = await ctx.confirmed();
  const account = { id: `acct-${crypto.randomUUID()}`, name: "Patient Co" };
  const jobber = happyJobber({ access: await jobberAccessToken(new Date(Date.now() + 3600_000)), refresh: "r" }, account);
  const handle = ctx.handle(jobber);
  assert.equal((await handle(complete({ ticket: pending.ticket }))).status, 401);
  const res = await handle(complete({ ticket: pending.ticket }, pending.jwt));
  assert.equal(res.status, 200);
  assert.equal((await res.json()).account_name, "Patient Co");
});

dbTest("jobber-complete reports a refused code exchange as jobber_error and stores nothing", async (ctx) => {
  const pending = await ctx.confirmed();
  const jobber = fakeJobber(() => jsonReply(400, { error: "invalid_grant", error_description: "The grant is invalid." }));
  const res = await ctx.handle(jobber)(complete({ ticket: pending.ticket }, pending.jwt));
  assert.equal(res.status, 502);
  const error = await errorOf(res);
  assert.equal(error.code, "jobber_error");
  assert.match(error.message, /refused the authorization code/);
  assert.equal(jobber.tokenCalls().length, 1);
  assert.equal(jobber.graphqlCalls().length, 0);
  await nothingConnected(ctx.admin, pending.businessId);
});

dbTest("jobber-complete reports Jobber answering 503, or not answering, as jobber_unavailable and stores nothing", async (ctx) => {
  const down = await ctx.confirmed();
  const res = await ctx.handle(fakeJobber(() => jsonReply(503, { error: "server_error" })))(complete({ ticket: down.ticket }, down.jwt));
  assert.equal(res.status, 503);
  assert.equal((await errorOf(res)).code, "jobber_unavailable");
  await nothingConnected(ctx.admin, down.businessId);

  const gone = await ctx.confirmed();
  const unreachable = fakeJobber(() => Promise.reject(new TypeError("error sending request: connection reset")));
  const res2 = await ctx.handle(unreachable)(complete({ ticket: gone.ticket }, gone.jwt));
  assert.equal((await errorOf(res2)).code, "jobber_unavailable");
  await nothingConnected(ctx.admin, gone.businessId);
});

dbTest("jobber-complete refuses a Jobber account connected to another business (account_in_use)", async (ctx) => {
  const other = await ctx.tenant("owner");
  const { accountId } = await insertConnection(ctx.admin, other.businessId, {
    accessToken: "other-a",
    refreshToken: "other-r",
    expiresAt: new Date(Date.now() + 3600_000),
  });
  const pending = await ctx.confirmed();
  const jobber = happyJobber({ access: await jobberAccessToken(new Date(Date.now() + 3600_000)), refresh: "mine" }, {
    id: accountId,
    name: "Taken",
  });
  const res = await ctx.handle(jobber)(complete({ ticket: pending.ticket }, pending.jwt));
  assert.equal(res.status, 409);
  assert.equal((await errorOf(res)).code, "account_in_use");
  await nothingConnected(ctx.admin, pending.businessId);
  const [kept] = await ctx.admin`select account_id from public.integrations_jobber where business_id = ${other.businessId}`;
  assert.equal(kept!.account_id, accountId);
});
