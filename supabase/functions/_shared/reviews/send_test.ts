// The review sender against the real database, with Jobber and the providers stubbed by recorded
// answers (a Twilio that keeps what it accepted and lists it back, as the real one does) and a
// manual clock: nothing here sleeps. Messages are scheduled an hour ahead, so only these tests'
// clock - never the stack's own worker - finds them due.
import assert from "node:assert/strict";
import { jsonReply, manualClock, type RecordedCall, stubFetch } from "../testing.ts";
import {
  APP_ORIGIN,
  type DbHarness,
  dbTestFactory,
  env,
  GRAPHQL_URL,
  JOBBER,
  jobberAccessToken,
  stubbedRuntime,
} from "../testing_db.ts";
import { insertConnection } from "../../../../tests/support/jobber_fixtures.ts";
import { fixtureReply } from "../messaging/fixtures.ts";
import type { Runtime } from "../runtime.ts";
import { sendReviewMessages } from "./send.ts";
import { SMS_FOOTER } from "./render.ts";

const TWILIO = "https://twilio.test";
const RESEND = "https://resend.test";
const ACCOUNT = "AC00000000000000000000000000000001";
const MESSAGES_URL = `${TWILIO}/2010-04-01/Accounts/${ACCOUNT}/Messages.json`;

const PROVIDERS = {
  TWILIO_API_BASE: TWILIO,
  TWILIO_ACCOUNT_SID: ACCOUNT,
  TWILIO_AUTH_TOKEN: "twilio-token-for-tests",
  TWILIO_FROM_NUMBER: "+15005550006",
  RESEND_API_BASE: RESEND,
  RESEND_API_KEY: "re_test_key",
  RESEND_WEBHOOK_SECRET: "whsec_dGVzdC1zZWNyZXQ=",
  EMAIL_FROM: "Reviews <reviews@example.test>",
};

type JobState = { jobStatus: string; completedAt: string | null } | null;
type Scripted = (call: RecordedCall) => Response;

/** Jobber's job(id:) and a Twilio / Resend that remember what they accepted. */
class World {
  jobs = new Map<string, JobState>();
  twilioScript: Scripted[] = [];
  resendScript: Scripted[] = [];
  twilioCreated: Array<{ sid: string; to: string; body: string; created: Date }> = [];
  emails: Array<{ id: string; key: string; body: Record<string, unknown> }> = [];
  lookupsAt: Date[] = [];
  constructor(readonly clock: ReturnType<typeof manualClock>) {}

  readonly fetch = stubFetch((call) => {
    if (call.url === GRAPHQL_URL) {
      const { variables } = JSON.parse(call.body) as { variables: { jobId: string } };
      const job = this.jobs.has(variables.jobId) ? this.jobs.get(variables.jobId)! : null;
      return jsonReply(200, { data: { job: job && { id: variables.jobId, ...job } } });
    }
    if (call.url === MESSAGES_URL && call.method === "POST") {
      const scripted = this.twilioScript.shift();
      if (scripted) return scripted(call);
      const form = new URLSearchParams(call.body);
      const sid = `SM${crypto.randomUUID().replaceAll("-", "")}`;
      const created = this.clock.now();
      this.twilioCreated.push({ sid, to: form.get("To")!, body: form.get("Body")!, created });
      return jsonReply(201, twilioMessage(sid, form.get("To")!, form.get("Body")!, created, "queued"));
    }
    if (call.url.startsWith(`${MESSAGES_URL}?`) && call.method === "GET") {
      const to = new URL(call.url).searchParams.get("To");
      this.lookupsAt.push(this.clock.now());
      const listed = this.twilioCreated.filter((m) => m.to === to).reverse();
      return jsonReply(200, {
        messages: listed.map((m) => twilioMessage(m.sid, m.to, m.body, m.created, "sent")),
        next_page_uri: null,
      });
    }
    if (call.url === `${RESEND}/emails`) {
      const scripted = this.resendScript.shift();
      if (scripted) return scripted(call);
      const id = crypto.randomUUID();
      this.emails.push({ id, key: call.headers.get("idempotency-key")!, body: JSON.parse(call.body) });
      return jsonReply(200, { id });
    }
    throw new Error(`unexpected call ${call.method} ${call.url}`);
  });

  calls(kind: "jobber" | "twilio_create" | "twilio_list" | "resend") {
    return this.fetch.calls.filter((c) =>
      kind === "jobber"
        ? c.url === GRAPHQL_URL
        : kind === "twilio_create"
        ? c.url === MESSAGES_URL && c.method === "POST"
        : kind === "twilio_list"
        ? c.url.startsWith(`${MESSAGES_URL}?`)
        : c.url === `${RESEND}/emails`
    );
  }
}

function twilioMessage(sid: string, to: string, body: string, created: Date, status: string) {
  return {
    sid,
    status,
    to,
    from: "+15005550006",
    body,
    date_created: created.toUTCString().replace("GMT", "+0000"),
    error_code: null,
    direction: "outbound-api",
  };
}

interface Ctx {
  h: DbHarness;
  world: World;
  clock: ReturnType<typeof manualClock>;
  runtime(vars?: Record<string, string | undefined>): Runtime;
}

const dbTest = dbTestFactory<Ctx>((h) => {
  // An hour and a half ahead: past the hour's delay, so what was decided now is due.
  const clock = manualClock(new Date(Date.now() + 90 * 60_000).toISOString());
  const world = new World(clock);
  return {
    h,
    world,
    clock,
    runtime: (vars = {}) => {
      const rt = h.track(stubbedRuntime({ ...env, APP_ORIGIN, JOBBER_API_BASE: JOBBER, ...PROVIDERS, ...vars }, world.fetch));
      return { ...rt, now: clock.now, sleep: clock.sleep };
    },
  };
});

const log = { debug() {}, info() {}, warn() {}, error() {}, child() { return log; } } as never;

interface JourneyOptions {
  phone?: string | null;
  email?: string | null;
  followUps?: number;
  channels?: string;
  zone?: string;
  window?: [string, string];
  count?: number;
}

/**
 * A connected business with review requests on (an hour's delay), and `count` customers each with
 * a job closed just now: the decision trigger schedules their messages.
 */
async function journeys(ctx: Ctx, o: JourneyOptions = {}) {
  const { h, world } = ctx;
  const { businessId } = await h.business();
  const expires = new Date(Date.now() + 365 * 86_400_000);
  await insertConnection(h.admin, businessId, {
    accessToken: await jobberAccessToken(expires),
    refreshToken: `refresh-${crypto.randomUUID()}`,
    expiresAt: expires,
  });
  const [start, end] = o.window ?? ["00:00", "23:59:59"];
  await h.admin`
    update public.review_settings set enabled = true, review_url = 'https://example.com/review', delay_minutes = 60,
      follow_ups = ${o.followUps ?? 1}, follow_up_days = 3, channels = ${o.channels ?? "{sms,email}"}::text[],
      send_window_start = ${start}::time, send_window_end = ${end}::time, sender_name = 'Brightside Cleaning'
    where business_id = ${businessId}`;
  const made = [];
  for (let i = 0; i < (o.count ?? 1); i++) {
    const phone = o.phone === undefined ? `+1202555${String(1000 + i)}` : o.phone;
    const email = o.email === undefined ? `jane${i}@example.com` : o.email;
    const [customer] = await h.admin<{ id: string }[]>`
      insert into public.customers (business_id, source, external_id, full_name, phone, email)
      values (${businessId}, 'jobber', ${`client-${crypto.randomUUID()}`}, ${`Jane${i} Doe`}, ${phone}, ${email})
      returning id`;
    const external = btoa(`gid://Jobber/Job/${crypto.randomUUID()}`);
    world.jobs.set(external, { jobStatus: "requires_invoicing", completedAt: new Date().toISOString() });
    const [job] = await h.admin<{ id: string }[]>`
      insert into public.jobs (business_id, external_id, customer_id, title, job_status, completed_at, property_time_zone)
      values (${businessId}, ${external}, ${customer!.id}, 'Deep clean', 'requires_invoicing', now(), ${o.zone ?? null})
      returning id`;
    await h.admin`
      insert into public.job_visits (business_id, job_id, external_id, completed_at, assigned_to)
      values (${businessId}, ${job!.id}, ${`visit-${crypto.randomUUID()}`}, now(), '{Sam Lee}')`;
    await h.admin`
      insert into public.job_completions (business_id, job_id, customer_id, kind, completed_at, source)
      values (${businessId}, ${job!.id}, ${customer!.id}, 'job_closed', now(), 'webhook')`;
    const [request] = await h.admin<{ id: string; state: string; link_token: string }[]>`
      select id, state, link_token from public.review_requests where job_id = ${job!.id}`;
    assert.ok(request, "the decision asked this customer");
    made.push({ businessId, customerId: customer!.id, jobId: job!.id, external, requestId: request.id, linkToken: request.link_token });
  }
  return made;
}

interface MessageRow {
  id: string;
  step: number;
  channel: string;
  to_address: string;
  status: string;
  provider: string | null;
  provider_message_id: string | null;
  error_code: string | null;
  cancel_reason: string | null;
  attempts: number;
  scheduled_for: Date;
  sent_at: Date | null;
  lease_owner: string | null;
}

async function messages(h: DbHarness, requestId: string): Promise<MessageRow[]> {
  return await h.admin<MessageRow[]>`
    select id, step, channel, to_address, status, provider, provider_message_id, error_code, cancel_reason, attempts,
           scheduled_for, sent_at, lease_owner
    from public.review_messages where request_id = ${requestId} order by step`;
}

async function requestOf(h: DbHarness, requestId: string) {
  const [row] = await h.admin<{ state: string; cancel_reason: string | null }[]>`
    select state, cancel_reason from public.review_requests where id = ${requestId}`;
  return row!;
}

dbTest("a due text is checked with Jobber once, rendered, marked sending and recorded queued with Twilio's id", async (ctx) => {
  const [j] = await journeys(ctx);
  const rt = ctx.runtime();
  const stats = await sendReviewMessages(rt, log);
  assert.equal(stats.queued, 1);

  const jobber = ctx.world.calls("jobber");
  assert.equal(jobber.length, 1);
  assert.deepEqual(JSON.parse(jobber[0]!.body).variables, { jobId: j!.external });
  const created = ctx.world.twilioCreated;
  assert.equal(created.length, 1);
  const link = `${env.SUPABASE_URL ? new URL(env.SUPABASE_URL).origin : ""}/functions/v1/review-link?t=${j!.linkToken}`;
  assert.equal(
    created[0]!.body,
    `Hi Jane0, thanks for choosing Brightside Cleaning! Would you take a moment to review Sam Lee's work? ${link}\n${SMS_FOOTER}`,
  );
  assert.equal(created[0]!.to, "+12025551000");

  const [step0, step1] = await messages(ctx.h, j!.requestId);
  assert.equal(step0!.status, "queued");
  assert.equal(step0!.provider, "twilio");
  assert.equal(step0!.provider_message_id, created[0]!.sid);
  assert.equal(step0!.attempts, 1);
  assert.equal(step0!.sent_at?.getTime(), ctx.clock.now().getTime());
  assert.equal(step0!.lease_owner, null);
  assert.equal(step1!.status, "scheduled", "the follow-up waits for its day");
  assert.equal((await requestOf(ctx.h, j!.requestId)).state, "in_progress");
  const [kept] = await ctx.h.admin<{ n: number }[]>`
    select count(*)::int as n from private.review_message_contents where message_id = ${step0!.id}`;
  assert.equal(kept!.n, 0, "the content is forgotten once the provider answered");
});

dbTest("a job reopened in Jobber since it was decided cancels the request (job_reopened); nothing is sent", async (ctx) => {
  const [j] = await journeys(ctx);
  ctx.world.jobs.set(j!.external, { jobStatus: "upcoming", completedAt: null });
  const stats = await sendReviewMessages(ctx.runtime(), log);
  assert.equal(stats.cancelled, 1);
  assert.equal(ctx.world.calls("twilio_create").length, 0);
  assert.deepEqual(await requestOf(ctx.h, j!.requestId), { state: "cancelled", cancel_reason: "job_reopened" });
  assert.deepEqual((await messages(ctx.h, j!.requestId)).map((m) => [m.status, m.cancel_reason]), [
    ["cancelled", "job_reopened"],
    ["cancelled", "job_reopened"],
  ]);
});

dbTest("a job Jobber no longer has cancels the request (job_deleted)", async (ctx) => {
  const [j] = await journeys(ctx);
  ctx.world.jobs.set(j!.external, null);
  await sendReviewMessages(ctx.runtime(), log);
  assert.equal(ctx.world.calls("twilio_create").length, 0);
  assert.deepEqual(await requestOf(ctx.h, j!.requestId), { state: "cancelled", cancel_reason: "job_deleted" });
});

dbTest("an opt-out recorded after scheduling, on any channel, cancels the request before Jobber is asked", async (ctx) => {
  const [j] = await journeys(ctx);
  await ctx.h.admin`
    insert into public.contact_opt_outs (business_id, channel, address, source)
    values (${j!.businessId}, 'email', 'JANE0@example.com', 'email_unsubscribe')`;
  await sendReviewMessages(ctx.runtime(), log);
  assert.equal(ctx.world.calls("jobber").length, 0);
  assert.equal(ctx.world.calls("twilio_create").length, 0);
  assert.deepEqual(await requestOf(ctx.h, j!.requestId), { state: "cancelled", cancel_reason: "opted_out" });
});

dbTest("outside the recipient's send window a message is re-timed to the window's next start, then sent then", async (ctx) => {
  const zone = "America/Chicago";
  const [j] = await journeys(ctx, { zone, window: ["08:00", "21:00"], followUps: 0 });
  const [step0] = await messages(ctx.h, j!.requestId);
  // 22:30 in Chicago on the day after it was due, and the next morning's 08:00 there.
  const [t] = await ctx.h.admin<{ late: Date; morning: Date }[]>`
    select (date_trunc('day', ${step0!.scheduled_for}::timestamptz at time zone ${zone}) + interval '1 day 22 hours 30 minutes')
             at time zone ${zone} as late,
           (date_trunc('day', ${step0!.scheduled_for}::timestamptz at time zone ${zone}) + interval '2 days 8 hours')
             at time zone ${zone} as morning`;
  ctx.clock.advance(t!.late.getTime() - ctx.clock.now().getTime());
  const rt = ctx.runtime();
  const first = await sendReviewMessages(rt, log);
  assert.equal(first.retimed, 1);
  assert.equal(ctx.world.calls("twilio_create").length, 0);
  assert.equal(ctx.world.calls("jobber").length, 0);
  const [retimed] = await messages(ctx.h, j!.requestId);
  assert.equal(retimed!.status, "scheduled");
  assert.equal(retimed!.scheduled_for.getTime(), t!.morning.getTime());

  ctx.clock.advance(t!.morning.getTime() - ctx.clock.now().getTime());
  await sendReviewMessages(rt, log);
  const [sent] = await messages(ctx.h, j!.requestId);
  assert.equal(sent!.status, "queued");
  assert.equal(sent!.sent_at?.getTime(), t!.morning.getTime());
});

dbTest("429s are waited out and the message is accepted once", async (ctx) => {
  const [j] = await journeys(ctx);
  for (let i = 0; i < 3; i++) ctx.world.twilioScript.push(() => fixtureReply("twilio_error_20429", 429));
  await sendReviewMessages(ctx.runtime(), log);
  assert.equal(ctx.world.calls("twilio_create").length, 4);
  assert.equal(ctx.world.twilioCreated.length, 1);
  const [step0] = await messages(ctx.h, j!.requestId);
  assert.equal(step0!.status, "queued");
  assert.equal(step0!.attempts, 1);
});

dbTest("a refusal marks the number unusable and fails the text with Twilio's code; the follow-up falls back to email", async (ctx) => {
  const [j] = await journeys(ctx);
  ctx.world.twilioScript.push(() => fixtureReply("twilio_error_21211", 400));
  const rt = ctx.runtime();
  await sendReviewMessages(rt, log);
  const [step0, step1] = await messages(ctx.h, j!.requestId);
  assert.deepEqual([step0!.status, step0!.error_code, step0!.cancel_reason], ["failed", "21211", null]);
  assert.equal(step0!.sent_at, null);
  assert.equal(step1!.status, "scheduled");
  const [customer] = await ctx.h.admin<{ phone_usable: boolean }[]>`select phone_usable from public.customers where id = ${j!.customerId}`;
  assert.equal(customer!.phone_usable, false);

  ctx.clock.advance(step1!.scheduled_for.getTime() - ctx.clock.now().getTime());
  await sendReviewMessages(rt, log);
  const [, followUp] = await messages(ctx.h, j!.requestId);
  assert.equal(followUp!.status, "queued");
  assert.equal(followUp!.channel, "email");
  assert.equal(followUp!.to_address, "jane0@example.com");
  assert.equal(followUp!.provider, "resend");
  const email = ctx.world.emails[0]!;
  assert.equal(email.key, followUp!.id, "the message id is Resend's Idempotency-Key");
  assert.match(String(email.body.text), new RegExp(`review-link\\?t=${j!.linkToken}`));
  assert.deepEqual(Object.keys(email.body.headers as object).sort(), ["List-Unsubscribe", "List-Unsubscribe-Post"]);
  assert.equal((await requestOf(ctx.h, j!.requestId)).state, "done");
});

dbTest("21610 (the recipient replied STOP) records an sms_stop opt-out and cancels the rest of the request", async (ctx) => {
  const [j] = await journeys(ctx);
  ctx.world.twilioScript.push(() => fixtureReply("twilio_error_21610", 400));
  await sendReviewMessages(ctx.runtime(), log);
  const [step0, step1] = await messages(ctx.h, j!.requestId);
  assert.deepEqual([step0!.status, step0!.error_code], ["failed", "21610"]);
  assert.deepEqual([step1!.status, step1!.cancel_reason], ["cancelled", "opted_out"]);
  const optOuts = await ctx.h.admin`
    select channel, address, source from public.contact_opt_outs where business_id = ${j!.businessId}`;
  assert.deepEqual([...optOuts], [{ channel: "sms", address: "+12025551000", source: "sms_stop" }]);
});

dbTest("without SMS configured a text goes by email; with no email either it fails channel_unavailable", async (ctx) => {
  const [withEmail] = await journeys(ctx, { followUps: 0 });
  const [withoutEmail] = await journeys(ctx, { followUps: 0, email: null });
  const rt = ctx.runtime({ TWILIO_API_BASE: undefined, TWILIO_ACCOUNT_SID: undefined, TWILIO_AUTH_TOKEN: undefined, TWILIO_FROM_NUMBER: undefined });
  await sendReviewMessages(rt, log);
  const [byEmail] = await messages(ctx.h, withEmail!.requestId);
  assert.deepEqual([byEmail!.status, byEmail!.channel, byEmail!.provider], ["queued", "email", "resend"]);
  const [unavailable] = await messages(ctx.h, withoutEmail!.requestId);
  assert.deepEqual([unavailable!.status, unavailable!.error_code], ["failed", "channel_unavailable"]);
  assert.equal(ctx.world.calls("twilio_create").length, 0);
});

dbTest("a message left sending by a crash is resolved with Twilio's list, never sent again", async (ctx) => {
  const [found, lost] = await journeys(ctx, { count: 2, followUps: 0 });
  const rt = ctx.runtime();
  // A worker marked both `sending` and died: one reached Twilio, the other never did.
  const [lease] = await ctx.h.admin<{ owner: string }[]>`select private.worker_lease_take('send_review_messages', 60000) as owner`;
  const claimed = await ctx.h.admin<{ message_id: string; to_address: string }[]>`
    select message_id, to_address from private.review_send_claim(${lease!.owner}, ${ctx.clock.now()}, 10)`;
  assert.equal(claimed.length, 2);
  for (const m of claimed) {
    const body = `Crashed text to ${m.to_address}`;
    await ctx.h.admin`select private.review_send_prepare(${m.message_id}, ${lease!.owner}, ${ctx.clock.now()}, '{sms,email}')`;
    const [started] = await ctx.h.admin<{ v: { action: string } }[]>`
      select private.review_send_start(${m.message_id}, ${lease!.owner}, ${ctx.clock.now()}, '{sms,email}', 'sms',
        ${m.to_address}, ${ctx.h.admin.json({ channel: "sms", id: m.message_id, to: m.to_address, body })}) as v`;
    assert.equal(started!.v.action, "sending");
  }
  const reached = claimed.find((m) => m.to_address === "+12025551000")!;
  ctx.world.twilioCreated.push({ sid: `SM${"a".repeat(32)}`, to: reached.to_address, body: `Crashed text to ${reached.to_address}`, created: ctx.clock.now() });
  await ctx.h.admin`select private.worker_lease_end(${lease!.owner})`;
  const attempt = ctx.clock.now().getTime();

  // Found at once, but asked about only once a request cut off by the crash would have finished.
  ctx.clock.advance(5_000);
  const stats = await sendReviewMessages(rt, log);
  assert.equal(stats.resolved, 2);
  assert.equal(ctx.world.lookupsAt.length, 2);
  assert.ok(ctx.world.lookupsAt.every((t) => t.getTime() >= attempt + 30_000), "no lookup within 30 s of the attempt");
  const [resolved] = await messages(ctx.h, found!.requestId);
  assert.deepEqual([resolved!.status, resolved!.provider_message_id, resolved!.attempts], ["queued", `SM${"a".repeat(32)}`, 1]);
  // The one Twilio had no trace of went back to scheduled, was checked again and sent once.
  const [resent] = await messages(ctx.h, lost!.requestId);
  assert.equal(resent!.status, "queued");
  assert.equal(resent!.attempts, 2);
  const creates = ctx.world.calls("twilio_create").map((c) => new URLSearchParams(c.body).get("To"));
  assert.deepEqual(creates, ["+12025551001"]);
});

dbTest("two workers at once send each message exactly once (SKIP LOCKED claims)", async (ctx) => {
  const made = await journeys(ctx, { count: 8, followUps: 0 });
  const rt = ctx.runtime();
  const [a, b] = await Promise.all([
    sendReviewMessages(rt, log, { batchSize: 3 }),
    sendReviewMessages(rt, log, { batchSize: 3 }),
  ]);
  assert.equal(a.queued + b.queued, 8);
  assert.equal(ctx.world.twilioCreated.length, 8);
  assert.equal(new Set(ctx.world.twilioCreated.map((m) => m.to)).size, 8);
  for (const j of made) assert.equal((await messages(ctx.h, j.requestId))[0]!.status, "queued");
  assert.equal(ctx.world.calls("jobber").length, 8, "one Jobber fetch per request");
});

dbTest("Jobber unreachable: nothing is sent without knowing, the message waits five minutes", async (ctx) => {
  const [j] = await journeys(ctx, { followUps: 0 });
  const failing = stubFetch(() => new Response("oops", { status: 400 }));
  const rt = { ...ctx.runtime(), fetch: failing };
  const stats = await sendReviewMessages(rt, log);
  assert.equal(stats.later, 1);
  const [step0] = await messages(ctx.h, j!.requestId);
  assert.equal(step0!.status, "scheduled");
  assert.equal(step0!.error_code, "jobber_unavailable");
  assert.equal(step0!.scheduled_for.getTime(), ctx.clock.now().getTime() + 5 * 60_000);
  assert.ok(failing.calls.every((c) => c.url === GRAPHQL_URL));
});
