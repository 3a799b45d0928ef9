// jobber-replay against the real database: an owner or admin re-queues the business's failed Jobber
// updates (202 {requeued}), a member is refused forbidden_role and an outsider not_a_member, a
// business that is not connected has nothing to replay into, and nothing touches another
// business's updates. Jobber is never called.
import assert from "node:assert/strict";
import type postgres from "postgres";
import { APP_ORIGIN, dbTestFactory, env, errorOf, JOBBER, noJobber, postJson, stubbedRuntime, userJwt } from "../_shared/testing_db.ts";
import { addMember, createUser, insertConnection, type Role } from "../../../tests/support/jobber_fixtures.ts";
import { createHandler } from "./handler.ts";

interface Ctx {
  admin: postgres.Sql;
  created: { userIds: string[] };
  handle: (req: Request) => Promise<Response>;
  /** A connected business with two failed updates and one pending, and a caller in `role`. */
  business: (role?: Role) => Promise<{ businessId: string; jwt: string; accountId: string }>;
}

const dbTest = dbTestFactory(({ admin, track, tenant, created }): Ctx => ({
  admin,
  created,
  handle: createHandler(track(stubbedRuntime({ ...env, APP_ORIGIN, JOBBER_API_BASE: JOBBER }, noJobber("jobber-replay")))),
  business: async (role = "owner") => {
    const t = await tenant(role);
    const { accountId } = await insertConnection(admin, t.businessId, { accessToken: "a", refreshToken: "r", expiresAt: new Date(Date.now() + 3600_000) });
    await admin`
      insert into private.jobber_webhook_events (account_id, topic, item_id, occurred_at, business_id, state, attempts, last_error)
      values (${accountId}, 'JOB_CLOSED', 'job-1', now(), ${t.businessId}, 'failed', 8, 'Jobber could not be reached.'),
             (${accountId}, 'JOB_UPDATE', 'job-1', now(), ${t.businessId}, 'failed', 8, 'Jobber could not be reached.'),
             (${accountId}, 'VISIT_COMPLETE', 'visit-1', now(), ${t.businessId}, 'pending', 0, null)`;
    return { businessId: t.businessId, jwt: t.jwt, accountId };
  },
}));

const replay = (businessId: string, jwt?: string) => postJson("jobber-replay", { business_id: businessId }, { token: jwt });

async function states(admin: postgres.Sql, businessId: string) {
  return (await admin<{ state: string; attempts: number }[]>`
    select state, attempts from private.jobber_webhook_events where business_id = ${businessId} order by id`).map((r) => [r.state, r.attempts]);
}

/** The stack's worker is not woken for these made-up updates (its wake is marked in flight meanwhile). */
async function withoutWorker(admin: postgres.Sql, fn: () => Promise<void>) {
  await admin`update private.worker_tasks set wake_pending_since = now() + interval '1 hour' where task = 'process_webhooks'`;
  try {
    await fn();
  } finally {
    await admin`update private.worker_tasks set wake_pending_since = null where task = 'process_webhooks'`;
  }
}

dbTest("an owner re-queues the failed updates: 202 {requeued: 2}, due now with fresh attempts", ({ admin, handle, business }) =>
  withoutWorker(admin, async () => {
    const { businessId, jwt } = await business("owner");
    const res = await handle(replay(businessId, jwt));
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { requeued: 2 });
    assert.deepEqual(await states(admin, businessId), [["pending", 0], ["pending", 0], ["pending", 0]]);
    const again = await handle(replay(businessId, jwt));
    assert.deepEqual(await again.json(), { requeued: 0 }, "nothing is left to replay");
  }));

dbTest("an admin may replay too", ({ admin, handle, business }) =>
  withoutWorker(admin, async () => {
    const { businessId, jwt } = await business("admin");
    assert.deepEqual(await (await handle(replay(businessId, jwt))).json(), { requeued: 2 });
  }));

dbTest("a plain member is refused with 403 forbidden_role and nothing moves", async ({ admin, handle, business }) => {
  const { businessId, jwt } = await business("member");
  const res = await handle(replay(businessId, jwt));
  assert.equal(res.status, 403);
  assert.equal((await errorOf(res)).code, "forbidden_role");
  assert.deepEqual(await states(admin, businessId), [["failed", 8], ["failed", 8], ["pending", 0]]);
});

dbTest("an outsider is refused with 403 not_a_member, as for a business that does not exist", async ({ admin, handle, business, created }) => {
  const { businessId } = await business("owner");
  const outsider = await createUser(admin, "outsider");
  created.userIds.push(outsider.id);
  const jwt = await userJwt(outsider.id);
  for (const id of [businessId, crypto.randomUUID()]) {
    const res = await handle(replay(id, jwt));
    assert.equal(res.status, 403);
    assert.equal((await errorOf(res)).code, "not_a_member");
  }
  assert.deepEqual(await states(admin, businessId), [["failed", 8], ["failed", 8], ["pending", 0]]);
});

dbTest("a business that is not connected answers 422 not_connected", async ({ admin, handle, business }) => {
  const { businessId, jwt } = await business("owner");
  await admin`update public.integrations_jobber set connection_status = 'error', needs_reconnect = true where business_id = ${businessId}`;
  const res = await handle(replay(businessId, jwt));
  assert.equal(res.status, 422);
  assert.equal((await errorOf(res)).code, "not_connected");
});

dbTest("replaying one business leaves another's failed updates alone", ({ admin, handle, business }) =>
  withoutWorker(admin, async () => {
    const mine = await business("owner");
    const theirs = await business("owner");
    assert.deepEqual(await (await handle(replay(mine.businessId, mine.jwt))).json(), { requeued: 2 });
    assert.deepEqual(await states(admin, theirs.businessId), [["failed", 8], ["failed", 8], ["pending", 0]]);
  }));

dbTest("answers 401 without a signed-in user, and 400 naming business_id for a bad body", async ({ handle, business }) => {
  const { businessId, jwt } = await business("owner");
  const anonymous = await handle(replay(businessId));
  assert.equal(anonymous.status, 401);
  assert.equal((await errorOf(anonymous)).code, "unauthenticated");
  const bad = await handle(postJson("jobber-replay", { business_id: "nope" }, { token: jwt }));
  assert.equal(bad.status, 400);
  assert.match((await errorOf(bad)).message, /business_id/);
  const extra = await handle(postJson("jobber-replay", { business_id: businessId, all: true }, { token: jwt }));
  assert.equal(extra.status, 400);
});

// A member added to a second business keeps their role per business.
dbTest("a member of one business who owns another can replay only the one they own", ({ admin, handle, business }) =>
  withoutWorker(admin, async () => {
    const owned = await business("owner");
    const other = await business("owner");
    const [owner] = await admin<{ user_id: string }[]>`select user_id from public.business_members where business_id = ${owned.businessId}`;
    await addMember(admin, other.businessId, owner!.user_id, "member");
    assert.equal((await handle(replay(other.businessId, owned.jwt))).status, 403);
    assert.equal((await handle(replay(owned.businessId, owned.jwt))).status, 202);
  }));
