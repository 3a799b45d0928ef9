import assert from "node:assert/strict";
import { encodeId } from "./ids.ts";
import { connect, control, gql, gqlRaw, VERSION, withSandbox } from "./test_helpers.ts";

const PAGE = `query($first: Int, $after: String) {
  clients(first: $first, after: $after) { nodes { id name } pageInfo { hasNextPage endCursor } }
}`;

Deno.test("GraphQL without a bearer token is answered 401", async () => {
  await withSandbox({}, async (s) => {
    const res = await gqlRaw(s, null, "{ account { id } }");
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { message: "Unauthorized" });
    const junk = await gqlRaw(s, "not-a-jwt", "{ account { id } }");
    assert.equal(junk.status, 401);
    await junk.body?.cancel();
  });
});

Deno.test("GraphQL without X-JOBBER-GRAPHQL-VERSION is answered 400 with a JSON message", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    const res = await gqlRaw(s, t.access_token, "{ account { id } }", {}, {});
    assert.equal(res.status, 400);
    assert.match((await res.json()).message, /X-JOBBER-GRAPHQL-VERSION/);
  });
});

Deno.test("every response carries cost and versioning extensions", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    const body = await gql(s, t.access_token, "{ account { id name } }");
    assert.equal(body.data.account.id, t.accountId);
    assert.equal(body.data.account.name, "Sparkle Cleaning Co.");
    assert.deepEqual(body.extensions.versioning, { version: VERSION });
    assert.deepEqual(body.extensions.cost, {
      requestedQueryCost: 3,
      actualQueryCost: 3,
      throttleStatus: { maximumAvailable: 10000, currentlyAvailable: 9997, restoreRate: 500 },
    });
  });
});

Deno.test("clients(first: 10) with id and name is requested at 20 and charged for what came back", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    const body = await gql(s, t.access_token, "{ clients(first: 10) { nodes { id name } } }");
    assert.equal(body.data.clients.nodes.length, 10);
    assert.equal(body.extensions.cost.requestedQueryCost, 20);
    assert.equal(body.extensions.cost.actualQueryCost, 20);
    const none = await gql(
      s,
      t.access_token,
      '{ clients(first: 10, searchTerm: "zzz-no-such") { nodes { id name } } }',
    );
    assert.equal(none.extensions.cost.requestedQueryCost, 20);
    assert.equal(none.extensions.cost.actualQueryCost, 0);
  });
});

Deno.test("a query costing more than what is available is THROTTLED, and the bucket refills over time", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    await control(s, "PUT", "/faults", { bucket: { max: 100, restoreRate: 20 } });
    const q = "{ clients(first: 30) { nodes { id name } } }"; // requested 60, actual 50 (25 clients)
    const first = await gql(s, t.access_token, q);
    assert.equal(first.extensions.cost.actualQueryCost, 50);
    assert.equal(first.extensions.cost.throttleStatus.currentlyAvailable, 50);
    const throttled = await gql(s, t.access_token, q);
    assert.equal(throttled.data, undefined);
    assert.deepEqual(throttled.errors, [{
      message: "Throttled",
      extensions: {
        code: "THROTTLED",
        documentation: "https://developer.getjobber.com/docs/using_jobbers_api/api_rate_limits/",
      },
    }]);
    const cost = throttled.extensions.cost;
    assert.equal(cost.requestedQueryCost, 60);
    assert.ok(cost.requestedQueryCost > cost.throttleStatus.currentlyAvailable);
    assert.equal(cost.throttleStatus.restoreRate, 20);
    // Wait (requested - available) / restoreRate seconds, as Jobber's docs say.
    const waitMs = ((cost.requestedQueryCost - cost.throttleStatus.currentlyAvailable) / 20) * 1000 + 100;
    await new Promise((r) => setTimeout(r, waitMs));
    const again = await gql(s, t.access_token, q);
    assert.equal(again.errors, undefined);
    assert.equal(again.data.clients.nodes.length, 25);
  });
});

Deno.test("the throttle fault forces THROTTLED", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    await control(s, "PUT", "/faults", { throttle: true });
    const body = await gql(s, t.access_token, "{ account { id } }");
    assert.equal(body.errors[0].extensions.code, "THROTTLED");
  });
});

Deno.test("the DDoS guard answers 429 past the request limit of the window", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    await control(s, "PUT", "/faults", { rateLimit: { requests: 3, windowMs: 60_000 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await gqlRaw(s, t.access_token, "{ account { id } }");
      statuses.push(res.status);
      await res.body?.cancel();
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
  });
});

Deno.test("the default DDoS guard allows 2,500 requests per five minutes and answers the next with 429", async () => {
  await withSandbox({}, async (s) => {
    assert.deepEqual(s.sandbox.faults.rateLimit, { requests: 2500, windowMs: 300_000 });
    const t = await connect(s);
    const statuses = new Map<number, number>();
    for (let batch = 0; batch < 25; batch++) {
      const results = await Promise.all(Array.from({ length: 100 }, async () => {
        const res = await gqlRaw(s, t.access_token, "{ account { id } }");
        await res.body?.cancel();
        return res.status;
      }));
      for (const st of results) statuses.set(st, (statuses.get(st) ?? 0) + 1);
    }
    assert.deepEqual([...statuses], [[200, 2500]]);
    const over = await gqlRaw(s, t.access_token, "{ account { id } }");
    assert.equal(over.status, 429);
    await over.body?.cancel();
  });
});

Deno.test("tokens expired through the control API are answered 401", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    await control(s, "POST", `/accounts/${t.accountId}/tokens/expire`);
    const res = await gqlRaw(s, t.access_token, "{ account { id } }");
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { message: "Unauthorized" });
    const fresh = await connect(s);
    assert.equal((await gql(s, fresh.access_token, "{ account { id } }")).data.account.id, t.accountId);
    await control(s, "PUT", "/faults", { expireTokens: true });
    const all = await gqlRaw(s, fresh.access_token, "{ account { id } }");
    assert.equal(all.status, 401);
    await all.body?.cancel();
  });
});

Deno.test("after appDisconnect every token is answered with the disconnected message", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    const body = await gql(
      s,
      t.access_token,
      "mutation { appDisconnect { app { name author } userErrors { message path } } }",
    );
    assert.deepEqual(body.data.appDisconnect, { app: { name: "Blipp", author: "Blipp" }, userErrors: [] });
    const res = await gqlRaw(s, t.access_token, "{ account { id } }");
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), {
      message: "User has disconnected this app from their account. Please delete this token",
    });
    const state = await control(s, "GET", "/state");
    assert.equal(state.body.accounts[0].connected, false);
  });
});

Deno.test("a disconnect from Jobber's side kills the refresh token too", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    await control(s, "POST", `/accounts/${t.accountId}/disconnect`);
    const res = await gqlRaw(s, t.access_token, "{ account { id } }");
    assert.equal(res.status, 401);
    assert.match((await res.json()).message, /disconnected/);
    const refresh = await fetch(`${s.url}/api/oauth/token`, {
      method: "POST",
      body: new URLSearchParams({
        client_id: "blipp-local",
        client_secret: "blipp-local-sandbox-secret",
        grant_type: "refresh_token",
        refresh_token: t.refresh_token,
      }),
    });
    assert.equal(refresh.status, 400);
    assert.equal((await refresh.json()).error, "invalid_grant");
  });
});

Deno.test("malformed GraphQL comes back as errors with HTTP 200, not a crash", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    const syntax = await gql(s, t.access_token, "{ clients(first: 10) { nodes { id }");
    assert.match(syntax.errors[0].message, /Syntax Error/);
    const unknown = await gql(s, t.access_token, "{ nope }");
    assert.match(unknown.errors[0].message, /Cannot query field "nope"/);
    const badId = await gql(s, t.access_token, '{ client(id: "not base64!") { id } }');
    assert.match(badId.errors[0].message, /EncodedId/);
  });
});

Deno.test("single lookups of unknown ids come back as null", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    const body = await gql(
      s,
      t.access_token,
      `{
      client(id: "${encodeId("Client", 999999)}") { id }
      job(id: "${encodeId("Job", 999999)}") { id }
      visit(id: "${encodeId("Visit", 999999)}") { id }
    }`,
    );
    assert.deepEqual(body.data, { client: null, job: null, visit: null });
  });
});

Deno.test("another account's client is invisible", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    const state = await control(s, "GET", "/state");
    const other = await control(s, "GET", `/accounts/${state.body.accounts[1].id}/clients?first=1`);
    const body = await gql(s, t.access_token, `{ client(id: "${other.body.clients[0].id}") { id } }`);
    assert.equal(body.data.client, null);
  });
});

Deno.test("first above 100 is a GraphQL error", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    const body = await gql(s, t.access_token, "{ clients(first: 101) { nodes { id } } }");
    assert.equal(body.data, null);
    assert.match(body.errors[0].message, /first.*100/);
  });
});

Deno.test("cursor pagination is stable while clients are inserted and deleted", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    const page1 = (await gql(s, t.access_token, PAGE, { first: 10 })).data.clients;
    assert.equal(page1.pageInfo.hasNextPage, true);
    // A new client and a deleted client from page 1 must not shift page 2.
    await control(s, "POST", `/accounts/${t.accountId}/clients`, { firstName: "New", lastName: "Comer" });
    await control(s, "DELETE", `/clients/${page1.nodes[3].id}`);
    const page2 =
      (await gql(s, t.access_token, PAGE, { first: 10, after: page1.pageInfo.endCursor })).data.clients;
    const fresh = await control(s, "GET", `/accounts/${t.accountId}/clients?first=100`);
    const ids: string[] = fresh.body.clients.map((c: { id: string }) => c.id);
    const expectedStart = ids.indexOf(page1.nodes[9].id) + 1;
    assert.deepEqual(
      page2.nodes.map((n: { id: string }) => n.id),
      ids.slice(expectedStart, expectedStart + 10),
    );
    let after: string | null = page2.pageInfo.endCursor;
    const seen = new Set([...page1.nodes, ...page2.nodes].map((n: { id: string }) => n.id));
    while (after) {
      const page = (await gql(s, t.access_token, PAGE, { first: 10, after })).data.clients;
      for (const n of page.nodes) seen.add(n.id);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    }
    assert.equal(seen.size, 25 + 1);
  });
});

Deno.test("clients filter by updatedAt, isArchived, isLead and searchTerm", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    const since = new Date(Date.now() - 2000).toISOString();
    const created = await control(s, "POST", `/accounts/${t.accountId}/clients`, {
      firstName: "Zoë",
      lastName: "Ångström",
      emails: [{ address: "zoe@example.com", primary: true }],
    });
    const recent = await gql(
      s,
      t.access_token,
      `query($since: ISO8601DateTime) {
      clients(first: 100, filter: { updatedAt: { after: $since } }) { nodes { id name } totalCount }
    }`,
      { since },
    );
    assert.deepEqual(recent.data.clients.nodes, [{ id: created.body.id, name: "Zoë Ångström" }]);
    assert.equal(recent.data.clients.totalCount, 1);
    const search = await gql(
      s,
      t.access_token,
      `{ clients(first: 5, searchTerm: "zoe@example") { nodes { id } } }`,
    );
    assert.deepEqual(search.data.clients.nodes, [{ id: created.body.id }]);
    const archived = await gql(
      s,
      t.access_token,
      `{ clients(first: 100, filter: { isArchived: true }) { nodes { isArchived } } }`,
    );
    assert.ok(archived.data.clients.nodes.every((n: { isArchived: boolean }) => n.isArchived));
    const leads = await gql(
      s,
      t.access_token,
      `{ clients(first: 100, filter: { isLead: false }) { nodes { isLead } } }`,
    );
    assert.ok(leads.data.clients.nodes.every((n: { isLead: boolean }) => !n.isLead));
  });
});

Deno.test("a client exposes the fields the integration reads", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    const body = await gql(
      s,
      t.access_token,
      `{ clients(first: 100) { nodes {
      id name firstName lastName companyName isCompany isLead isArchived title createdAt updatedAt
      emails { id address primary description } phones { id number primary smsAllowed description friendly normalizedPhoneNumber }
      billingAddress { street1 street2 city province postalCode country }
      clientProperties(first: 5) { nodes { id address { street1 street2 city province postalCode country } } }
    } } }`,
    );
    assert.equal(body.errors, undefined);
    assert.equal(body.data.clients.nodes.length, 25);
    assert.match(body.data.clients.nodes[0].updatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(atob(body.data.clients.nodes[0].id), /^gid:\/\/Jobber\/Client\/\d+$/);
  });
});

Deno.test("jobs and visits show completion after the job is completed and closed", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    const clients = await control(s, "GET", `/accounts/${t.accountId}/clients?first=1`);
    const job = await control(s, "POST", `/accounts/${t.accountId}/jobs`, {
      clientId: clients.body.clients[0].id,
      title: "Hedge trim",
    });
    await control(s, "POST", `/jobs/${job.body.id}/complete`);
    const visit = await gql(
      s,
      t.access_token,
      `query($id: EncodedId!) { visit(id: $id) {
      id isComplete completedAt visitStatus isLastScheduledVisit job { id jobNumber title jobStatus completedAt client { id name } }
    } }`,
      { id: job.body.visits[0].id },
    );
    assert.equal(visit.data.visit.isComplete, true);
    assert.equal(visit.data.visit.visitStatus, "COMPLETED");
    assert.equal(visit.data.visit.isLastScheduledVisit, true);
    assert.equal(visit.data.visit.job.completedAt, null);
    await control(s, "POST", `/jobs/${job.body.id}/close`);
    const closed = await gql(
      s,
      t.access_token,
      `query($id: EncodedId!) { job(id: $id) { jobStatus completedAt visits(first: 5) { nodes { isComplete } } } }`,
      { id: job.body.id },
    );
    assert.equal(closed.data.job.jobStatus, "requires_invoicing");
    assert.notEqual(closed.data.job.completedAt, null);
    await control(s, "POST", `/jobs/${job.body.id}/reopen`);
    const reopened = await gql(
      s,
      t.access_token,
      `query($id: EncodedId!) { job(id: $id) { jobStatus completedAt visits(first: 5) { nodes { isComplete } } } }`,
      { id: job.body.id },
    );
    // Reopening keeps the finished visit finished; with no visit left the job is action_required
    // (Jobber's "schedule more visits or close the job").
    assert.deepEqual(reopened.data.job, {
      jobStatus: "action_required",
      completedAt: null,
      visits: { nodes: [{ isComplete: true }] },
    });
    const sorted = await gql(
      s,
      t.access_token,
      `{ jobs(first: 10, sort: [{ key: UPDATED_AT, direction: DESCENDING }]) { nodes { id } } }`,
    );
    assert.equal(sorted.data.jobs.nodes[0].id, job.body.id);
  });
});

Deno.test("failNext.graphql5xx and http429 make GraphQL fail on demand", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    await control(s, "PUT", "/faults", { failNext: { graphql5xx: 2, status: 502 } });
    for (let i = 0; i < 2; i++) {
      const res = await gqlRaw(s, t.access_token, "{ account { id } }");
      assert.equal(res.status, 502);
      await res.body?.cancel();
    }
    assert.equal((await gql(s, t.access_token, "{ account { id } }")).data.account.id, t.accountId);
    await control(s, "PUT", "/faults", { http429: true });
    const limited = await gqlRaw(s, t.access_token, "{ account { id } }");
    assert.equal(limited.status, 429);
    await limited.body?.cancel();
  });
});
