// Webhooks for jobs and visits, and the delivery faults integration tests switch on through
// PUT /_sandbox/faults: drop, duplicate, slow receiver, reorder, old spelling.
import assert from "node:assert/strict";
import type { RunningSandbox } from "./server.ts";
import { connect, control, receiver, type Tokens, waitFor, withSandbox } from "./test_helpers.ts";
import { signBody } from "./webhooks.ts";

interface Hook {
  topic: string;
  itemId: string;
  accountId: string;
  occurredAt?: string;
  occuredAt?: string;
}

type Receiver = ReturnType<typeof receiver>;

const hooks = (r: Receiver, from = 0): Hook[] =>
  r.received.slice(from).map((x) => JSON.parse(x.body).data.webHookEvent as Hook);

/** What arrived since `from`, as sorted "TOPIC item" strings (deliveries run concurrently). */
const arrived = (r: Receiver, from: number) => hooks(r, from).map((h) => `${h.topic} ${h.itemId}`).sort();

async function newJob(s: RunningSandbox, t: Tokens, visits = 1, { settle = true } = {}) {
  const clients = await control(s, "GET", `/accounts/${t.accountId}/clients?first=1`);
  const res = await control(s, "POST", `/accounts/${t.accountId}/jobs`, {
    clientId: clients.body.clients[0].id,
    title: "Hooked",
    visits,
  });
  // JOB_CREATE is still on its way; tests count the deliveries that follow, so let it land first.
  if (settle) await s.sandbox.webhooks.idle();
  return res.body as { id: string; visits: Array<{ id: string }> };
}

async function withHook(
  respond: Parameters<typeof receiver>[0],
  fn: (s: RunningSandbox, t: Tokens, hook: Receiver) => Promise<void>,
): Promise<void> {
  const hook = receiver(respond);
  try {
    await withSandbox({ webhookUrl: hook.url }, async (s) => {
      const t = await connect(s);
      await fn(s, t, hook);
    });
  } finally {
    await hook.close();
  }
}

Deno.test("each job and visit action fires Jobber's topics with the right itemIds, signed", async () => {
  await withHook(undefined, async (s, t, hook) => {
    const step = async (action: () => Promise<unknown>, expected: string[]) => {
      const from = hook.received.length;
      await action();
      await s.sandbox.webhooks.idle();
      assert.deepEqual(arrived(hook, from), expected.sort());
    };
    const job = await newJob(s, t, 3);
    await s.sandbox.webhooks.idle();
    assert.deepEqual(arrived(hook, 0), [`JOB_CREATE ${job.id}`]);
    const [v1, v2, v3] = job.visits.map((v) => v.id);
    await step(() => control(s, "POST", `/visits/${v1}/complete`), [
      `VISIT_COMPLETE ${v1}`,
      `JOB_UPDATE ${job.id}`,
    ]);
    await step(
      () => control(s, "POST", `/jobs/${job.id}/complete`),
      [`VISIT_COMPLETE ${v2}`, `VISIT_COMPLETE ${v3}`, `JOB_UPDATE ${job.id}`],
    );
    await step(() => control(s, "POST", `/jobs/${job.id}/close`), [
      `JOB_CLOSED ${job.id}`,
      `JOB_UPDATE ${job.id}`,
    ]);
    await step(() => control(s, "POST", `/jobs/${job.id}/reopen`), [`JOB_UPDATE ${job.id}`]);
    await step(() => control(s, "POST", `/jobs/${job.id}/reopen`), []); // 409: nothing happened
    await step(() => control(s, "DELETE", `/jobs/${job.id}`), [`JOB_DESTROY ${job.id}`]);
    for (const r of hook.received) {
      assert.equal(
        r.headers.get("x-jobber-hmac-sha256"),
        await signBody(r.body, "blipp-local-sandbox-secret"),
      );
    }
    assert.ok(hooks(hook).every((h) => h.accountId === t.accountId));
  });
});

Deno.test("a job's successive changes carry distinct occurredAt, so deduplicating receivers keep them all", async () => {
  await withHook(undefined, async (s, t, hook) => {
    const job = await newJob(s, t);
    await control(s, "POST", `/jobs/${job.id}/complete`);
    await control(s, "POST", `/jobs/${job.id}/close`);
    await control(s, "POST", `/jobs/${job.id}/reopen`);
    await control(s, "POST", `/jobs/${job.id}/close`);
    await s.sandbox.webhooks.idle();
    const updates = hooks(hook).filter((h) => h.topic === "JOB_UPDATE").map((h) => h.occurredAt!);
    assert.equal(updates.length, 4);
    assert.equal(new Set(updates).size, 4);
    const updatedAt = (await control(s, "GET", `/jobs/${job.id}`)).body.updatedAt;
    assert.equal(updates.sort().at(-1), updatedAt, "occurredAt is the job's updatedAt");
  });
});

Deno.test("drop can target one topic: VISIT_COMPLETE is lost while JOB_UPDATE still arrives", async () => {
  await withHook(undefined, async (s, t, hook) => {
    const job = await newJob(s, t, 2);
    await control(s, "PUT", "/faults", { webhooks: { drop: ["VISIT_COMPLETE"] } });
    const from = hook.received.length;
    await control(s, "POST", `/visits/${job.visits[0]!.id}/complete`);
    await s.sandbox.webhooks.idle();
    assert.deepEqual(arrived(hook, from), [`JOB_UPDATE ${job.id}`]);
    const events = (await control(s, "GET", "/events")).body.events;
    const dropped = events.find((e: { topic: string }) => e.topic === "VISIT_COMPLETE");
    assert.equal(dropped.state, "dropped");
    assert.equal(dropped.itemId, job.visits[0]!.id);
    assert.equal(dropped.attempts, 0);
  });
});

Deno.test("a slow receiver gets every attempt, Jobber counts each as failed and retries up to the limit", async () => {
  await withHook(undefined, async (s, t, hook) => {
    const job = await newJob(s, t);
    await control(s, "PUT", "/faults", {
      webhooks: { slow: ["JOB_CLOSED"], retryBaseMs: 5, maxAttempts: 3 },
    });
    const from = hook.received.length;
    await control(s, "POST", `/jobs/${job.id}/close`);
    await s.sandbox.webhooks.idle();
    const got = hooks(hook, from);
    const closed = got.filter((h) => h.topic === "JOB_CLOSED");
    assert.equal(closed.length, 3, "the receiver saw all three attempts");
    assert.equal(new Set(closed.map((h) => JSON.stringify(h))).size, 1, "the same event each time");
    assert.equal(got.filter((h) => h.topic === "JOB_UPDATE").length, 1, "other topics are not slowed");
    const counters = (await control(s, "GET", "/counters")).body.webhooks.responses
      .filter((r: { topic: string }) => r.topic === "JOB_CLOSED");
    assert.deepEqual(counters, [
      { topic: "JOB_CLOSED", status: 0, attempt: 1 },
      { topic: "JOB_CLOSED", status: 0, attempt: 2 },
      { topic: "JOB_CLOSED", status: 0, attempt: 3 },
    ]);
    const event = (await control(s, "GET", "/events")).body.events.find((e: { topic: string }) =>
      e.topic === "JOB_CLOSED"
    );
    assert.deepEqual([event.state, event.attempts, event.lastStatus], ["failed", 3, 0]);
  });
});

Deno.test("switching slow off mid-retry lets the next attempt through", async () => {
  await withHook(undefined, async (s, t, hook) => {
    await control(s, "PUT", "/faults", { webhooks: { slow: true, retryBaseMs: 500 } });
    const job = await newJob(s, t, 1, { settle: false });
    await waitFor(() => hook.received.length >= 1);
    await control(s, "PUT", "/faults", { webhooks: { slow: false } });
    await s.sandbox.webhooks.idle();
    // At least the first attempt was slow; the first one after the switch went through.
    const event = (await control(s, "GET", "/events")).body.events[0];
    assert.ok(hook.received.length >= 2);
    assert.deepEqual(
      [event.itemId, event.state, event.attempts, event.lastStatus],
      [job.id, "delivered", hook.received.length, 200],
    );
  });
});

Deno.test("duplicate can target topics; oldSpelling applies to job topics too", async () => {
  await withHook(undefined, async (s, t, hook) => {
    const job = await newJob(s, t);
    await control(s, "PUT", "/faults", { webhooks: { duplicate: ["JOB_CLOSED"], oldSpelling: true } });
    const from = hook.received.length;
    await control(s, "POST", `/jobs/${job.id}/close`);
    await s.sandbox.webhooks.idle();
    const got = hooks(hook, from);
    assert.equal(got.filter((h) => h.topic === "JOB_CLOSED").length, 2);
    assert.equal(got.filter((h) => h.topic === "JOB_UPDATE").length, 1);
    assert.ok(got.every((h) => typeof h.occuredAt === "string" && !("occurredAt" in h)));
  });
});

Deno.test("reorder holds events for its window and sends the older JOB_UPDATE after the close", async () => {
  await withHook(undefined, async (s, t, hook) => {
    const job = await newJob(s, t, 2);
    await s.sandbox.webhooks.idle();
    // A long window, released by switching reorder off: nothing depends on timing.
    await control(s, "PUT", "/faults", { webhooks: { reorder: true, reorderWindowMs: 60_000 } });
    const from = hook.received.length;
    await control(s, "POST", `/visits/${job.visits[0]!.id}/complete`);
    await control(s, "POST", `/jobs/${job.id}/close`);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(hook.received.length, from, "held while reorder is on");
    await control(s, "PUT", "/faults", { webhooks: { reorder: false } });
    await s.sandbox.webhooks.idle();
    const got = hooks(hook, from);
    assert.deepEqual(got.map((h) => h.topic), ["JOB_UPDATE", "JOB_CLOSED", "JOB_UPDATE", "VISIT_COMPLETE"]);
    assert.ok(got[2]!.occurredAt! < got[1]!.occurredAt!, "the JOB_UPDATE that arrives last is the older one");
  });
});

Deno.test("fault switches reject unknown topics and keep the other switches when merged", async () => {
  await withSandbox({}, async (s) => {
    const bad = await control(s, "PUT", "/faults", { webhooks: { drop: ["JOB_COMPLETE"] } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /webhooks\.drop/);
    await control(s, "PUT", "/faults", { webhooks: { slow: ["VISIT_COMPLETE"], duplicate: true } });
    const merged = await control(s, "PUT", "/faults", { webhooks: { reorderWindowMs: 500 } });
    assert.deepEqual(
      [merged.body.webhooks.slow, merged.body.webhooks.duplicate, merged.body.webhooks.reorderWindowMs],
      [["VISIT_COMPLETE"], true, 500],
    );
    await control(s, "POST", "/reset", {});
    const reset = (await control(s, "GET", "/faults")).body.webhooks;
    assert.deepEqual([reset.slow, reset.drop, reset.reorderWindowMs], [false, false, 200]);
  });
});
