import assert from "node:assert/strict";
import { connect, control, gql, withSandbox } from "./test_helpers.ts";

Deno.test("the seeded state has two accounts with clients and jobs, none connected", async () => {
  await withSandbox({}, async (s) => {
    const state = await control(s, "GET", "/state");
    assert.equal(state.status, 200);
    assert.deepEqual(
      state.body.accounts.map((a: { name: string; connected: boolean }) => [a.name, a.connected]),
      [
        ["Sparkle Cleaning Co.", false],
        ["Green Lawn Pros", false],
      ],
    );
    assert.ok(
      state.body.accounts.every((a: { clients: number; jobs: number }) => a.clients === 25 && a.jobs >= 2),
    );
  });
});

Deno.test("unknown control routes answer 404 in the error shape", async () => {
  await withSandbox({}, async (s) => {
    const res = await control(s, "GET", "/nope");
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, "not_found");
    assert.equal(typeof res.body.error.message, "string");
    const missing = await control(s, "PATCH", "/clients/999999", { firstName: "x" });
    assert.equal(missing.status, 404);
  });
});

Deno.test("bad JSON and unknown or invalid fields answer 400 naming the field", async () => {
  await withSandbox({}, async (s) => {
    const badJson = await fetch(`${s.url}/_sandbox/faults`, { method: "PUT", body: "{nope" });
    assert.equal(badJson.status, 400);
    assert.equal((await badJson.json()).error.code, "invalid_request");
    const unknown = await control(s, "PUT", "/faults", { webhooks: { dorp: true } });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error.message, /dorp/);
    const invalid = await control(s, "PUT", "/faults", { errorRate: 2 });
    assert.equal(invalid.status, 400);
    assert.match(invalid.body.error.message, /errorRate/);
  });
});

Deno.test("fault updates merge with what is already set", async () => {
  await withSandbox({}, async (s) => {
    await control(s, "PUT", "/faults", { webhooks: { drop: true }, latencyMs: 5 });
    const merged = await control(s, "PUT", "/faults", { webhooks: { duplicate: true } });
    assert.equal(merged.body.webhooks.drop, true);
    assert.equal(merged.body.webhooks.duplicate, true);
    assert.equal(merged.body.latencyMs, 5);
    assert.deepEqual((await control(s, "GET", "/faults")).body, merged.body);
  });
});

Deno.test("generate is deterministic per seed and refuses more than 100,000 per call", async () => {
  await withSandbox({}, async (s) => {
    const a = await control(s, "POST", "/accounts", { name: "Seed A" });
    const b = await control(s, "POST", "/accounts", { name: "Seed B" });
    for (const acc of [a, b]) {
      const res = await control(s, "POST", `/accounts/${acc.body.id}/clients/generate`, {
        count: 300,
        seed: 42,
      });
      assert.deepEqual(res.body, { created: 300, accountId: acc.body.id });
    }
    const strip = (list: Array<{ name: string; emails: Array<{ address: string }> }>) =>
      list.map((c) => [c.name, c.emails.map((e) => e.address)]);
    const listA = await control(s, "GET", `/accounts/${a.body.id}/clients?first=300`);
    const listB = await control(s, "GET", `/accounts/${b.body.id}/clients?first=300`);
    assert.deepEqual(strip(listA.body.clients), strip(listB.body.clients));
    const tooMany = await control(s, "POST", `/accounts/${a.body.id}/clients/generate`, { count: 100_001 });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.body.error.message, /count.*100000/);
  });
});

Deno.test("generating 50,000 clients stays fast and fires no webhooks", async () => {
  await withSandbox({}, async (s) => {
    await connect(s);
    const state = await control(s, "GET", "/state");
    const started = performance.now();
    const res = await control(s, "POST", `/accounts/${state.body.accounts[0].id}/clients/generate`, {
      count: 50_000,
      seed: 9,
    });
    assert.equal(res.body.created, 50_000);
    assert.ok(performance.now() - started < 5000);
    assert.equal(s.sandbox.webhooks.events.length, 0);
  });
});

Deno.test("editing a client bumps updatedAt and the change is visible over GraphQL", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    const list = await control(s, "GET", `/accounts/${t.accountId}/clients?first=1`);
    const before = list.body.clients[0];
    const patched = await control(s, "PATCH", `/clients/${before.id}`, {
      firstName: "José",
      emails: [{ address: "jose@example.com", primary: true }],
    });
    assert.equal(patched.status, 200);
    assert.ok(patched.body.updatedAt > before.updatedAt);
    const body = await gql(
      s,
      t.access_token,
      `query($id: EncodedId!) { client(id: $id) { firstName emails { address primary } } }`,
      {
        id: before.id,
      },
    );
    assert.deepEqual(body.data.client, {
      firstName: "José",
      emails: [{ address: "jose@example.com", primary: true }],
    });
  });
});

Deno.test("reset returns to the seeded state and clears faults, counters and tokens", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    await control(s, "PUT", "/faults", { throttle: true });
    await control(s, "POST", `/accounts/${t.accountId}/clients`, { firstName: "Extra" });
    const reset = await control(s, "POST", "/reset", {});
    assert.equal(reset.status, 200);
    assert.equal((await control(s, "GET", "/faults")).body.throttle, false);
    assert.equal((await control(s, "GET", "/counters")).body.tokenCalls.authorization_code, 0);
    const state = await control(s, "GET", "/state");
    assert.equal(state.body.accounts[0].clients, 25);
    assert.equal(state.body.accounts[0].connected, false);
    const res = await fetch(`${s.url}/api/graphql`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.access_token}`, "x-jobber-graphql-version": "2025-04-16" },
      body: JSON.stringify({ query: "{ account { id } }" }),
    });
    assert.equal(res.status, 401);
    await res.body?.cancel();
  });
});
