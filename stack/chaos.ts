// The review journey under chaos (issue 10): completions arrive through the Jobber sandbox's signed
// webhooks and go all the way to texts accepted by the messaging sandbox, while
//   - 20 % of the closings are delivered twice (the sandbox's `duplicate` fault),
//   - 5 % of the jobs are reopened in Jobber after they were decided, before their text is due,
//   - 5 % of the customers text STOP to our number before their text is due,
//   - 10 % of the jobs belong to households: two clients sharing one phone,
//   - 30 % of the jobs are in a zone where it is now outside the send window,
//   - the functions process (webhook worker and sender) is killed twice, once while webhooks are
//     being processed and once while texts are going out;
// then it checks what must hold whatever happened: no text to anyone who said STOP, none for a
// reopened job, none outside the recipient-local window, no job / customer / household asked twice,
// one decision per completion and a reason for every skip and cancellation.
//
// Time: nothing sleeps through a delay or a window. The send window is placed around the current
// time of one zone (inside) and away from another's (outside), so the outside share is decided by
// zone; the first texts are due an hour after completion, and once the chaos of the intake is over
// the run does what that hour passing does: the step-0 messages due within it become due now (the
// send worker reads the database's schedule, not a clock of its own). A killed worker's leases are
// lapsed the same way instead of waiting out their length.
//
// Used by the integration test (a few hundred completions) and `npm run bench` (10,000); plain fetch
// and a `postgres` connection only, so it runs under Deno and vitest alike.
import type postgres from "postgres";
import { LOCAL_MESSAGING } from "./messaging-sandbox/options.ts";
import { callJson as call, connectSandboxAccount, type SandboxApp } from "./sandbox_connect.ts";

type Sql = postgres.Sql;

export interface ChaosOptions {
  /** A superuser connection to the stack's database. */
  sql: Sql;
  /** The Jobber sandbox and the app the functions use. */
  app: SandboxApp;
  messagingSandboxUrl: string;
  completions: number;
  /** Kills the functions process (as a crash would) and starts it again. */
  killWorker(): Promise<void>;
  log(line: string): void;
}

export interface ChaosReport {
  completions: number;
  seconds: number;
  phases: Record<string, number>;
  decisions: Record<string, number>;
  cancelled: Record<string, number>;
  texts: { accepted: number; sandbox: number; insideZone: number; outsideZone: number };
  reconciled: number;
  /** What the sandboxes saw during the run: webhook deliveries and Twilio's side of the texts. */
  traffic: { webhooksSent: number; webhooksFailed: number; twilioCreates: number; twilioLookups: number; refused: Record<string, number> };
  /** Every count here must be 0. */
  violations: Record<string, number>;
}

type Group = "plain" | "household" | "reopened" | "stop";

interface PlannedJob {
  index: number;
  group: Group;
  duplicate: boolean;
  outside: boolean;
  phone: string;
  jobId: string;
}

interface JobberCounters {
  webhooks: { sent: number; failed: number };
}

interface MessagingCounters {
  twilio: { creates: number; lookups: number; refused: Record<string, number> };
}

interface Place {
  key: string;
  timeZone: string;
}

export interface WindowPlan {
  inside: Place;
  outside: Place;
  /** Minutes after local midnight. */
  start: number;
  end: number;
}

const DELAY_MINUTES = 60;
/** Area codes none of the other tests text, so remembered STOPs never meet. */
const AREA_CODES = ["406", "701"];
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;

/** Minutes after midnight, local to `timeZone`, at `at`. */
export function localMinutes(timeZone: string, at: Date): number {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? "0");
  return get("hour") * 60 + get("minute");
}

/**
 * A send window that is open in one zone for the next few hours and closed in another for at least
 * the next two and a half (so "an hour from now" is still outside there), with start before end.
 */
export function chooseWindow(places: Place[], now: Date): WindowPlan {
  for (const inside of places) {
    const here = localMinutes(inside.timeZone, now);
    const start = Math.floor((here - 60) / 15) * 15;
    const end = Math.ceil((here + 240) / 15) * 15;
    if (start < 0 || end > 23 * 60 + 45) continue;
    const outside = places.find((p) => {
      const there = localMinutes(p.timeZone, now);
      return there < start - 150 || there > end + 30;
    });
    if (outside) return { inside, outside, start, end };
  }
  throw new Error("No two sandbox places fit a send window open in one and closed in the other");
}

/** Runs `fn` over `items`, `width` at a time. */
async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const { sql, log } = o;
  const n = o.completions;
  const jobber = <T>(method: string, path: string, body?: unknown) => call<T>(o.app.sandboxUrl, method, `/_sandbox${path}`, body);
  const messaging = <T>(method: string, path: string, body?: unknown) => call<T>(o.messagingSandboxUrl, method, `/_sandbox${path}`, body);
  const started = Date.now();
  const phases: Record<string, number> = {};
  let mark = Date.now();
  const phase = (name: string) => {
    phases[name] = Math.round((Date.now() - mark) / 100) / 10;
    mark = Date.now();
    log(`chaos: ${name} took ${phases[name]} s`);
  };

  /** What pg_cron's minute sweeps do in production (the test stack runs with pg_cron off). */
  const sweep = async (task: "process_webhooks" | "send_review_messages") => {
    await sql`select private.wake_worker(${task})`.catch(() => undefined);
  };
  async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, task?: "process_webhooks" | "send_review_messages") {
    const deadline = Date.now() + timeoutMs;
    let lastSweep = Date.now();
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`chaos: ${what} did not happen within ${timeoutMs / 1000} s`);
      if (task && Date.now() - lastSweep > 3_000) {
        lastSweep = Date.now();
        await sweep(task);
      }
      await sleep(250);
    }
  }

  /** The crash: the process dies with whatever it held; its leases lapse (time compressed). */
  async function crash(label: string) {
    const held = await sql<{ owner: string }[]>`select owner from private.worker_leases where expires_at > now()`;
    await o.killWorker();
    await sql`update private.worker_leases set expires_at = now() - interval '1 second' where owner in ${sql(held.map((h) => h.owner).concat(""))}`;
    log(`chaos: functions process killed (${label}); ${held.length} lease(s) it held lapsed`);
  }

  const savedJobberFaults = await jobber<Record<string, unknown>>("GET", "/faults");
  const savedSubscriptions = await jobber<Record<string, string>>("GET", "/webhooks");
  const savedMessagingFaults = await messaging<Record<string, unknown>>("GET", "/faults");
  const suffix = Math.random().toString(36).slice(2, 8);
  let businessId: string | null = null;
  let accountId: string | null = null;
  try {
    // ---- the plan ---------------------------------------------------------------------------------
    const { places } = await jobber<{ places: Place[] }>("GET", "/places");
    const window = chooseWindow(places, new Date());
    log(
      `chaos: send window ${hhmm(window.start)}-${hhmm(window.end)} recipient-local: open in ${window.inside.timeZone} ` +
        `(${window.inside.key}), closed in ${window.outside.timeZone} (${window.outside.key})`,
    );
    const phoneOffset = Math.floor(Math.random() * 8000);
    const phoneFor = (k: number) => `+1${AREA_CODES[Math.floor(k / 8000) % AREA_CODES.length]}555${2000 + ((phoneOffset + k) % 8000)}`;
    const jobs: PlannedJob[] = [];
    let phones = 0;
    for (let i = 0; i < n; i++) {
      const slot = i % 20;
      const group: Group = slot === 3 || slot === 4 ? "household" : slot === 5 ? "reopened" : slot === 6 ? "stop" : "plain";
      // A household's second job uses the first one's phone.
      const phone = group === "household" && slot === 4 && jobs[i - 1] ? jobs[i - 1]!.phone : phoneFor(phones++);
      jobs.push({ index: i, group, duplicate: i % 5 === 1, outside: i % 10 < 3, phone, jobId: "" });
    }

    // ---- the stack: a connected business, Jobber at generous limits, fast SMS lifecycles ---------------
    await jobber("PUT", "/faults", {
      bucket: { max: 1_000_000, restoreRate: 1_000_000 },
      rateLimit: { requests: 100_000_000 },
      webhooks: { drop: false, duplicate: false, slow: false, reorder: false, oldSpelling: false, retryBaseMs: 500, maxAttempts: 12 },
    });
    await messaging("PUT", "/faults", {
      limits: { smsPerSecond: 1_000, smsBurst: 1_000 },
      lifecycle: { sentAfterMs: 100, deliveredAfterMs: 300 },
    });
    const account = await jobber<{ id: string; name: string }>("POST", "/accounts", { name: `Chaos Jobber ${suffix}` });
    accountId = account.id;
    const [business] = await sql<{ id: string }[]>`
      insert into public.businesses (name) values (${`Chaos Cleaning ${suffix}`}) returning id`;
    businessId = business!.id;
    await connectSandboxAccount(sql, o.app, businessId, account);
    await sql`
      update public.review_settings set enabled = true, review_url = 'https://example.com/reviews/chaos', delay_minutes = ${DELAY_MINUTES},
        channels = '{sms}', follow_ups = 1, follow_up_days = 3, reask_days = 180, require_approval = false, min_job_total = null,
        send_window_start = ${hhmm(window.start)}::time, send_window_end = ${hhmm(window.end)}::time
      where business_id = ${businessId}`;

    // Clients and jobs, made without their CLIENT_CREATE / JOB_CREATE webhooks: the closing's fetch
    // brings the job, its client and its property in, as it does for any job Blipp has not seen.
    await jobber("PUT", "/webhooks", { CLIENT_CREATE: null, CLIENT_UPDATE: null, JOB_CREATE: null });
    try {
      await pool(jobs, 8, async (job) => {
        const client = await jobber<{ id: string }>("POST", `/accounts/${encodeURIComponent(account.id)}/clients`, {
          firstName: job.group === "household" ? (job.index % 2 === 0 ? "Alex" : "Jordan") : "Robin",
          lastName: `Chaos${job.index}`,
          phones: [{ number: job.phone, primary: true }],
        });
        const made = await jobber<{ id: string }>("POST", `/accounts/${encodeURIComponent(account.id)}/jobs`, {
          clientId: client.id,
          title: `Chaos job ${job.index}`,
          place: job.outside ? window.outside.key : window.inside.key,
          total: 180,
        });
        job.jobId = made.id;
      });
    } finally {
      await jobber("PUT", "/webhooks", savedSubscriptions);
    }
    phase(`setup (${n} clients and jobs in the sandbox)`);
    const jobberBefore = await jobber<JobberCounters>("GET", "/counters");
    const twilioBefore = (await messaging<MessagingCounters>("GET", "/counters")).twilio;

    // ---- intake: every job closed in Jobber; a fifth delivered twice; the worker killed once -----------
    const close = (job: PlannedJob) => jobber("POST", `/jobs/${encodeURIComponent(job.jobId)}/close`, {});
    await jobber("PUT", "/faults", { webhooks: { duplicate: true } });
    await pool(jobs.filter((j) => j.duplicate), 8, close);
    await jobber("PUT", "/faults", { webhooks: { duplicate: false } });
    const rest = jobs.filter((j) => !j.duplicate);
    const half = Math.floor(rest.length / 2);
    await pool(rest.slice(0, half), 8, close);
    await crash("while webhooks were being processed");
    await pool(rest.slice(half), 8, close);
    const decided = async () => {
      const [row] = await sql<{ completions: number; decisions: number }[]>`
        select (select count(*)::int from public.job_completions where business_id = ${businessId}) as completions,
               (select count(*)::int from public.review_decisions where business_id = ${businessId}) as decisions`;
      return row!.completions >= n && row!.decisions >= row!.completions;
    };
    await until("every closing recorded and decided", decided, 120_000 + n * 60, "process_webhooks");
    phase(`intake (${n} closings through webhooks, ${jobs.filter((j) => j.duplicate).length} delivered twice, one crash)`);

    // ---- before the texts are due: reopen some jobs, some customers say STOP ------------------------
    await pool(jobs.filter((j) => j.group === "reopened"), 8, (j) => jobber("POST", `/jobs/${encodeURIComponent(j.jobId)}/reopen`, {}));
    const stoppedAt = new Map<string, number>();
    await pool(jobs.filter((j) => j.group === "stop"), 8, async (j) => {
      stoppedAt.set(j.phone, Date.now());
      await messaging("POST", "/reply", { from: j.phone, to: LOCAL_MESSAGING.twilioFromNumber, body: "STOP" });
    });

    // ---- the delay passes; texts go out; the worker killed again mid-batch -------------------------
    await messaging("PUT", "/faults", { latencyMs: 150 });
    const advanced = await sql`
      update public.review_messages set scheduled_for = now()
      where business_id = ${businessId} and step = 0 and status = 'scheduled'
        and scheduled_for <= now() + make_interval(mins => ${DELAY_MINUTES + 5})`;
    await sweep("send_review_messages");
    const due = advanced.count;
    const taken = async () =>
      (await sql<{ n: number }[]>`
        select count(*)::int as n from public.review_messages
        where business_id = ${businessId} and provider_message_id is not null`)[0]!.n;
    await until("some texts going out", async () => (await taken()) >= Math.max(1, Math.floor(due / 5)), 60_000 + n * 20, "send_review_messages");
    await crash("while texts were going out");
    await messaging("PUT", "/faults", { latencyMs: 0 });
    await sweep("send_review_messages");
    await until("every due text settled", async () => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from public.review_messages
        where business_id = ${businessId} and status in ('scheduled', 'sending') and scheduled_for <= now()`;
      return row!.n === 0;
    }, 120_000 + n * 60, "send_review_messages");
    await until("the provider's status callbacks", async () => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from public.review_messages
        where business_id = ${businessId} and provider_message_id is not null and sent_at is null`;
      return row!.n === 0;
    }, 60_000);
    phase(`sending (${due} texts due, one crash)`);

    // ---- the hourly reconciliation finds nothing the webhooks missed --------------------------------
    const [before] = await sql<{ at: Date }[]>`select last_job_sync_at as at from public.integrations_jobber where business_id = ${businessId}`;
    await sql`select private.wake_worker('reconcile', ${sql.json({ business_id: businessId })}::jsonb)`;
    await until("the reconciliation", async () => {
      const [row] = await sql<{ at: Date }[]>`select last_job_sync_at as at from public.integrations_jobber where business_id = ${businessId}`;
      return row!.at.getTime() > before!.at.getTime();
    }, 120_000 + n * 20);
    phase("reconciliation");

    const jobberAfter = await jobber<JobberCounters>("GET", "/counters");
    const twilioAfter = (await messaging<MessagingCounters>("GET", "/counters")).twilio;
    const traffic = {
      webhooksSent: jobberAfter.webhooks.sent - jobberBefore.webhooks.sent,
      webhooksFailed: jobberAfter.webhooks.failed - jobberBefore.webhooks.failed,
      twilioCreates: twilioAfter.creates - twilioBefore.creates,
      twilioLookups: twilioAfter.lookups - twilioBefore.lookups,
      refused: Object.fromEntries(Object.entries(twilioAfter.refused).map(([code, k]) => [code, k - (twilioBefore.refused[code] ?? 0)])),
    };
    return await check(o, businessId, jobs, window, stoppedAt, started, phases, traffic);
  } finally {
    // The run's business and its inbox go; the sandbox account stays (the sandbox forgets on reset).
    if (businessId) await sql`delete from public.businesses where id = ${businessId}`.catch(() => undefined);
    if (accountId) await sql`delete from private.jobber_webhook_events where account_id = ${accountId}`.catch(() => undefined);
    await jobber("PUT", "/faults", savedJobberFaults).catch(() => undefined);
    await messaging("PUT", "/faults", savedMessagingFaults).catch(() => undefined);
  }
}

/** Everything the journey promises, counted; each violation count must be 0. */
async function check(
  o: ChaosOptions,
  businessId: string,
  jobs: PlannedJob[],
  window: WindowPlan,
  stoppedAt: Map<string, number>,
  started: number,
  phases: Record<string, number>,
  traffic: ChaosReport["traffic"],
): Promise<ChaosReport> {
  const { sql } = o;
  const n = jobs.length;
  const byPhone = new Map(jobs.map((j) => [j.phone, j]));
  const stopPhones = jobs.filter((j) => j.group === "stop").map((j) => j.phone);
  const reopenedJobs = jobs.filter((j) => j.group === "reopened").map((j) => j.jobId);
  const households = jobs.filter((j) => j.group === "household" && j.index % 20 === 3).length;

  const texts = (await call<{ messages: { to: string; status: string; createdAt: string }[] }>(
    o.messagingSandboxUrl,
    "GET",
    `/_sandbox/messages?channel=sms&direction=outbound-api`,
  )).messages.filter((m) => byPhone.has(m.to));
  const textsPerPhone = new Map<string, number>();
  for (const t of texts) textsPerPhone.set(t.to, (textsPerPhone.get(t.to) ?? 0) + 1);

  const [counts] = await sql<Record<string, number>[]>`
    with c as (select * from public.job_completions where business_id = ${businessId}),
         j as (select * from public.jobs where business_id = ${businessId}),
         m as (select m.*, r.time_zone, r.job_id, r.customer_id, r.state as request_state
               from public.review_messages m join public.review_requests r on r.id = m.request_id
               where m.business_id = ${businessId}),
         s as (select send_window_start, send_window_end from public.review_settings where business_id = ${businessId})
    select
      (select count(*)::int from j where not exists (select 1 from c where c.job_id = j.id)) as jobs_without_completion,
      (select count(distinct c.job_id)::int from c where c.kind = 'job_closed') as jobs_completed,
      (select count(*)::int from (select job_id from c group by job_id, kind having count(*) > 1) x) as jobs_completed_twice,
      (select count(*)::int from c where not exists (select 1 from public.review_decisions d where d.completion_id = c.id))
        as completions_without_decision,
      (select count(*)::int from (select completion_id from public.review_decisions where business_id = ${businessId}
                                  group by completion_id having count(*) > 1) x) as completions_decided_twice,
      (select count(*)::int from public.review_decisions where business_id = ${businessId} and outcome = 'skipped' and (reason is null or
         reason not in ('automation_off', 'not_connected', 'historical', 'trigger_mismatch', 'stale', 'already_requested',
                        'below_min_total', 'no_customer', 'no_contact', 'opted_out', 'recently_asked', 'household_recently_asked')))
        as skips_without_reason,
      (select count(*)::int from public.review_requests where business_id = ${businessId} and state = 'cancelled' and cancel_reason is null)
        as cancellations_without_reason,
      (select count(*)::int from m where status = 'cancelled' and cancel_reason is null) as cancelled_messages_without_reason,
      (select count(*)::int from m, s where sent_at is not null and not (
         (sent_at at time zone time_zone)::time >= s.send_window_start and (sent_at at time zone time_zone)::time < s.send_window_end))
        as sent_outside_window,
      (select count(*)::int from m where provider_message_id is not null and to_address in ${sql(stopPhones.concat(""))})
        as texts_to_opted_out,
      (select count(*)::int from m join j on j.id = m.job_id where m.provider_message_id is not null and j.external_id in ${sql(reopenedJobs.concat(""))})
        as texts_for_reopened_jobs,
      (select count(*)::int from (select job_id from public.review_requests where business_id = ${businessId} group by job_id having count(*) > 1) x)
        as jobs_asked_twice,
      (select count(*)::int from (select customer_id from m where provider_message_id is not null group by customer_id
                                  having count(distinct request_id) > 1) x) as customers_asked_twice,
      (select count(*)::int from (select to_address from m where provider_message_id is not null group by to_address
                                  having count(distinct request_id) > 1) x) as households_asked_twice,
      (select count(*)::int from m, s where step = 0 and status = 'scheduled' and scheduled_for > now()
         and (scheduled_for at time zone time_zone)::time <> s.send_window_start) as outside_not_moved_to_window_start,
      (select count(*)::int from m where provider_message_id is not null) as accepted,
      (select count(*)::int from c where source = 'reconcile') as reconciled`;
  const decisionRows = await sql<{ reason: string; n: number }[]>`
    select reason, count(*)::int as n from public.review_decisions where business_id = ${businessId} group by reason order by n desc`;
  const cancelRows = await sql<{ reason: string; n: number }[]>`
    select coalesce(cancel_reason, '(none)') as reason, count(*)::int as n from public.review_requests
    where business_id = ${businessId} and state = 'cancelled' group by 1 order by n desc`;
  const zoneRows = await sql<{ time_zone: string; sent: number }[]>`
    select r.time_zone, count(*)::int as sent from public.review_messages m join public.review_requests r on r.id = m.request_id
    where m.business_id = ${businessId} and m.provider_message_id is not null group by 1`;
  const stopOptOuts = (await sql<{ n: number }[]>`
    select count(*)::int as n from public.contact_opt_outs where business_id = ${businessId} and channel = 'sms'
      and address in ${sql(stopPhones.concat(""))}`)[0]!.n;
  const reopenedCancelled = (await sql<{ n: number }[]>`
    select count(*)::int as n from public.review_requests r join public.jobs j on j.id = r.job_id
    where r.business_id = ${businessId} and j.external_id in ${sql(reopenedJobs.concat(""))}
      and r.state = 'cancelled' and r.cancel_reason = 'job_reopened'`)[0]!.n;

  const decisions = Object.fromEntries(decisionRows.map((r) => [r.reason, r.n]));
  const c = counts!;
  const inWindow = (at: Date, timeZone: string) => {
    const local = localMinutes(timeZone, at);
    return local >= window.start && local < window.end;
  };
  const violations: Record<string, number> = {
    "closed jobs without a completion": c.jobs_without_completion! + (n - c.jobs_completed!),
    "jobs completed twice": c.jobs_completed_twice!,
    "completions without a decision": c.completions_without_decision!,
    "completions decided twice": c.completions_decided_twice!,
    "skips without a reason": c.skips_without_reason!,
    "cancellations without a reason": c.cancellations_without_reason! + c.cancelled_messages_without_reason!,
    "texts to customers who said STOP": c.texts_to_opted_out! +
      texts.filter((t) => stoppedAt.has(t.to) && Date.parse(t.createdAt) >= stoppedAt.get(t.to)!).length,
    "STOPs not recorded as opt-outs": stopPhones.length - stopOptOuts,
    "texts for reopened jobs": c.texts_for_reopened_jobs! + texts.filter((t) => byPhone.get(t.to)?.group === "reopened").length,
    "reopened jobs not cancelled as job_reopened": reopenedJobs.length - reopenedCancelled,
    "texts sent outside the recipient's window": c.sent_outside_window! +
      texts.filter((t) => !inWindow(new Date(t.createdAt), byPhone.get(t.to)!.outside ? window.outside.timeZone : window.inside.timeZone)).length,
    "outside-window texts not moved to the window's start": c.outside_not_moved_to_window_start!,
    "jobs asked twice": c.jobs_asked_twice!,
    "customers asked twice": c.customers_asked_twice!,
    "households asked twice": c.households_asked_twice! + [...textsPerPhone.values()].filter((k) => k > 1).length,
    "texts the database does not know": Math.abs(texts.length - c.accepted!),
    "households not decided household_recently_asked": households - (decisions.household_recently_asked ?? 0),
    // Everyone asked in the open zone who neither reopened nor said STOP: a household's first job.
    "customers who should have been texted and were not": jobs.filter((j) =>
      !j.outside && (j.group === "plain" || (j.group === "household" && j.index % 20 === 3))
    ).length - c.accepted!,
  };
  const report: ChaosReport = {
    completions: n,
    seconds: Math.round((Date.now() - started) / 1000),
    phases,
    decisions,
    cancelled: Object.fromEntries(cancelRows.map((r) => [r.reason, r.n])),
    texts: {
      accepted: c.accepted!,
      sandbox: texts.length,
      insideZone: zoneRows.find((z) => z.time_zone === window.inside.timeZone)?.sent ?? 0,
      outsideZone: zoneRows.find((z) => z.time_zone === window.outside.timeZone)?.sent ?? 0,
    },
    reconciled: c.reconciled!,
    traffic,
    violations,
  };
  printChaosReport(report, o.log);
  return report;
}

export function printChaosReport(r: ChaosReport, log: (line: string) => void): void {
  const list = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(", ");
  log(`chaos: ${r.completions} completions in ${r.seconds} s; decisions: ${list(r.decisions)}`);
  log(`chaos: requests cancelled: ${list(r.cancelled) || "none"}; texts accepted ${r.texts.accepted} (sandbox has ${r.texts.sandbox}), ` +
    `${r.texts.insideZone} in the open zone, ${r.texts.outsideZone} in the closed one; ${r.reconciled} completions found only by reconciliation`);
  log(`chaos: the sandboxes saw ${r.traffic.webhooksSent} webhook deliveries (${r.traffic.webhooksFailed} failed and retried), ` +
    `${r.traffic.twilioCreates} Twilio creates (refused: ${list(r.traffic.refused) || "none"}) and ${r.traffic.twilioLookups} lookups ` +
    `of texts a crash left unconfirmed`);
  for (const [what, count] of Object.entries(r.violations)) log(`chaos: ${count} ${what}${count === 0 ? "" : "  <-- VIOLATION"}`);
}
