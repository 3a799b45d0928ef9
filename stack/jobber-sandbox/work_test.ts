import assert from "node:assert/strict";
import type { ChangeEvent } from "./store.ts";
import { Store } from "./store.ts";
import { resetStore } from "./seed.ts";
import {
  closeJob,
  completeJob,
  completeVisit,
  createJob,
  deleteJob,
  isLastScheduledVisit,
  jobStatus,
  reopenJob,
  visitsInfo,
  visitsOf,
  visitStatus,
  WorkError,
} from "./work.ts";

const DAY = 24 * 3600 * 1000;
const T0 = Date.UTC(2026, 4, 12, 15, 0, 0, 250);

/** A store on a clock the test moves, with one account, one client and the events it fires. */
function fixture() {
  let now = T0;
  const store = new Store(() => now);
  const account = store.createAccount("Test Co.");
  const client = store.createClient(account.id, {
    firstName: "Ada",
    propertyAddress: { street1: "1 Main St", city: "Denver", province: "CO", country: "United States" },
  });
  const tech = store.addUser(account.id, { firstName: "Tess", lastName: "Tech" });
  const events: ChangeEvent[] = [];
  store.onChange((e) => events.push(e));
  return {
    store,
    account,
    client,
    tech,
    events,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const topics = (events: ChangeEvent[]) => events.map((e) => `${e.topic}:${e.itemType}/${e.itemId}`);

Deno.test("a job with four visits is recurring, weekly from its start, and only the latest is the last scheduled", () => {
  const f = fixture();
  const job = createJob(f.store, f.account.id, {
    clientId: f.client.id,
    title: "Weekly clean",
    visits: 4,
    total: 420.5,
    assignedUserIds: [f.tech.id],
  });
  const visits = visitsOf(f.store, job);
  assert.equal(job.jobType, "RECURRING");
  assert.equal(job.total, 420.5);
  assert.equal(visits.length, 4);
  assert.deepEqual(visits.map((v) => v.startAt - T0), [1, 8, 15, 22].map((d) => d * DAY));
  assert.deepEqual(visits.map((v) => isLastScheduledVisit(f.store, v)), [false, false, false, true]);
  assert.ok(visits.every((v) => v.assignedUserIds.length === 1 && v.assignedUserIds[0] === f.tech.id));
  assert.equal(jobStatus(f.store, job), "upcoming");
  assert.deepEqual(topics(f.events), [`JOB_CREATE:Job/${job.id}`]);
  const oneOff = createJob(f.store, f.account.id, { clientId: f.client.id, title: "Once" });
  assert.equal(oneOff.jobType, "ONE_OFF");
  assert.equal(oneOff.jobNumber, job.jobNumber + 1);
});

Deno.test("completing visits one by one fires VISIT_COMPLETE then JOB_UPDATE each time and ends action_required", () => {
  const f = fixture();
  const job = createJob(f.store, f.account.id, { clientId: f.client.id, title: "Mow", visits: 2 });
  const [v1, v2] = visitsOf(f.store, job);
  f.events.length = 0;
  completeVisit(f.store, v1!.id);
  assert.deepEqual(topics(f.events), [`VISIT_COMPLETE:Visit/${v1!.id}`, `JOB_UPDATE:Job/${job.id}`]);
  assert.equal(visitStatus(v1!, f.store.now()), "COMPLETED");
  assert.equal(jobStatus(f.store, job), "upcoming");
  assert.equal(job.completedAt, null, "a finished visit does not close the job");
  assert.deepEqual(visitsInfo(f.store, job), {
    incompleteTotal: 1,
    pastCount: 0,
    futureCount: 1,
    scheduledCount: 1,
    unscheduledCount: 0,
  });
  assert.throws(() => completeVisit(f.store, v1!.id), (e) => e instanceof WorkError && e.kind === "conflict");
  completeVisit(f.store, v2!.id);
  assert.equal(jobStatus(f.store, job), "action_required");
  assert.throws(() => completeJob(f.store, job.id), (e) => e instanceof WorkError && e.kind === "conflict");
});

Deno.test("completing a job completes only the visits still open, one VISIT_COMPLETE each", () => {
  const f = fixture();
  const job = createJob(f.store, f.account.id, { clientId: f.client.id, title: "Mow", visits: 3 });
  const [v1, v2, v3] = visitsOf(f.store, job);
  completeVisit(f.store, v1!.id);
  const firstDone = v1!.completedAt;
  f.events.length = 0;
  f.advance(60_000);
  completeJob(f.store, job.id);
  assert.deepEqual(topics(f.events), [
    `VISIT_COMPLETE:Visit/${v2!.id}`,
    `VISIT_COMPLETE:Visit/${v3!.id}`,
    `JOB_UPDATE:Job/${job.id}`,
  ]);
  assert.equal(v1!.completedAt, firstDone);
  assert.equal(v2!.completedAt, T0 + 60_000);
});

Deno.test("close, reopen and close again: JOB_CLOSED + JOB_UPDATE, then JOB_UPDATE, completedAt set and cleared", () => {
  const f = fixture();
  const job = createJob(f.store, f.account.id, { clientId: f.client.id, title: "Fix" });
  completeJob(f.store, job.id);
  f.events.length = 0;
  closeJob(f.store, job.id, "archived");
  assert.equal(jobStatus(f.store, job), "archived");
  assert.equal(job.completedAt, T0);
  assert.deepEqual(topics(f.events), [`JOB_CLOSED:Job/${job.id}`, `JOB_UPDATE:Job/${job.id}`]);
  assert.throws(() => closeJob(f.store, job.id), (e) => e instanceof WorkError && e.kind === "conflict");
  f.events.length = 0;
  reopenJob(f.store, job.id);
  assert.deepEqual(topics(f.events), [`JOB_UPDATE:Job/${job.id}`]);
  assert.equal(job.completedAt, null);
  assert.equal(jobStatus(f.store, job), "action_required");
  assert.notEqual(visitsOf(f.store, job)[0]!.completedAt, null, "reopening keeps the finished visit");
  assert.throws(() => reopenJob(f.store, job.id), (e) => e instanceof WorkError && e.kind === "conflict");
  closeJob(f.store, job.id);
  assert.equal(jobStatus(f.store, job), "requires_invoicing");
});

Deno.test("updatedAt moves to a later second on every change, even within one second, and events carry it", () => {
  const f = fixture();
  const job = createJob(f.store, f.account.id, { clientId: f.client.id, title: "Fast", visits: 2 });
  const stamps = [job.updatedAt];
  completeVisit(f.store, visitsOf(f.store, job)[0]!.id);
  stamps.push(job.updatedAt);
  closeJob(f.store, job.id);
  stamps.push(job.updatedAt);
  reopenJob(f.store, job.id);
  stamps.push(job.updatedAt);
  const seconds = stamps.map((s) => Math.floor(s / 1000));
  assert.deepEqual(seconds, [0, 1, 2, 3].map((d) => Math.floor(T0 / 1000) + d));
  const jobEvents = f.events.filter((e) => e.itemType === "Job");
  assert.deepEqual(jobEvents.map((e) => e.at), [stamps[0], stamps[1], stamps[2], stamps[2], stamps[3]]);
  // Once the clock has moved on, updatedAt is simply now again.
  f.advance(10_000);
  closeJob(f.store, job.id);
  assert.equal(job.updatedAt, T0 + 10_000);
  const first = f.store.updateClient(f.client.id, { lastName: "B" })!.updatedAt;
  const second = f.store.updateClient(f.client.id, { lastName: "C" })!.updatedAt;
  assert.equal(Math.floor(second / 1000), Math.floor(first / 1000) + 1, "clients too");
});

Deno.test("deleting a job fires JOB_DESTROY and removes its visits; deleting a client deletes its jobs first", () => {
  const f = fixture();
  const a = createJob(f.store, f.account.id, { clientId: f.client.id, title: "A", visits: 2 });
  const b = createJob(f.store, f.account.id, { clientId: f.client.id, title: "B" });
  const visitIds = [...a.visitIds];
  f.events.length = 0;
  deleteJob(f.store, a.id);
  assert.deepEqual(topics(f.events), [`JOB_DESTROY:Job/${a.id}`]);
  assert.equal(f.store.jobs.has(a.id), false);
  assert.ok(visitIds.every((id) => !f.store.visits.has(id)));
  assert.deepEqual(f.store.listJobs(f.account.id).map((j) => j.id), [b.id]);
  f.events.length = 0;
  f.store.deleteClient(f.client.id);
  assert.deepEqual(topics(f.events), [`JOB_DESTROY:Job/${b.id}`, `CLIENT_DESTROY:Client/${f.client.id}`]);
});

Deno.test("a job's property: the client's geocoded one, a new address, a hand-placed pin, or none", () => {
  const f = fixture();
  const plain = createJob(f.store, f.account.id, { clientId: f.client.id, title: "Plain" });
  const home = f.store.properties.get(plain.propertyId)!;
  assert.equal(home.geoStatus, "FOUND");
  assert.ok(Math.abs(home.coordinates!.latitude - 39.7393) < 0.02);
  const rural = createJob(f.store, f.account.id, {
    clientId: f.client.id,
    title: "Rural",
    propertyAddress: { street1: "Box 9", city: "Nowhere Flats", province: "SK", country: "Canada" },
  });
  assert.deepEqual(
    [
      f.store.properties.get(rural.propertyId)!.coordinates,
      f.store.properties.get(rural.propertyId)!.geoStatus,
    ],
    [null, "NOT_FOUND"],
  );
  const pinned = createJob(f.store, f.account.id, {
    clientId: f.client.id,
    title: "Pinned",
    propertyAddress: { street1: "Box 9", city: "Nowhere Flats", province: "SK", country: "Canada" },
    coordinates: { latitude: 50.1, longitude: -105.2 },
  });
  const pin = f.store.properties.get(pinned.propertyId)!;
  assert.deepEqual([pin.coordinates, pin.geoStatus], [
    { latitude: 50.1, longitude: -105.2 },
    "MANUAL_OVERRIDE",
  ]);
  assert.equal(f.client.properties.length, 3);
  const same = createJob(f.store, f.account.id, { clientId: f.client.id, title: "Same", propertyId: pin.id });
  assert.equal(same.propertyId, pin.id);
  assert.throws(
    () => createJob(f.store, f.account.id, { clientId: f.client.id, title: "X", propertyId: 999 }),
    (e) => e instanceof WorkError && e.kind === "invalid" && /propertyId/.test(e.message),
  );
});

Deno.test("a job refuses another account's client or user and a visit count out of range", () => {
  const f = fixture();
  const other = f.store.createAccount("Other");
  const stranger = f.store.addUser(other.id, { firstName: "Stan", lastName: "Ger" });
  const invalid = (fn: () => unknown, field: RegExp) =>
    assert.throws(fn, (e) => e instanceof WorkError && e.kind === "invalid" && field.test(e.message));
  invalid(() => createJob(f.store, other.id, { clientId: f.client.id, title: "X" }), /clientId/);
  invalid(
    () =>
      createJob(f.store, f.account.id, { clientId: f.client.id, title: "X", assignedUserIds: [stranger.id] }),
    /assignedUserIds/,
  );
  invalid(() => createJob(f.store, f.account.id, { clientId: f.client.id, title: "X", visits: 0 }), /visits/);
  invalid(
    () => createJob(f.store, f.account.id, { clientId: f.client.id, title: "X", visits: 53 }),
    /visits/,
  );
});

Deno.test("an open job is late, today or upcoming from its next visit", () => {
  const f = fixture();
  const job = createJob(f.store, f.account.id, {
    clientId: f.client.id,
    title: "Soon",
    visits: 2,
    startAt: T0 + 3600_000,
  });
  const [v1] = visitsOf(f.store, job);
  assert.equal(visitStatus(v1!, f.store.now()), "TODAY");
  assert.equal(jobStatus(f.store, job), "today");
  f.advance(3600_000 + 60_000);
  assert.equal(visitStatus(v1!, f.store.now()), "ACTIVE");
  f.advance(3 * 3600_000);
  assert.equal(visitStatus(v1!, f.store.now()), "LATE");
  assert.equal(jobStatus(f.store, job), "late");
  // In Honolulu (UTC-10) a visit at 01:00 UTC tomorrow is still today.
  const evening = createJob(f.store, f.account.id, {
    clientId: f.client.id,
    title: "Evening",
    startAt: Date.UTC(2026, 4, 13, 1, 0),
  });
  const v = visitsOf(f.store, evening)[0]!;
  assert.equal(visitStatus(v, f.store.now(), "UTC"), "UPCOMING");
  assert.equal(visitStatus(v, f.store.now(), "Pacific/Honolulu"), "TODAY");
});

Deno.test("the seed gives each account team members and jobs in every state, on properties with and without coordinates", () => {
  const store = new Store(() => T0);
  resetStore(store, 1);
  for (const accountId of [1, 2]) {
    const users = store.listUsers(accountId);
    assert.ok(users.length >= 2 && users.length <= 3, `account ${accountId} has ${users.length} users`);
    assert.equal(users.filter((u) => u.isOwner).length, 1);
    const jobs = store.listJobs(accountId);
    const statuses = new Set(jobs.map((j) => jobStatus(store, j)));
    for (const s of ["upcoming", "action_required", "requires_invoicing"]) {
      assert.ok(statuses.has(s as never), s);
    }
    const recurring = jobs.find((j) => j.jobType === "RECURRING")!;
    const visits = visitsOf(store, recurring);
    assert.ok(visits.some((v) => v.completedAt !== null) && visits.some((v) => v.completedAt === null));
    assert.ok(jobs.every((j) => visitsOf(store, j).every((v) => v.assignedUserIds.length > 0)));
    const properties = jobs.map((j) => store.properties.get(j.propertyId)!);
    assert.ok(properties.some((p) => p.coordinates === null && p.geoStatus === "NOT_FOUND"));
    assert.ok(new Set(properties.filter((p) => p.coordinates).map((p) => p.address.city)).size >= 3);
    assert.ok(jobs.every((j) => j.total > 0));
  }
  const again = new Store(() => T0);
  resetStore(again, 1);
  const shape = (s: Store) =>
    [...s.jobs.values()].map((j) => [j.title, j.clientId, j.propertyId, j.visitIds, j.closedStatus]);
  assert.deepEqual(shape(again), shape(store), "the same seed gives the same jobs");
});
