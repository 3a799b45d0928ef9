import assert from "node:assert/strict";
import { encodeId } from "./ids.ts";
import type { RunningSandbox } from "./server.ts";
import { control, manualClock, withSandbox } from "./test_helpers.ts";

async function seeded(s: RunningSandbox) {
  const state = await control(s, "GET", "/state");
  const accountId: string = state.body.accounts[0].id;
  const otherId: string = state.body.accounts[1].id;
  const clients = await control(s, "GET", `/accounts/${accountId}/clients?first=3`);
  const users = await control(s, "GET", `/accounts/${accountId}/users`);
  const otherUsers = await control(s, "GET", `/accounts/${otherId}/users`);
  return {
    accountId,
    otherId,
    clientId: clients.body.clients[0].id as string,
    client: clients.body.clients[0],
    users: users.body.users as Array<{ id: string; name: string; isAccountOwner: boolean }>,
    otherUserId: otherUsers.body.users[0].id as string,
  };
}

Deno.test("creating a job takes visits, total, technicians, a place or an address or a pin, and answers the job", async () => {
  const clock = manualClock(Date.UTC(2026, 5, 1, 12));
  await withSandbox({}, async (s) => {
    const f = await seeded(s);
    const tech = f.users.find((u) => !u.isAccountOwner)!;
    const res = await control(s, "POST", `/accounts/${f.accountId}/jobs`, {
      clientId: f.clientId,
      title: "Fortnightly clean",
      visits: 3,
      intervalDays: 14,
      total: 360,
      assignedUserIds: [tech.id],
      place: "halifax",
      startAt: "2026-07-01T13:00:00-03:00",
    });
    assert.equal(res.status, 201);
    const job = res.body;
    assert.equal(job.title, "Fortnightly clean");
    assert.equal(job.jobType, "RECURRING");
    assert.equal(job.jobStatus, "upcoming");
    assert.equal(job.total, 360);
    assert.equal(job.completedAt, null);
    assert.equal(job.clientId, f.clientId);
    assert.equal(job.property.address.city, "Halifax");
    assert.equal(job.property.geoStatus, "FOUND");
    assert.ok(Math.abs(job.property.coordinates.latitude - 44.6478) < 0.02);
    assert.deepEqual(job.visits.map((v: { startAt: string }) => v.startAt), [
      "2026-07-01T16:00:00Z",
      "2026-07-15T16:00:00Z",
      "2026-07-29T16:00:00Z",
    ]);
    assert.deepEqual(job.visits.map((v: { isLastScheduledVisit: boolean }) => v.isLastScheduledVisit), [
      false,
      false,
      true,
    ]);
    assert.deepEqual(job.visits[0].assignedUsers, [{ id: tech.id, name: tech.name }]);
    assert.deepEqual((await control(s, "GET", `/jobs/${job.id}`)).body, job);
    const listed = await control(s, "GET", `/accounts/${f.accountId}/jobs`);
    assert.equal(listed.body.jobs.at(-1).id, job.id);

    const pinned = await control(s, "POST", `/accounts/${f.accountId}/jobs`, {
      clientId: f.clientId,
      title: "Pinned",
      propertyAddress: { street1: "Box 12", city: "Tuktoyaktuk", province: "NT", country: "Canada" },
      coordinates: { latitude: 69.4454, longitude: -133.0342 },
    });
    assert.deepEqual(pinned.body.property.coordinates, { latitude: 69.4454, longitude: -133.0342 });
    assert.equal(pinned.body.property.geoStatus, "MANUAL_OVERRIDE");
    assert.equal(pinned.body.jobType, "ONE_OFF");
    const reused = await control(s, "POST", `/accounts/${f.accountId}/jobs`, {
      clientId: f.clientId,
      title: "Same place",
      propertyId: pinned.body.property.id,
    });
    assert.equal(reused.body.property.id, pinned.body.property.id);
    const none = await control(s, "POST", `/accounts/${f.accountId}/jobs`, {
      clientId: f.clientId,
      title: "No pin",
      propertyAddress: { street1: "Box 12", city: "Tuktoyaktuk", country: "Canada" },
      coordinates: null,
    });
    assert.deepEqual([none.body.property.coordinates, none.body.property.geoStatus], [null, "NOT_FOUND"]);
  }, clock.now);
});

Deno.test("bad job requests answer 400 naming the field, unknown accounts and jobs 404", async () => {
  await withSandbox({}, async (s) => {
    const f = await seeded(s);
    const post = (body: Record<string, unknown>) =>
      control(s, "POST", `/accounts/${f.accountId}/jobs`, { clientId: f.clientId, title: "T", ...body });
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ clientId: "nope" }, /^clientId: no client "nope"/],
      [{ clientId: encodeId("Client", 999_999) }, /^clientId/],
      [{ visits: 0 }, /^visits/],
      [{ visits: 53 }, /^visits/],
      [{ total: -1 }, /^total/],
      [{ assignedUserIds: [f.otherUserId] }, /^assignedUserIds: no user/],
      [{ propertyId: encodeId("Property", 999_999) }, /^propertyId: no property/],
      [{ place: "atlantis" }, /^place/],
      [{ place: "denver", propertyAddress: { city: "X" } }, /^propertyId: give at most one/],
      [{ startAt: "next tuesday" }, /^startAt/],
      [{ coordinates: { latitude: 91, longitude: 0 } }, /^coordinates\.latitude/],
      [{ colour: "red" }, /colour/],
      [{ title: "" }, /^title/],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, "invalid_request");
      assert.match(res.body.error.message, message, JSON.stringify(body));
    }
    assert.equal((await control(s, "GET", "/accounts/999/jobs")).status, 404);
    assert.equal((await control(s, "GET", `/jobs/${encodeId("Job", 999)}`)).status, 404);
    assert.equal((await control(s, "DELETE", "/jobs/999")).status, 404);
    assert.equal((await control(s, "POST", "/visits/999/complete")).status, 404);
    const wrongMethod = await control(s, "PATCH", "/jobs/1");
    assert.equal(wrongMethod.status, 405);
  });
});

Deno.test("actions that do not apply to the job's state answer 409 and change nothing", async () => {
  await withSandbox({}, async (s) => {
    const f = await seeded(s);
    const job =
      (await control(s, "POST", `/accounts/${f.accountId}/jobs`, { clientId: f.clientId, title: "T" }))
        .body;
    const visit = job.visits[0].id;
    assert.equal((await control(s, "POST", `/jobs/${job.id}/reopen`)).status, 409);
    const done = await control(s, "POST", `/visits/${visit}/complete`);
    assert.equal(done.status, 200);
    assert.equal(done.body.jobStatus, "action_required");
    const again = await control(s, "POST", `/visits/${visit}/complete`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, "conflict");
    assert.equal((await control(s, "POST", `/jobs/${job.id}/complete`)).status, 409);
    const closed = await control(s, "POST", `/jobs/${job.id}/close`, { status: "archived" });
    assert.equal(closed.body.jobStatus, "archived");
    const closedAgain = await control(s, "POST", `/jobs/${job.id}/close`);
    assert.equal(closedAgain.status, 409);
    assert.deepEqual((await control(s, "GET", `/jobs/${job.id}`)).body, closed.body);
    const reopened = await control(s, "POST", `/jobs/${job.id}/reopen`);
    assert.deepEqual([reopened.body.jobStatus, reopened.body.completedAt], ["action_required", null]);
    assert.ok(reopened.body.updatedAt > closed.body.updatedAt);
    const badStatus = await control(s, "POST", `/jobs/${job.id}/close`, { status: "done" });
    assert.equal(badStatus.status, 400);
  });
});

Deno.test("deleting a job answers its id; then it is gone from every route", async () => {
  await withSandbox({}, async (s) => {
    const f = await seeded(s);
    const before = (await control(s, "GET", "/state")).body.accounts[0].jobs;
    const job = (await control(s, "POST", `/accounts/${f.accountId}/jobs`, {
      clientId: f.clientId,
      title: "T",
      visits: 2,
    })).body;
    assert.deepEqual((await control(s, "DELETE", `/jobs/${job.id}`)).body, { deleted: job.id });
    assert.equal((await control(s, "GET", `/jobs/${job.id}`)).status, 404);
    assert.equal((await control(s, "POST", `/visits/${job.visits[1].id}/complete`)).status, 404);
    assert.equal((await control(s, "DELETE", `/jobs/${job.id}`)).status, 404);
    assert.equal((await control(s, "GET", "/state")).body.accounts[0].jobs, before);
  });
});

Deno.test("team members: the seed's, listed per account, and new ones added with validation", async () => {
  await withSandbox({}, async (s) => {
    const f = await seeded(s);
    assert.deepEqual(f.users.map((u) => [u.name, u.isAccountOwner]), [
      ["Sam Sparkle", true],
      ["Priya Natarajan", false],
      ["Marcus O'Neil", false],
    ]);
    const state = await control(s, "GET", "/state");
    assert.deepEqual(state.body.accounts.map((a: { users: number }) => a.users), [3, 2]);
    const added = await control(s, "POST", `/accounts/${f.accountId}/users`, {
      firstName: "Lee",
      lastName: "Wong",
      email: "lee@example.com",
    });
    assert.equal(added.status, 201);
    assert.equal(added.body.name, "Lee Wong");
    assert.equal(added.body.isAccountOwner, false);
    const job = await control(s, "POST", `/accounts/${f.accountId}/jobs`, {
      clientId: f.clientId,
      title: "With Lee",
      assignedUserIds: [added.body.id],
    });
    assert.equal(job.status, 201);
    assert.equal((await control(s, "POST", `/accounts/${f.accountId}/users`, { lastName: "X" })).status, 400);
    assert.equal(
      (await control(s, "POST", `/accounts/${f.accountId}/users`, { firstName: "X", email: "no" })).status,
      400,
    );
    assert.equal((await control(s, "GET", "/accounts/999/users")).status, 404);
  });
});

Deno.test("the places route lists the cities the geocoder knows with their time zones", async () => {
  await withSandbox({}, async (s) => {
    const res = await control(s, "GET", "/places");
    const denver = res.body.places.find((p: { key: string }) => p.key === "denver");
    assert.equal(denver.timeZone, "America/Denver");
    assert.equal(denver.address.city, "Denver");
    assert.ok(res.body.places.length >= 15);
  });
});

Deno.test("reset with a seed brings back the seeded jobs and the same team", async () => {
  await withSandbox({}, async (s) => {
    const f = await seeded(s);
    const jobs = (await control(s, "GET", `/accounts/${f.accountId}/jobs`)).body.jobs;
    await control(s, "POST", `/accounts/${f.accountId}/jobs`, { clientId: f.clientId, title: "Extra" });
    await control(s, "DELETE", `/jobs/${jobs[0].id}`);
    await control(s, "POST", "/reset", { seed: 1 });
    const again = (await control(s, "GET", `/accounts/${f.accountId}/jobs`)).body.jobs;
    const shape = (list: Array<Record<string, unknown>>) =>
      list.map((j) => [j.id, j.title, j.jobStatus, j.total, (j.property as { id: string }).id]);
    assert.deepEqual(shape(again), shape(jobs));
    assert.deepEqual((await control(s, "GET", `/accounts/${f.accountId}/users`)).body.users, f.users);
  });
});
