import assert from "node:assert/strict";
import { connect, control, receiver, withSandbox } from "./test_helpers.ts";

Deno.test("the home page lists accounts and jobs with escaped names and action buttons", async () => {
  await withSandbox({}, async (s) => {
    const state = await control(s, "GET", "/state");
    await control(s, "POST", `/accounts/${state.body.accounts[0].id}/clients`, {
      firstName: "<script>x</script>",
    });
    const page = await (await fetch(`${s.url}/`)).text();
    assert.match(page, /Sparkle Cleaning Co\./);
    assert.match(page, />Install from Marketplace</);
    assert.match(page, />Complete</);
    assert.match(page, />Close</);
    assert.match(page, />Reopen</);
    assert.ok(!page.includes("<script>x</script>"));
  });
});

Deno.test("the page's buttons close a job and disconnect the app", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    const job = s.sandbox.store.listJobs(1)[0]!;
    const jobId = btoa(`gid://Jobber/Job/${job.id}`);
    const closed = await fetch(`${s.url}/ui/jobs/${jobId}/close`, { method: "POST", redirect: "manual" });
    assert.equal(closed.status, 303);
    assert.equal(job.closedStatus, "requires_invoicing");
    const page = await (await fetch(`${s.url}/`)).text();
    assert.match(page, />Disconnect app</);
    const off = await fetch(`${s.url}/ui/accounts/${t.accountId}/disconnect`, {
      method: "POST",
      redirect: "manual",
    });
    assert.equal(off.status, 303);
    assert.equal((await control(s, "GET", "/state")).body.accounts[0].connected, false);
  });
});

Deno.test("Install from Marketplace goes through consent and reaches the callback without state", async () => {
  await withSandbox({}, async (s) => {
    const state = await control(s, "GET", "/state");
    const green = state.body.accounts[1].id;
    const q = new URLSearchParams({
      response_type: "code",
      client_id: "blipp-local",
      redirect_uri: s.sandbox.options.redirectUris[0]!,
      sandbox_account: green,
    });
    const consentPage = await (await fetch(`${s.url}/api/oauth/authorize?${q}`)).text();
    assert.match(consentPage, new RegExp(`value="${green}" checked`));
    assert.ok(!consentPage.includes('name="state"'));
  });
});

const post = (s: { url: string }, path: string, form?: Record<string, string>) =>
  fetch(`${s.url}${path}`, {
    method: "POST",
    redirect: "manual",
    ...(form ? { body: new URLSearchParams(form) } : {}),
  });

Deno.test("the page shows each account's team, jobs with their property and visits, and a new-job form", async () => {
  await withSandbox({}, async (s) => {
    const page = await (await fetch(`${s.url}/`)).text();
    assert.match(page, /<h3>Team<\/h3><ul><li>Sam Sparkle <em>owner<\/em><\/li><li>Priya Natarajan<\/li>/);
    assert.match(page, /Weekly office cleaning/);
    assert.match(page, /1 of 4 done/);
    assert.match(page, /Gander Bay South, NL<br><small>no coordinates<\/small>/);
    assert.match(page, /Portland, OR<br><small>45\.\d{4}, -122\.\d{4}<\/small>/);
    assert.match(page, /aria-label="Complete visit 2 of job #4"/);
    assert.match(page, />Delete</);
    assert.match(page, /<form method="post" action="\/ui\/accounts\/[^"]+\/jobs" class="new-job"/);
    assert.match(page, /<option value="honolulu">Honolulu, HI<\/option>/);
    assert.match(page, /<option value="unplaced">/);
    // A closed job offers Reopen and no Close; an open one the reverse.
    const closedRow = /<tr data-job="[^"]+"><td>#3<\/td>[\s\S]*?<\/tr>/.exec(page)![0];
    assert.match(closedRow, />Reopen</);
    assert.doesNotMatch(closedRow, />Close</);
  });
});

Deno.test("Complete visit completes one visit and fires VISIT_COMPLETE and JOB_UPDATE", async () => {
  const hook = receiver();
  try {
    await withSandbox({ webhookUrl: hook.url }, async (s) => {
      const t = await connect(s);
      const jobs = (await control(s, "GET", `/accounts/${t.accountId}/jobs`)).body.jobs;
      const recurring = jobs.find((j: { jobType: string }) => j.jobType === "RECURRING");
      const next = recurring.visits.find((v: { isComplete: boolean }) => !v.isComplete);
      const res = await post(s, `/ui/visits/${next.id}/complete`);
      assert.equal(res.status, 303);
      assert.equal(res.headers.get("location"), "/");
      await s.sandbox.webhooks.idle();
      const topics = hook.received.map((r) => JSON.parse(r.body).data.webHookEvent)
        .map((e: { topic: string; itemId: string }) => `${e.topic} ${e.itemId}`).sort();
      assert.deepEqual(topics, [`JOB_UPDATE ${recurring.id}`, `VISIT_COMPLETE ${next.id}`]);
      const after = (await control(s, "GET", `/jobs/${recurring.id}`)).body;
      assert.equal(after.visits.find((v: { id: string }) => v.id === next.id).isComplete, true);
    });
  } finally {
    await hook.close();
  }
});

Deno.test("Reopen, Delete, and a second click on Close that changes nothing", async () => {
  const hook = receiver();
  try {
    await withSandbox({ webhookUrl: hook.url }, async (s) => {
      const t = await connect(s);
      const jobs = (await control(s, "GET", `/accounts/${t.accountId}/jobs`)).body.jobs;
      const closed = jobs.find((j: { jobStatus: string }) => j.jobStatus === "requires_invoicing");
      assert.equal((await post(s, `/ui/jobs/${closed.id}/reopen`)).status, 303);
      assert.equal((await control(s, "GET", `/jobs/${closed.id}`)).body.completedAt, null);
      assert.equal((await post(s, `/ui/jobs/${closed.id}/close`)).status, 303);
      await s.sandbox.webhooks.idle();
      const sent = hook.received.length;
      const again = await post(s, `/ui/jobs/${closed.id}/close`);
      assert.equal(again.status, 303);
      await s.sandbox.webhooks.idle();
      assert.equal(hook.received.length, sent, "no webhook for a click that changed nothing");
      assert.equal((await post(s, `/ui/jobs/${closed.id}/delete`)).status, 303);
      assert.equal((await control(s, "GET", `/jobs/${closed.id}`)).status, 404);
      assert.equal((await post(s, `/ui/jobs/${closed.id}/delete`)).status, 404);
    });
  } finally {
    await hook.close();
  }
});

Deno.test("the new-job form creates a job; a bad form is refused with fixed wording", async () => {
  await withSandbox({}, async (s) => {
    const state = await control(s, "GET", "/state");
    const account = state.body.accounts[1];
    const client = (await control(s, "GET", `/accounts/${account.id}/clients?first=2`)).body.clients[1];
    const tech = (await control(s, "GET", `/accounts/${account.id}/users`)).body.users[1];
    const before = (await control(s, "GET", `/accounts/${account.id}/jobs`)).body.jobs.length;
    const res = await post(s, `/ui/accounts/${account.id}/jobs`, {
      clientId: client.id,
      title: "Hedge <trim>",
      visits: "3",
      total: "210.50",
      assignedUserId: tech.id,
      place: "anchorage",
    });
    assert.equal(res.status, 303);
    const jobs = (await control(s, "GET", `/accounts/${account.id}/jobs`)).body.jobs;
    assert.equal(jobs.length, before + 1);
    const job = jobs.at(-1);
    assert.deepEqual(
      [job.title, job.clientId, job.total, job.jobType, job.visits.length, job.property.address.city],
      ["Hedge <trim>", client.id, 210.5, "RECURRING", 3, "Anchorage"],
    );
    assert.equal(job.visits[0].assignedUsers[0].id, tech.id);
    const unplaced = await post(s, `/ui/accounts/${account.id}/jobs`, {
      clientId: client.id,
      title: "Far away",
      place: "unplaced",
    });
    assert.equal(unplaced.status, 303);
    const far = (await control(s, "GET", `/accounts/${account.id}/jobs`)).body.jobs.at(-1);
    assert.deepEqual([far.property.coordinates, far.property.geoStatus], [null, "NOT_FOUND"]);
    const page = await (await fetch(`${s.url}/`)).text();
    assert.ok(page.includes("Hedge &lt;trim&gt;") && !page.includes("Hedge <trim>"));
    for (
      const form of [
        { clientId: "<b>nope</b>", title: "x" },
        { clientId: client.id, title: "" },
        { clientId: client.id, title: "x", visits: "99" },
        { clientId: client.id, title: "x", place: "<i>mars</i>" },
      ]
    ) {
      const bad = await post(s, `/ui/accounts/${account.id}/jobs`, form);
      assert.equal(bad.status, 400);
      const text = await bad.text();
      assert.match(text, /That job could not be created/);
      assert.ok(
        !text.includes("<b>") && !text.includes("<i>") && !text.includes("nope") && !text.includes("mars"),
      );
    }
    assert.equal((await control(s, "GET", `/accounts/${account.id}/jobs`)).body.jobs.length, before + 2);
  });
});
