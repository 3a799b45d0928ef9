// The inbox's batching, against a stand-in for the database driver: an idle inbox sends an event at
// once; events arriving while a call is in flight go together in the next call (capped); each
// delivery learns its own outcome; a failed call fails exactly the deliveries it carried, and a
// database that cannot be reached is the 503 Jobber retries.
import assert from "node:assert/strict";
import type { Sql } from "../db.ts";
import { AppError } from "../errors.ts";
import { createWebhookInbox } from "./webhook_inbox.ts";
import type { WebhookEvent } from "./webhook.ts";

interface SentEvent {
  account_id: string;
  topic: string;
  item_id: string;
  occurred_at: string;
  app_id: string;
}
type Row = { ord: number; duplicate: boolean; state: string | null };

/** A driver whose receive call is answered by `answer`; every other statement (the session's set_config) by []. */
function fakeDb(answer: (events: SentEvent[]) => Promise<Row[]>) {
  const calls: SentEvent[][] = [];
  const tx = Object.assign(
    (strings: TemplateStringsArray, ...values: unknown[]) => {
      if (!strings.join("?").includes("private.jobber_receive_webhooks")) return Promise.resolve([]);
      const events = values[0] as SentEvent[];
      calls.push(events);
      return answer(events);
    },
    { json: (value: unknown) => value },
  );
  const sql = { begin: (fn: (t: typeof tx) => Promise<unknown>) => fn(tx) } as unknown as Sql;
  return { sql, calls };
}

const allNew = (events: SentEvent[]) =>
  Promise.resolve(events.map((e, i) => ({ ord: i + 1, duplicate: e.item_id.endsWith("-dup"), state: "pending" })));

function event(itemId: string): WebhookEvent {
  return { topic: "JOB_CLOSED", appId: "app", accountId: "acct", itemId, occurredAt: new Date("2025-10-12T09:27:49Z") };
}

function deferred() {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

Deno.test("an idle inbox records an event at once, in one call of its own", async () => {
  const db = fakeDb(allNew);
  const inbox = createWebhookInbox(db.sql);
  assert.deepEqual(await inbox.record(event("j1")), { duplicate: false, state: "pending" });
  assert.deepEqual(db.calls, [[{ account_id: "acct", topic: "JOB_CLOSED", item_id: "j1", occurred_at: "2025-10-12T09:27:49.000Z", app_id: "app" }]]);
});

Deno.test("events that arrive while a call is in flight go together in the next call, each with its own outcome", async () => {
  const gate = deferred();
  let first = true;
  const db = fakeDb(async (events) => {
    if (first) {
      first = false;
      await gate.promise;
    }
    return allNew(events);
  });
  const inbox = createWebhookInbox(db.sql);
  const a = inbox.record(event("a"));
  const rest = ["b", "c-dup", "d", "e"].map((id) => inbox.record(event(id)));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(db.calls.length, 1, "nothing more is sent while the first call is in flight");
  gate.release();
  assert.deepEqual(await a, { duplicate: false, state: "pending" });
  assert.deepEqual(await Promise.all(rest), [
    { duplicate: false, state: "pending" },
    { duplicate: true, state: "pending" },
    { duplicate: false, state: "pending" },
    { duplicate: false, state: "pending" },
  ]);
  assert.deepEqual(db.calls.map((c) => c.map((e) => e.item_id)), [["a"], ["b", "c-dup", "d", "e"]]);
});

Deno.test("a call carries at most maxBatch events", async () => {
  const gate = deferred();
  let first = true;
  const db = fakeDb(async (events) => {
    if (first) {
      first = false;
      await gate.promise;
    }
    return allNew(events);
  });
  const inbox = createWebhookInbox(db.sql, { maxBatch: 3 });
  const all = Array.from({ length: 8 }, (_, i) => inbox.record(event(`e${i}`)));
  gate.release();
  await Promise.all(all);
  assert.deepEqual(db.calls.map((c) => c.length), [1, 3, 3, 1]);
});

Deno.test("a failed call fails exactly the deliveries it carried; the next call goes through", async () => {
  let calls = 0;
  const db = fakeDb((events) => (++calls === 1 ? Promise.reject(new Error("deadlock detected")) : allNew(events)));
  const inbox = createWebhookInbox(db.sql);
  const failed = inbox.record(event("x"));
  const later = inbox.record(event("y"));
  await assert.rejects(failed, /deadlock detected/);
  assert.deepEqual(await later, { duplicate: false, state: "pending" });
});

Deno.test("a database that cannot be reached is a 503 service_unavailable, which Jobber retries", async () => {
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:54322"), { code: "ECONNREFUSED" });
  const shuttingDown = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });
  for (const cause of [refused, shuttingDown]) {
    const inbox = createWebhookInbox(fakeDb(() => Promise.reject(cause)).sql);
    await assert.rejects(inbox.record(event("z")), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, "service_unavailable");
      assert.equal(err.status, 503);
      return true;
    });
  }
});

Deno.test("a call the database has not answered by the deadline is a 503, and the calls behind it go ahead", async () => {
  const never = deferred();
  let calls = 0;
  const db = fakeDb(async (events) => {
    if (++calls === 1) await never.promise; // a database restarting: the driver waits to reconnect
    return allNew(events);
  });
  const inbox = createWebhookInbox(db.sql, { deadlineMs: 50 });
  const stuck = inbox.record(event("stuck"));
  await assert.rejects(stuck, (err: unknown) => err instanceof AppError && err.code === "service_unavailable");
  assert.deepEqual(await inbox.record(event("next")), { duplicate: false, state: "pending" });
  never.release();
});
