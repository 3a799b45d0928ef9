// review-link against the real database: a click is recorded and redirected to the business's
// review page, follow-ups stop; unknown or malformed tokens, previews and HEAD record nothing.
import assert from "node:assert/strict";
import { APP_ORIGIN, dbTestFactory, type DbHarness, env, functionUrl, JOBBER, noJobber, stubbedRuntime } from "../_shared/testing_db.ts";
import { createHandler } from "./handler.ts";

interface Ctx {
  h: DbHarness;
  logs: string[];
  handle: (req: Request) => Promise<Response>;
}

const dbTest = dbTestFactory<Ctx>((h) => {
  const logs: string[] = [];
  const rt = h.track(stubbedRuntime({ ...env, APP_ORIGIN, JOBBER_API_BASE: JOBBER }, noJobber("review-link"), logs));
  return { h, logs, handle: createHandler(rt) };
});

/** A request asked by text, its first message out, the follow-up waiting. */
async function askedRequest(h: DbHarness) {
  const { businessId } = await h.business();
  await h.admin`
    insert into public.integrations_jobber (business_id, access_token_secret_id, refresh_token_secret_id, account_id,
                                            account_name, connection_status, connected_at)
    values (${businessId}, gen_random_uuid(), gen_random_uuid(), ${`acct-${businessId}`}, 'Link Jobber', 'connected', now())`;
  await h.admin`
    update public.review_settings set enabled = true, review_url = 'https://g.page/r/brightside/review', delay_minutes = 60,
      follow_ups = 1, send_window_start = '00:00', send_window_end = '23:59:59'
    where business_id = ${businessId}`;
  const [c] = await h.admin<{ id: string }[]>`
    insert into public.customers (business_id, source, external_id, full_name, phone)
    values (${businessId}, 'jobber', ${`client-${crypto.randomUUID()}`}, 'Jane Doe', '+12025550199') returning id`;
  const [j] = await h.admin<{ id: string }[]>`
    insert into public.jobs (business_id, external_id, customer_id, title)
    values (${businessId}, ${`job-${crypto.randomUUID()}`}, ${c!.id}, 'Window cleaning') returning id`;
  await h.admin`
    insert into public.job_completions (business_id, job_id, customer_id, kind, completed_at, source)
    values (${businessId}, ${j!.id}, ${c!.id}, 'job_closed', now(), 'webhook')`;
  const [r] = await h.admin<{ id: string; link_token: string }[]>`
    select id, link_token from public.review_requests where job_id = ${j!.id}`;
  const [m] = await h.admin<{ id: string }[]>`select id from public.review_messages where request_id = ${r!.id} and step = 0`;
  await h.admin`select private.review_message_advance(${m!.id}, 'sending')`;
  await h.admin`select private.review_message_advance(${m!.id}, 'queued', null, null, null, 'twilio', ${`SM${"b".repeat(32)}`})`;
  return { requestId: r!.id, token: r!.link_token };
}

const get = (query: string, headers: Record<string, string> = {}, method = "GET") =>
  new Request(`${functionUrl("review-link")}${query}`, { method, headers });

async function state(h: DbHarness, requestId: string) {
  const [r] = await h.admin<{ state: string; click_count: number; clicked_at: Date | null }[]>`
    select state, click_count, clicked_at from public.review_requests where id = ${requestId}`;
  const ms = await h.admin<{ step: number; status: string; cancel_reason: string | null }[]>`
    select step, status, cancel_reason from public.review_messages where request_id = ${requestId} order by step`;
  return { ...r!, messages: ms.map((m) => [m.step, m.status, m.cancel_reason]) };
}

dbTest("a click answers 302 to the review page, records the click and cancels the waiting follow-up", async ({ h, handle, logs }) => {
  const { requestId, token } = await askedRequest(h);
  const res = await handle(get(`?t=${token}`, { "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)" }));
  assert.equal(res.status, 302);
  assert.equal(res.headers.get("location"), "https://g.page/r/brightside/review");
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.equal(res.headers.get("referrer-policy"), "no-referrer");
  const first = await state(h, requestId);
  assert.equal(first.state, "clicked");
  assert.equal(first.click_count, 1);
  assert.ok(first.clicked_at);
  assert.deepEqual(first.messages, [[0, "queued", null], [1, "cancelled", "clicked"]]);

  await handle(get(`?t=${token}`));
  const second = await state(h, requestId);
  assert.equal(second.click_count, 2);
  assert.equal(second.clicked_at?.getTime(), first.clicked_at!.getTime(), "the first click's time is kept");
  assert.ok(logs.every((line) => !line.includes(token)), "the token never reaches the log");
});

dbTest("unknown and malformed tokens go to APP_ORIGIN and record nothing", async ({ h, handle }) => {
  const { requestId, token } = await askedRequest(h);
  for (const query of ["?t=AAAAAAAAAAAAAAAAAAAAAA", "", "?t=short", `?t=${token}&t=${token}`, `?t=${token}x`]) {
    const res = await handle(get(query));
    assert.equal(res.status, 302, query);
    assert.equal(res.headers.get("location"), `${APP_ORIGIN}/`, query);
  }
  const after = await state(h, requestId);
  assert.equal(after.click_count, 0);
  assert.equal(after.state, "in_progress");
});

dbTest("HEAD, prefetches and link-preview bots get the redirect but are not clicks", async ({ h, handle }) => {
  const { requestId, token } = await askedRequest(h);
  const previews: Array<[Record<string, string>, string]> = [
    [{}, "HEAD"],
    [{ "user-agent": "facebookexternalhit/1.1 Facebot Twitterbot/1.0" }, "GET"], // iMessage's preview
    [{ "user-agent": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)" }, "GET"],
    [{ "user-agent": "WhatsApp/2.23.20.0 A" }, "GET"],
    [{ "user-agent": "Mozilla/5.0", "sec-purpose": "prefetch" }, "GET"],
  ];
  for (const [headers, method] of previews) {
    const res = await handle(get(`?t=${token}`, headers, method));
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), "https://g.page/r/brightside/review");
  }
  const after = await state(h, requestId);
  assert.equal(after.click_count, 0);
  assert.deepEqual(after.messages, [[0, "queued", null], [1, "scheduled", null]]);
});

dbTest("review-link answers only GET and HEAD", async ({ handle }) => {
  const res = await handle(get("?t=AAAAAAAAAAAAAAAAAAAAAA", {}, "POST"));
  assert.equal(res.status, 405);
  assert.equal((await res.json()).error.code, "method_not_allowed");
});
