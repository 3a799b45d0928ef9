// The job and visit queries an integration sends on a webhook and when reconciling, answered as
// Jobber answers them: fields, null for deleted records, filters, paging and query cost.
import assert from "node:assert/strict";
import { encodeId } from "./ids.ts";
import type { RunningSandbox } from "./server.ts";
import { connect, control, gql, manualClock, type Tokens, withSandbox } from "./test_helpers.ts";

const HOUR = 3600 * 1000;
const LONG_TOKENS = { accessTokenLifetimeSeconds: 30 * 24 * 3600 };

const JOB = `query Job($id: EncodedId!) {
  job(id: $id) {
    id jobNumber title jobStatus jobType total completedAt updatedAt
    client { id name }
    property { id latitude longitude address { city coordinates { latitude longitude } } }
    visits(first: 10) {
      nodes { id completedAt isComplete isLastScheduledVisit assignedUsers(first: 3) { nodes { name { full } } } }
    }
  }
}`;

const VISIT = `query Visit($id: EncodedId!) {
  visit(id: $id) {
    id isComplete completedAt visitStatus isLastScheduledVisit startAt endAt
    assignedUsers(first: 5) { nodes { id name { full } } }
    job { id jobNumber jobStatus completedAt total client { id } property { address { coordinates { latitude longitude } geoStatus } } }
  }
}`;

const COMPLETED_JOBS = `query($after: String, $since: ISO8601DateTime, $until: ISO8601DateTime) {
  jobs(first: 2, after: $after, filter: { completedAt: { after: $since, before: $until } }) {
    nodes { id completedAt }
    pageInfo { hasNextPage endCursor }
  }
}`;

const COMPLETED_VISITS = `query($after: String, $since: ISO8601DateTime) {
  visits(first: 2, after: $after, filter: { completedAt: { after: $since } }) {
    nodes { id completedAt job { id } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}`;

interface JobView {
  id: string;
  visits: Array<{ id: string; isComplete: boolean }>;
  property: { id: string };
}

async function firstClient(s: RunningSandbox, accountId: string): Promise<string> {
  return (await control(s, "GET", `/accounts/${accountId}/clients?first=1`)).body.clients[0].id;
}

async function newJob(s: RunningSandbox, t: Tokens, body: Record<string, unknown> = {}): Promise<JobView> {
  const res = await control(s, "POST", `/accounts/${t.accountId}/jobs`, {
    clientId: await firstClient(s, t.accountId),
    title: "Test job",
    ...body,
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

/** Every page of a paged query, following endCursor. */
async function allPages<T>(
  s: RunningSandbox,
  t: Tokens,
  query: string,
  field: string,
  variables: Record<string, unknown>,
): Promise<{ nodes: T[]; pages: number }> {
  const nodes: T[] = [];
  let after = (variables.after as string | undefined) ?? null;
  let pages = 0;
  do {
    const body = await gql(s, t.access_token, query, { ...variables, after });
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const conn = body.data[field];
    nodes.push(...conn.nodes);
    pages++;
    after = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
  } while (after);
  return { nodes, pages };
}

Deno.test("job(id:) answers the integration's job query, priced by Jobber's cost rules", async () => {
  await withSandbox(LONG_TOKENS, async (s) => {
    const t = await connect(s);
    const users = (await control(s, "GET", `/accounts/${t.accountId}/users`)).body.users;
    const tech = users.find((u: { isAccountOwner: boolean }) => !u.isAccountOwner);
    const job = await newJob(s, t, {
      title: "Weekly clean",
      visits: 4,
      total: 199.99,
      place: "denver",
      assignedUserIds: [tech.id],
    });
    await control(s, "POST", `/visits/${job.visits[0]!.id}/complete`);
    const body = await gql(s, t.access_token, JOB, { id: job.id });
    assert.equal(body.errors, undefined);
    const j = body.data.job;
    assert.equal(j.id, job.id);
    assert.equal(j.title, "Weekly clean");
    assert.equal(j.jobStatus, "upcoming");
    assert.equal(j.jobType, "RECURRING");
    assert.equal(j.total, 199.99);
    assert.equal(j.completedAt, null);
    assert.match(j.updatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(j.client.id, await firstClient(s, t.accountId));
    assert.equal(j.property.address.city, "Denver");
    const { latitude, longitude } = j.property.address.coordinates;
    assert.ok(Math.abs(latitude - 39.7393) < 0.02 && Math.abs(longitude + 104.9848) < 0.02);
    assert.deepEqual([j.property.latitude, j.property.longitude], [String(latitude), String(longitude)]);
    assert.deepEqual(
      j.visits.nodes.map((v: { isComplete: boolean; isLastScheduledVisit: boolean }) => [
        v.isComplete,
        v.isLastScheduledVisit,
      ]),
      [[true, false], [false, false], [false, false], [false, true]],
    );
    assert.notEqual(j.visits.nodes[0].completedAt, null);
    assert.deepEqual(j.visits.nodes[0].assignedUsers.nodes, [{ name: { full: tech.name } }]);
    // job 1 + 8 scalars + client 3 + property 9 + visits 10 × (4 + assignedUsers 3 × 2).
    assert.equal(body.extensions.cost.requestedQueryCost, 1 + 8 + 3 + 9 + 10 * (4 + 3 * 2));
    // Charged for the 4 visits and 1 user each that came back.
    assert.equal(body.extensions.cost.actualQueryCost, 1 + 8 + 3 + 9 + 4 * (4 + 1 * 2));
  });
});

Deno.test("visit(id:) answers with its job; a deleted job and its visits answer null", async () => {
  await withSandbox(LONG_TOKENS, async (s) => {
    const t = await connect(s);
    const job = await newJob(s, t, { visits: 2, total: 80, place: "st-johns" });
    const second = job.visits[1]!.id;
    await control(s, "POST", `/visits/${second}/complete`);
    const v = (await gql(s, t.access_token, VISIT, { id: second })).data.visit;
    assert.equal(v.id, second);
    assert.equal(v.isComplete, true);
    assert.equal(v.visitStatus, "COMPLETED");
    assert.equal(v.isLastScheduledVisit, true);
    assert.ok(Date.parse(v.endAt) - Date.parse(v.startAt) === 2 * HOUR);
    assert.deepEqual(v.assignedUsers.nodes, []);
    assert.equal(v.job.id, job.id);
    assert.equal(v.job.total, 80);
    assert.equal(v.job.completedAt, null);
    assert.equal(v.job.property.address.geoStatus, "FOUND");
    const deleted = await control(s, "DELETE", `/jobs/${job.id}`);
    assert.deepEqual(deleted.body, { deleted: job.id });
    const gone = await gql(
      s,
      t.access_token,
      `query($job: EncodedId!, $a: EncodedId!, $b: EncodedId!) { job(id: $job) { id } a: visit(id: $a) { id } b: visit(id: $b) { id } }`,
      { job: job.id, a: job.visits[0]!.id, b: second },
    );
    assert.equal(gone.errors, undefined);
    assert.deepEqual(gone.data, { job: null, a: null, b: null });
    const list = await gql(s, t.access_token, `{ jobs(first: 100) { nodes { id } } }`);
    assert.ok(!list.data.jobs.nodes.some((n: { id: string }) => n.id === job.id));
  });
});

Deno.test("another account's jobs and visits are invisible", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    const state = await control(s, "GET", "/state");
    const other = state.body.accounts[1].id;
    const theirs = (await control(s, "GET", `/accounts/${other}/jobs`)).body.jobs[0];
    const body = await gql(
      s,
      t.access_token,
      `query($j: EncodedId!, $v: EncodedId!) { job(id: $j) { id } visit(id: $v) { id } }`,
      { j: theirs.id, v: theirs.visits[0].id },
    );
    assert.deepEqual(body.data, { job: null, visit: null });
    const mine = await gql(s, t.access_token, `{ visits(first: 100) { nodes { job { id } } } }`);
    const ownJobs = new Set(
      (await control(s, "GET", `/accounts/${t.accountId}/jobs`)).body.jobs.map((j: { id: string }) => j.id),
    );
    assert.ok(mine.data.visits.nodes.every((n: { job: { id: string } }) => ownJobs.has(n.job.id)));
  });
});

Deno.test("jobs(filter: {completedAt}) pages through exactly the jobs closed in the window", async () => {
  const clock = manualClock(Date.UTC(2026, 5, 1, 12));
  await withSandbox(LONG_TOKENS, async (s) => {
    const t = await connect(s);
    const start = clock.now();
    const closed: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(HOUR);
      const job = await newJob(s, t, { title: `Job ${i}` });
      await control(s, "POST", `/jobs/${job.id}/complete`);
      await control(s, "POST", `/jobs/${job.id}/close`);
      closed.push(job.id);
    }
    // A job completed (visits done) but never closed has no completedAt: it is not in the window.
    const open = await newJob(s, t, { title: "Open" });
    await control(s, "POST", `/jobs/${open.id}/complete`);
    const since = new Date(start + 30 * 60 * 1000).toISOString();
    const all = await allPages<{ id: string; completedAt: string }>(s, t, COMPLETED_JOBS, "jobs", { since });
    assert.deepEqual(all.nodes.map((n) => n.id), closed);
    assert.equal(all.pages, 3);
    assert.ok(all.nodes.every((n) => Date.parse(n.completedAt) >= Date.parse(since)));
    // A window in the middle: jobs 1 to 3 (closed 2, 3 and 4 hours after the start).
    const middle = await allPages<{ id: string }>(s, t, COMPLETED_JOBS, "jobs", {
      since: new Date(start + 1.5 * HOUR).toISOString(),
      until: new Date(start + 4.5 * HOUR).toISOString(),
    });
    assert.deepEqual(middle.nodes.map((n) => n.id), closed.slice(1, 4));
    // Reopened jobs leave the window; closing again brings them back with the new completedAt.
    await control(s, "POST", `/jobs/${closed[0]}/reopen`);
    const afterReopen = await allPages<{ id: string }>(s, t, COMPLETED_JOBS, "jobs", { since });
    assert.deepEqual(afterReopen.nodes.map((n) => n.id), closed.slice(1));
    // first: 2 × (id + completedAt + pageInfo with two fields).
    const priced = await gql(s, t.access_token, COMPLETED_JOBS, { since });
    assert.equal(priced.extensions.cost.requestedQueryCost, 2 * (2 + 3));
    assert.equal(priced.extensions.cost.actualQueryCost, 2 * 2 + 2 * 3);
  }, clock.now);
});

Deno.test("visits(filter: {completedAt}) pages by start time with cursors that survive changes", async () => {
  const clock = manualClock(Date.UTC(2026, 5, 1, 12));
  await withSandbox(LONG_TOKENS, async (s) => {
    const t = await connect(s);
    const since = new Date(clock.now() + 60_000).toISOString();
    clock.advance(10 * 60_000);
    const weekly = await newJob(s, t, { title: "Weekly", visits: 5 });
    const once = await newJob(s, t, {
      title: "Once",
      startAt: new Date(clock.now() + 3 * 24 * HOUR).toISOString(),
    });
    // Completed in an order unlike their start order.
    for (const id of [weekly.visits[3]!.id, once.visits[0]!.id, weekly.visits[0]!.id, weekly.visits[1]!.id]) {
      clock.advance(60_000);
      await control(s, "POST", `/visits/${id}/complete`);
    }
    const first = await gql(s, t.access_token, COMPLETED_VISITS, { since });
    assert.equal(first.data.visits.totalCount, 4);
    // Sorted by startAt: weekly #1 (tomorrow), weekly #2 (+7 d), the one-off (+3 d) between them.
    const expected = [weekly.visits[0]!.id, once.visits[0]!.id, weekly.visits[1]!.id, weekly.visits[3]!.id];
    assert.deepEqual(first.data.visits.nodes.map((n: { id: string }) => n.id), expected.slice(0, 2));
    // Completing another visit that sorts before the cursor does not shift the next page.
    clock.advance(60_000);
    await control(s, "POST", `/visits/${weekly.visits[2]!.id}/complete`);
    const rest = await allPages<{ id: string }>(s, t, COMPLETED_VISITS, "visits", {
      since,
      after: first.data.visits.pageInfo.endCursor,
    });
    assert.deepEqual(
      rest.nodes.map((n) => n.id),
      [weekly.visits[1]!.id, weekly.visits[2]!.id, weekly.visits[3]!.id],
    );
    const whole = await allPages<{ id: string; job: { id: string } }>(s, t, COMPLETED_VISITS, "visits", {
      since,
    });
    assert.equal(whole.nodes.length, 5);
    assert.equal(new Set(whole.nodes.map((n) => n.id)).size, 5);
    // first: 2 × (id + completedAt + job{id} 2 + pageInfo 3 + totalCount 1).
    assert.equal(first.extensions.cost.requestedQueryCost, 2 * (2 + 2 + 3 + 1));
    const bad = await gql(s, t.access_token, COMPLETED_VISITS, { since, after: btoa("cursor:1") });
    assert.match(bad.errors[0].message, /Invalid cursor/);
  }, clock.now);
});

Deno.test("visits filter by status and assignee, sort descending, and honour a timezone", async () => {
  const clock = manualClock(Date.UTC(2026, 4, 12, 15));
  await withSandbox(LONG_TOKENS, async (s) => {
    const t = await connect(s);
    // Team members of their own, so the seeded jobs' assignments stay out of the way.
    const addUser = async (firstName: string) =>
      (await control(s, "POST", `/accounts/${t.accountId}/users`, { firstName, lastName: "Test" })).body;
    const a = await addUser("Ann");
    const b = await addUser("Bo");
    const job = await newJob(s, t, { visits: 3, assignedUserIds: [a.id] });
    const other = await newJob(s, t, { visits: 1, assignedUserIds: [b.id] });
    await control(s, "POST", `/visits/${job.visits[0]!.id}/complete`);
    const byA = await gql(
      s,
      t.access_token,
      `query($u: EncodedId) { visits(first: 20, filter: { assignedTo: $u }, sort: [{ key: START_AT, direction: DESCENDING }]) { nodes { id } } }`,
      { u: a.id },
    );
    const ids = byA.data.visits.nodes.map((n: { id: string }) => n.id);
    assert.deepEqual(ids, job.visits.map((v) => v.id).reverse());
    assert.ok(!ids.includes(other.visits[0]!.id));
    const done = await gql(
      s,
      t.access_token,
      `{ visits(first: 50, filter: { status: COMPLETED }) { nodes { isComplete } } }`,
    );
    assert.ok(done.data.visits.nodes.length >= 1);
    assert.ok(done.data.visits.nodes.every((n: { isComplete: boolean }) => n.isComplete));
    // 01:00 UTC tomorrow is still this evening in Honolulu (UTC-10).
    const evening = await newJob(s, t, { startAt: "2026-05-13T01:00:00Z" });
    const zoned = await gql(
      s,
      t.access_token,
      `query($id: EncodedId!) { visit(id: $id) { utc: visitStatus honolulu: visitStatus(timezone: "Pacific/Honolulu") } }`,
      { id: evening.visits[0]!.id },
    );
    assert.deepEqual(zoned.data.visit, { utc: "UPCOMING", honolulu: "TODAY" });
    const today = await gql(
      s,
      t.access_token,
      `{ visits(first: 50, timezone: "Pacific/Honolulu", filter: { status: TODAY }) { nodes { id } } }`,
    );
    assert.ok(today.data.visits.nodes.some((n: { id: string }) => n.id === evening.visits[0]!.id));
    const badZone = await gql(
      s,
      t.access_token,
      `{ visits(first: 1, timezone: "Mars/Olympus") { nodes { id } } }`,
    );
    assert.match(badZone.errors[0].message, /Invalid timezone/);
  }, clock.now);
});

Deno.test("jobs filter by status, jobType and searchTerm; visitsInfo counts what is left", async () => {
  await withSandbox(LONG_TOKENS, async (s) => {
    const t = await connect(s);
    const recurring = await newJob(s, t, { title: "Pool service", visits: 3 });
    await control(s, "POST", `/visits/${recurring.visits[0]!.id}/complete`);
    const body = await gql(
      s,
      t.access_token,
      `{
        recurring: jobs(first: 50, filter: { jobType: RECURRING }) { nodes { id jobType } }
        closed: jobs(first: 50, filter: { status: requires_invoicing }) { nodes { jobStatus } }
        active: jobs(first: 50, filter: { status: active }) { nodes { jobStatus } }
        search: jobs(first: 5, searchTerm: "pool serv") { nodes { id visitsInfo { incompleteTotal futureCount pastCount scheduledCount unscheduledCount } } }
      }`,
    );
    assert.equal(body.errors, undefined);
    assert.ok(body.data.recurring.nodes.some((n: { id: string }) => n.id === recurring.id));
    assert.ok(body.data.recurring.nodes.every((n: { jobType: string }) => n.jobType === "RECURRING"));
    assert.ok(body.data.closed.nodes.length >= 1);
    assert.ok(
      body.data.closed.nodes.every((n: { jobStatus: string }) => n.jobStatus === "requires_invoicing"),
    );
    assert.ok(body.data.active.nodes.length >= 2);
    assert.ok(
      body.data.active.nodes.every((n: { jobStatus: string }) =>
        !["requires_invoicing", "archived"].includes(n.jobStatus)
      ),
    );
    assert.deepEqual(body.data.search.nodes, [{
      id: recurring.id,
      visitsInfo: {
        incompleteTotal: 2,
        futureCount: 2,
        pastCount: 0,
        scheduledCount: 2,
        unscheduledCount: 0,
      },
    }]);
  });
});

Deno.test("user and assignedUsers expose the account's team; the connecting user is the owner", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    const body = await gql(s, t.access_token, `{ user { id isAccountOwner isCurrentUser name { full } } }`);
    assert.deepEqual(body.data.user, {
      id: encodeId("User", 1),
      isAccountOwner: true,
      isCurrentUser: true,
      name: { full: "Sam Sparkle" },
    });
    const added = await control(s, "POST", `/accounts/${t.accountId}/users`, {
      firstName: "Rosa",
      lastName: "Díaz",
    });
    assert.equal(added.status, 201);
    const rosa = await gql(
      s,
      t.access_token,
      `query($id: EncodedId) { user(id: $id) { name { full } isAccountOwner isCurrentUser email { raw } } }`,
      { id: added.body.id },
    );
    assert.deepEqual(rosa.data.user.name, { full: "Rosa Díaz" });
    assert.equal(rosa.data.user.isAccountOwner, false);
    assert.equal(rosa.data.user.isCurrentUser, false);
    const otherAccountsUser = encodeId("User", 2);
    const hidden = await gql(s, t.access_token, `query($id: EncodedId) { user(id: $id) { id } }`, {
      id: otherAccountsUser,
    });
    assert.equal(hidden.data.user, null);
  });
});

Deno.test("properties without coordinates answer null coordinates and empty strings; billing addresses are placed too", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    const job = await newJob(s, t, {
      propertyAddress: { street1: "Lot 7", city: "Nowhere Flats", country: "Canada" },
    });
    const body = await gql(
      s,
      t.access_token,
      `query($id: EncodedId!) { job(id: $id) { property { latitude longitude address { coordinates { latitude } geoStatus } } } }`,
      { id: job.id },
    );
    assert.deepEqual(body.data.job.property, {
      latitude: "",
      longitude: "",
      address: { coordinates: null, geoStatus: "NOT_FOUND" },
    });
    const pinned = await newJob(s, t, { coordinates: { latitude: 49.9, longitude: -97.1 } });
    const point = await gql(
      s,
      t.access_token,
      `query($id: EncodedId!) { job(id: $id) { property { address { coordinates { latitude longitude latitudeString longitudeString point } geoStatus } } } }`,
      { id: pinned.id },
    );
    assert.deepEqual(point.data.job.property.address, {
      coordinates: {
        latitude: 49.9,
        longitude: -97.1,
        latitudeString: "49.9",
        longitudeString: "-97.1",
        point: "POINT (-97.1 49.9)",
      },
      geoStatus: "MANUAL_OVERRIDE",
    });
    const client = await control(s, "POST", `/accounts/${t.accountId}/clients`, {
      firstName: "Bill",
      billingAddress: { street1: "1 Main St", city: "Chicago", province: "IL", country: "United States" },
    });
    const billing = await gql(
      s,
      t.access_token,
      `query($id: EncodedId!) { client(id: $id) { billingAddress { latitude longitude } } }`,
      { id: client.body.id },
    );
    assert.ok(Math.abs(Number(billing.data.client.billingAddress.latitude) - 41.8789) < 0.02);
    assert.ok(Math.abs(Number(billing.data.client.billingAddress.longitude) + 87.6359) < 0.02);
  });
});
