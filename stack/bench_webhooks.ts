// The webhook benchmarks (issue 8):
//  1. acknowledgements: `concurrency` senders POST distinct signed deliveries for `seconds`, straight
//     at the functions server and then through the gateway; acks per second, p50 / p99 latency, and
//     whether every acknowledged event is in the inbox exactly once. The worker is kept from
//     draining meanwhile (its coalesced wake is held in flight, pg_cron paused), so the numbers are
//     the receiver's own - the receive path itself (stamp, coalesced wake check) runs in full;
//  2. the yardstick: a bare Deno server doing only HMAC + one INSERT per delivery, measured the
//     same way in the same run, and the ratio of the two;
//  3. "job completed in the sandbox -> job_completions row": `completions` one-visit jobs completed
//     one after another across four connected sandbox accounts (each account's GraphQL bucket at
//     Jobber's real rates), p50 / p99 from the completion to the row's commit.
// Nothing here passes or fails; the targets are printed beside the numbers.
import type postgres from "postgres";
import { join } from "node:path";
import { REPO_ROOT } from "./settings.ts";
import { freePort } from "./ports.ts";
import { type RunningStack, setCronJobsActive } from "./stack.ts";
import { callJson, sandboxTokens } from "./sandbox_connect.ts";

type Sql = ReturnType<typeof postgres>;

const DENO = join(REPO_ROOT, "node_modules", ".bin", "deno");
// The functions server's own V8 limits (stack.ts), so the yardstick runs as the functions do.
const V8_FLAGS = "--v8-flags=--max-old-space-size=64,--max-semi-space-size=2";

interface LoadResult {
  sent: number;
  acknowledged: number;
  statuses: Record<string, number>;
  duplicates: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

async function runLoad(url: string, seconds: number, concurrency: number, secret: string, accountId: string, prefix: string): Promise<LoadResult> {
  const out = await new Deno.Command(DENO, {
    args: ["run", "-A", "--quiet", join(REPO_ROOT, "stack", "bench_webhook_load.ts"), url, String(seconds), String(concurrency), secret, accountId, prefix],
    cwd: REPO_ROOT,
    env: { DENO_NO_PACKAGE_JSON: "1", PATH: Deno.env.get("PATH") ?? "" },
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("The webhook load generator failed.");
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return JSON.parse(lines.at(-1)!) as LoadResult;
}

const fmt = (r: LoadResult) =>
  `${r.perSecond.toFixed(0)} acks/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms (${r.acknowledged} of ${r.sent} acknowledged` +
  `${Object.keys(r.statuses).filter((s) => s !== "200").map((s) => `, ${r.statuses[s]} answered ${s}`).join("")})`;

async function ackBench(stack: RunningStack, admin: Sql, seconds: number, concurrency: number) {
  const secret = stack.info.functionsEnv.JOBBER_CLIENT_SECRET!;
  const accountId = `bench-account-${crypto.randomUUID()}`;
  const [business] = await admin<{ id: string }[]>`insert into public.businesses (name) values ('Webhook ack bench') returning id`;
  await admin`
    insert into public.integrations_jobber (business_id, access_token_secret_id, refresh_token_secret_id, account_id, account_name,
                                            connection_status, connected_at)
    values (${business!.id}, gen_random_uuid(), gen_random_uuid(), ${accountId}, 'Bench', 'connected', now())`;
  await setCronJobsActive(stack.info.adminDbUrl, false);
  await admin`update private.worker_tasks set wake_pending_since = now() + interval '1 hour' where task = 'process_webhooks'`;
  const results: Record<string, LoadResult> = {};
  try {
    const targets: [string, string][] = [
      ["direct", `${stack.info.functionsUrl}/jobber-webhook`],
      ["gateway", `${stack.info.supabaseUrl}/functions/v1/jobber-webhook`],
    ];
    for (const [label, url] of targets) {
      const prefix = `bench-${label}-${crypto.randomUUID()}-`;
      const r = await runLoad(url, seconds, concurrency, secret, accountId, prefix);
      const [stored] = await admin<{ rows: number; distinct: number }[]>`
        select count(*)::int as rows, count(distinct (topic, item_id, occurred_at))::int as distinct
        from private.jobber_webhook_events where account_id = ${accountId} and item_id like ${prefix + "%"}`;
      const lost = Math.max(0, r.acknowledged - stored!.rows);
      const duplicated = r.duplicates + (stored!.rows - stored!.distinct);
      console.log(`webhooks: ${label === "direct" ? "direct to the functions server" : "through the gateway"}, ${concurrency} senders for ${seconds} s: ${fmt(r)}; ${lost} lost, ${duplicated} duplicated` +
        (label === "direct" ? " (targets >= 4000/s, p99 < 50 ms, 0 lost, 0 duplicated)" : ""));
      results[label] = r;
      await admin`delete from private.jobber_webhook_events where account_id = ${accountId}`;
    }

    // The yardstick, in the same run.
    await admin`create schema bench`;
    await admin`create table bench.bare_webhook_events (id bigint generated always as identity primary key, account_id text not null,
                  topic text not null, item_id text not null, occurred_at timestamptz not null, received_at timestamptz not null default now(),
                  unique (account_id, topic, item_id, occurred_at))`;
    await admin`grant usage on schema bench to postgres`;
    await admin`grant select, insert on bench.bare_webhook_events to postgres`;
    const port = freePort();
    const bare = new Deno.Command(DENO, {
      args: ["run", "-A", "--quiet", V8_FLAGS, join(REPO_ROOT, "stack", "bench_bare_webhook.ts"), String(port), stack.info.dbUrl, secret],
      cwd: REPO_ROOT,
      env: { DENO_NO_PACKAGE_JSON: "1", PATH: Deno.env.get("PATH") ?? "" },
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    try {
      const reader = bare.stdout.pipeThrough(new TextDecoderStream()).getReader();
      while (!(await reader.read()).value?.includes("listening")) { /* wait for it */ }
      reader.releaseLock();
      const prefix = `bench-bare-${crypto.randomUUID()}-`;
      const r = await runLoad(`http://127.0.0.1:${port}/`, seconds, concurrency, secret, accountId, prefix);
      const [stored] = await admin<{ rows: number }[]>`select count(*)::int as rows from bench.bare_webhook_events`;
      console.log(`webhooks: bare Deno HMAC + one INSERT per delivery (the yardstick), ${concurrency} senders for ${seconds} s: ${fmt(r)}; ${Math.max(0, r.acknowledged - stored!.rows)} lost`);
      const ours = results.direct!;
      console.log(
        `webhooks: jobber-webhook direct is ${(ours.perSecond / r.perSecond).toFixed(2)}x the yardstick's throughput, ` +
          `p99 ${(ours.p99 / r.p99).toFixed(2)}x its p99`,
      );
    } finally {
      bare.kill("SIGTERM");
      await bare.status;
      await admin`drop schema bench cascade`;
    }
  } finally {
    await admin`update private.worker_tasks set wake_pending_since = null where task = 'process_webhooks'`;
    await setCronJobsActive(stack.info.adminDbUrl, true);
    await admin`delete from public.businesses where id = ${business!.id}`;
  }
}

// ---- job completed in the sandbox -> job_completions row ---------------------------------------------------

const sandbox = <T>(stack: RunningStack, method: string, path: string, body?: unknown) => callJson<T>(stack.info.sandboxUrl!, method, path, body);

/** The stack's Jobber app, as the sandbox knows it. */
export function sandboxApp(stack: RunningStack) {
  const env = stack.info.functionsEnv;
  return { sandboxUrl: stack.info.sandboxUrl!, clientId: env.JOBBER_CLIENT_ID!, clientSecret: env.JOBBER_CLIENT_SECRET!, redirectUri: env.JOBBER_REDIRECT_URI! };
}

async function completionBench(stack: RunningStack, admin: Sql, count: number) {
  const ACCOUNTS = 4;
  const perAccount = Math.ceil(count / ACCOUNTS);
  const businesses: string[] = [];
  const accounts: string[] = [];
  const visits: { accountIndex: number; jobId: string; visitId: string }[] = [];
  try {
    for (let a = 0; a < ACCOUNTS; a++) {
      const account = await sandbox<{ id: string }>(stack, "POST", "/_sandbox/accounts", { name: `Completion bench ${a + 1}` });
      accounts.push(account.id);
      for (let j = 0; j < perAccount && visits.length < count; j++) {
        const client = await sandbox<{ id: string }>(stack, "POST", `/_sandbox/accounts/${encodeURIComponent(account.id)}/clients`, {
          firstName: "Bench",
          lastName: `Customer ${a}-${j}`,
          emails: [{ address: `bench-${a}-${j}@example.com`, primary: true }],
        });
        const job = await sandbox<{ id: string; visits: { id: string }[] }>(stack, "POST", `/_sandbox/accounts/${encodeURIComponent(account.id)}/jobs`, {
          clientId: client.id,
          title: `Bench job ${j}`,
          place: "chicago",
          total: 200,
        });
        visits.push({ accountIndex: a, jobId: job.id, visitId: job.visits[0]!.id });
      }
      const tokens = await sandboxTokens(sandboxApp(stack), account.id);
      const [business] = await admin<{ id: string }[]>`insert into public.businesses (name) values (${`Completion bench ${a + 1}`}) returning id`;
      businesses.push(business!.id);
      await admin`select private.jobber_store_connection(${business!.id}, ${account.id}, ${`Completion bench ${a + 1}`},
                    ${tokens.accessToken}, ${tokens.refreshToken}, ${tokens.expiresAt})`;
    }
    // Let the initial syncs (woken by pg_cron's minute) and their first reconciliations go by.
    await admin`select private.wake_worker('continue_syncs')`;
    await new Promise((resolve) => setTimeout(resolve, 5_000));

    const started = new Map<string, number>();
    const gapMs = 200;
    for (const v of visits) {
      started.set(v.visitId, Date.now());
      await sandbox(stack, "POST", `/_sandbox/jobs/${encodeURIComponent(v.jobId)}/complete`, {});
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    const deadline = Date.now() + 120_000;
    let rows: { visit: string; created_at: Date }[] = [];
    while (Date.now() < deadline) {
      rows = await admin<{ visit: string; created_at: Date }[]>`
        select v.external_id as visit, c.created_at from public.job_completions c join public.job_visits v on v.id = c.visit_id
        where c.business_id = any(${businesses}::uuid[]) and c.kind = 'visit_completed'`;
      if (rows.length >= visits.length) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const latencies = rows
      .map((r) => r.created_at.getTime() - (started.get(r.visit) ?? r.created_at.getTime()))
      .sort((x, y) => x - y);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
    console.log(
      `webhooks: job completed in the sandbox -> job_completions row, ${visits.length} completions (one every ${gapMs} ms across ` +
        `${ACCOUNTS} accounts): p50 ${at(0.5).toFixed(0)} ms, p99 ${at(0.99).toFixed(0)} ms, max ${at(1).toFixed(0)} ms; ` +
        `${rows.length} rows for ${visits.length} completions (targets p50 < 1000 ms, p99 < 3000 ms)`,
    );
  } finally {
    if (businesses.length > 0) await admin`delete from public.businesses where id = any(${businesses}::uuid[])`;
    if (accounts.length > 0) await admin`delete from private.jobber_webhook_events where account_id = any(${accounts})`;
  }
}

export async function benchWebhooks(stack: RunningStack, admin: Sql, options: { seconds: number; concurrency: number; completions: number }) {
  await ackBench(stack, admin, options.seconds, options.concurrency);
  await completionBench(stack, admin, options.completions);
}
