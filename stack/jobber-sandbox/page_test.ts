import assert from "node:assert/strict";
import { connect, control, withSandbox } from "./test_helpers.ts";

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
