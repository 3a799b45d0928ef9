import assert from "node:assert/strict";
import { signBody } from "./webhooks.ts";
import { connect, control, receiver, waitFor, withSandbox } from "./test_helpers.ts";

interface Payload {
  data: { webHookEvent: Record<string, string> };
}

const parse = (body: string) => JSON.parse(body) as Payload;

Deno.test("a client change sends Jobber's webhook body signed with the client secret", async () => {
  const hook = receiver();
  try {
    await withSandbox({ webhookUrl: hook.url }, async (s) => {
      const t = await connect(s);
      const created = await control(s, "POST", `/accounts/${t.accountId}/clients`, {
        firstName: "Ana",
        lastName: "Núñez",
      });
      await s.sandbox.webhooks.idle();
      assert.equal(hook.received.length, 1);
      const got = hook.received[0]!;
      assert.equal(got.headers.get("content-type"), "application/json");
      const expected = await signBody(got.body, "blipp-local-sandbox-secret");
      assert.equal(got.headers.get("x-jobber-hmac-sha256"), expected);
      assert.notEqual(got.headers.get("x-jobber-hmac-sha256"), await signBody(got.body, "another-secret"));
      const event = parse(got.body).data.webHookEvent;
      assert.deepEqual(Object.keys(event), ["topic", "appId", "accountId", "itemId", "occurredAt"]);
      assert.equal(event.topic, "CLIENT_CREATE");
      assert.equal(event.accountId, t.accountId);
      assert.equal(event.itemId, created.body.id);
      assert.match(event.occurredAt!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });
  } finally {
    await hook.close();
  }
});

Deno.test("accounts without the app installed fire no webhooks", async () => {
  const hook = receiver();
  try {
    await withSandbox({ webhookUrl: hook.url }, async (s) => {
      const state = await control(s, "GET", "/state");
      await control(s, "POST", `/accounts/${state.body.accounts[1].id}/clients`, { firstName: "Nobody" });
      await s.sandbox.webhooks.idle();
      assert.equal(hook.received.length, 0);
    });
  } finally {
    await hook.close();
  }
});

Deno.test("completing and closing a job fires VISIT_COMPLETE, JOB_UPDATE and JOB_CLOSED; disconnect fires APP_DISCONNECT", async () => {
  const hook = receiver();
  try {
    await withSandbox({ webhookUrl: hook.url }, async (s) => {
      const t = await connect(s);
      const clients = await control(s, "GET", `/accounts/${t.accountId}/clients?first=1`);
      const job = await control(s, "POST", `/accounts/${t.accountId}/jobs`, {
        clientId: clients.body.clients[0].id,
        title: "Gutter",
      });
      await control(s, "POST", `/jobs/${job.body.id}/complete`);
      await control(s, "POST", `/jobs/${job.body.id}/close`, { status: "archived" });
      await control(s, "POST", `/accounts/${t.accountId}/disconnect`);
      await s.sandbox.webhooks.idle();
      const events = hook.received.map((r) => parse(r.body).data.webHookEvent);
      // Deliveries run concurrently, so compare as a set (Jobber promises no order either).
      assert.deepEqual(events.map((e) => e.topic).sort(), [
        "APP_DISCONNECT",
        "JOB_CLOSED",
        "JOB_CREATE",
        "JOB_UPDATE",
        "JOB_UPDATE",
        "VISIT_COMPLETE",
      ]);
      assert.equal(events.find((e) => e.topic === "VISIT_COMPLETE")!.itemId, job.body.visits[0].id);
      assert.equal(events.find((e) => e.topic === "JOB_CLOSED")!.itemId, job.body.id);
      assert.equal(events.find((e) => e.topic === "APP_DISCONNECT")!.accountId, t.accountId);
    });
  } finally {
    await hook.close();
  }
});

Deno.test("a receiver slower than one second gets the event again", async () => {
  const hook = receiver(async (n) => {
    if (n === 1) await new Promise((r) => setTimeout(r, 1500));
    return 200;
  });
  try {
    await withSandbox({ webhookUrl: hook.url }, async (s) => {
      const t = await connect(s);
      await control(s, "PUT", "/faults", { webhooks: { retryBaseMs: 10 } });
      await control(s, "POST", `/accounts/${t.accountId}/clients`, { firstName: "Slow" });
      await waitFor(() => hook.received.length >= 2);
      await s.sandbox.webhooks.idle();
      assert.equal(hook.received[0]!.body, hook.received[1]!.body);
      const counters = await control(s, "GET", "/counters");
      assert.deepEqual(counters.body.webhooks.responses, [
        { topic: "CLIENT_CREATE", status: 0, attempt: 1 },
        { topic: "CLIENT_CREATE", status: 200, attempt: 2 },
      ]);
      const events = await control(s, "GET", "/events");
      assert.equal(events.body.events[0].attempts, 2);
      assert.equal(events.body.events[0].state, "delivered");
    });
  } finally {
    await hook.close();
  }
});

Deno.test("a failing receiver is retried with backoff up to the attempt limit", async () => {
  const hook = receiver(() => 500);
  try {
    await withSandbox({ webhookUrl: hook.url }, async (s) => {
      const t = await connect(s);
      await control(s, "PUT", "/faults", { webhooks: { retryBaseMs: 5 } });
      await control(s, "POST", `/accounts/${t.accountId}/clients`, { firstName: "Fail" });
      await s.sandbox.webhooks.idle();
      assert.equal(hook.received.length, 5);
      const gaps = hook.received.slice(1).map((r, i) => r.at - hook.received[i]!.at);
      assert.ok(gaps[3]! >= 40, `backoff should grow, gaps were ${gaps.join(", ")}`);
      const events = await control(s, "GET", "/events");
      assert.equal(events.body.events[0].state, "failed");
      assert.equal(events.body.events[0].lastStatus, 500);
    });
  } finally {
    await hook.close();
  }
});

Deno.test("the duplicate switch sends each event twice and oldSpelling says occuredAt", async () => {
  const hook = receiver();
  try {
    await withSandbox({ webhookUrl: hook.url }, async (s) => {
      const t = await connect(s);
      await control(s, "PUT", "/faults", { webhooks: { duplicate: true, oldSpelling: true } });
      await control(s, "POST", `/accounts/${t.accountId}/clients`, { firstName: "Twice" });
      await s.sandbox.webhooks.idle();
      assert.equal(hook.received.length, 2);
      const event = parse(hook.received[0]!.body).data.webHookEvent;
      assert.ok("occuredAt" in event);
      assert.ok(!("occurredAt" in event));
    });
  } finally {
    await hook.close();
  }
});

Deno.test("the drop switch never sends and reorder sends a batch newest first", async () => {
  const hook = receiver();
  try {
    await withSandbox({ webhookUrl: hook.url }, async (s) => {
      const t = await connect(s);
      await control(s, "PUT", "/faults", { webhooks: { drop: true } });
      await control(s, "POST", `/accounts/${t.accountId}/clients`, { firstName: "Dropped" });
      await s.sandbox.webhooks.idle();
      assert.equal(hook.received.length, 0);
      await control(s, "PUT", "/faults", { webhooks: { drop: false, reorder: true } });
      const a = await control(s, "POST", `/accounts/${t.accountId}/clients`, { firstName: "A" });
      const b = await control(s, "POST", `/accounts/${t.accountId}/clients`, { firstName: "B" });
      await s.sandbox.webhooks.idle();
      assert.deepEqual(hook.received.map((r) => parse(r.body).data.webHookEvent.itemId), [
        b.body.id,
        a.body.id,
      ]);
    });
  } finally {
    await hook.close();
  }
});

Deno.test("webhook subscriptions can be pointed elsewhere or removed per topic", async () => {
  const hook = receiver();
  try {
    await withSandbox({ webhookUrl: "http://127.0.0.1:9/unused" }, async (s) => {
      const t = await connect(s);
      const put = await control(s, "PUT", "/webhooks", { CLIENT_CREATE: hook.url, CLIENT_UPDATE: null });
      assert.equal(put.body.CLIENT_CREATE, hook.url);
      assert.equal(put.body.CLIENT_UPDATE, undefined);
      const created = await control(s, "POST", `/accounts/${t.accountId}/clients`, { firstName: "Routed" });
      await control(s, "PATCH", `/clients/${created.body.id}`, { lastName: "Again" });
      await s.sandbox.webhooks.idle();
      assert.equal(hook.received.length, 1);
      const bad = await control(s, "PUT", "/webhooks", { JOB_COMPLETE: hook.url });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /JOB_COMPLETE/);
    });
  } finally {
    await hook.close();
  }
});
