// The sync benchmarks: the page upsert alone (rows/s), and whole runs against the sandbox - wall
// time against the rate-limit lower bound for the points the run really spent, and the syncing
// process's peak memory.
import type postgres from "postgres";
import type { TransactionSql } from "postgres";
import type { RunningStack } from "./stack.ts";

type Sql = ReturnType<typeof postgres>;

function syntheticRow(i: number, prefix = "") {
  return {
    external_id: `bench-${prefix}${i}`,
    full_name: `Bench Client ${i}`,
    email: `client${prefix}${i}@example.com`,
    phone: `+1202555${String(i % 10_000).padStart(4, "0")}`,
    address: `${i} Main St, Springfield, IL 62701, US`,
    status: "active",
    email_usable: true,
    phone_usable: true,
    remote_updated_at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
  };
}

async function benchBusiness(admin: Sql, name: string): Promise<string> {
  const [row] = await admin<{ id: string }[]>`insert into public.businesses (name) values (${name}) returning id`;
  return row!.id;
}

export async function benchUpsert(admin: Sql, rows: number): Promise<void> {
  const pages = Math.ceil(rows / 100);
  const page = (p: number, prefix: string) => Array.from({ length: 100 }, (_, i) => syntheticRow(p * 100 + i, prefix));
  const apply = (sql: Sql | TransactionSql, businessId: string, clients: unknown[]) =>
    sql`select * from private.jobber_apply_client_page(${businessId}, ${sql.json(clients as never)}::jsonb, now())`;
  const rate = (count: number, started: number) => (count / ((performance.now() - started) / 1000)).toFixed(0);

  // The function alone: every page in one transaction, so commit flushes are not counted.
  const alone = await benchBusiness(admin, "Upsert bench (one transaction)");
  let started = performance.now();
  await admin.begin(async (tx) => {
    for (let p = 0; p < pages; p++) await apply(tx, alone, page(p, "a"));
  });
  console.log(`upsert: function alone, ${rows} new rows in 100-row pages: ${rate(rows, started)} rows/s (target >= 25000)`);
  started = performance.now();
  await admin.begin(async (tx) => {
    for (let p = 0; p < pages; p++) await apply(tx, alone, page(p, "a"));
  });
  console.log(`upsert: function alone, ${rows} unchanged rows re-applied: ${rate(rows, started)} rows/s`);

  // As the sync runs it: one transaction (one commit) per page.
  const committed = await benchBusiness(admin, "Upsert bench (commit per page)");
  started = performance.now();
  for (let p = 0; p < pages; p++) await apply(admin, committed, page(p, "c"));
  console.log(`upsert: ${rows} new rows, one commit per 100-row page: ${rate(rows, started)} rows/s`);

  const single = Math.min(2_000, rows);
  started = performance.now();
  for (let i = 0; i < single; i++) await apply(admin, committed, [syntheticRow(rows + i, "c")]);
  console.log(`upsert: one row per call and commit (${single} rows, for comparison): ${rate(single, started)} rows/s`);
  await admin`delete from public.businesses where id in (${alone}, ${committed})`;
}

async function json(res: Response) {
  const body = await res.json();
  if (!res.ok) throw new Error(`${res.url} answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

/** Connects a fresh business to a fresh sandbox account through the real OAuth flow. */
async function connect(stack: RunningStack, admin: Sql, accountId: string, businessId: string) {
  const { supabaseUrl, anonKey, sandboxUrl } = stack.info;
  const email = `bench-${crypto.randomUUID()}@demo.test`;
  const [user] = await admin<{ id: string }[]>`
    insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at, created_at, updated_at)
    values (gen_random_uuid(), 'authenticated', 'authenticated', ${email},
            extensions.crypt('password123', extensions.gen_salt('bf')), now(), now(), now())
    returning id`;
  await admin`insert into public.business_members (business_id, user_id, role) values (${businessId}, ${user!.id}, 'owner')`;
  const session = await json(await fetch(`${supabaseUrl}/auth/v1/token?grant_type=password`, {
    method: "POST",
    headers: { apikey: anonKey, "content-type": "application/json" },
    body: JSON.stringify({ email, password: "password123" }),
  }));
  const { url } = await json(await fetch(`${supabaseUrl}/functions/v1/jobber-connect`, {
    method: "POST",
    headers: { authorization: `Bearer ${session.access_token}`, "content-type": "application/json" },
    body: JSON.stringify({ business_id: businessId }),
  }));
  const authorize = new URL(url);
  const consent = await fetch(`${sandboxUrl}/api/oauth/authorize`, {
    method: "POST",
    redirect: "manual",
    body: new URLSearchParams({
      account_id: accountId,
      client_id: authorize.searchParams.get("client_id")!,
      redirect_uri: authorize.searchParams.get("redirect_uri")!,
      response_type: "code",
      state: authorize.searchParams.get("state")!,
      decision: "allow",
    }),
  });
  await consent.body?.cancel();
  const callback = await fetch(consent.headers.get("location")!, { redirect: "manual" });
  await callback.body?.cancel();
  const landed = new URL(callback.headers.get("location")!);
  const ticket = landed.searchParams.get("result") === "confirm" ? landed.searchParams.get("ticket") : null;
  if (!ticket) throw new Error(`Connect failed: ${landed.search}`);
  // The callback page, signed in as the user who started, finishes the connection (SPEC §12).
  const completed = await fetch(`${supabaseUrl}/functions/v1/jobber-complete`, {
    method: "POST",
    headers: { authorization: `Bearer ${session.access_token}`, "content-type": "application/json" },
    body: JSON.stringify({ ticket }),
  });
  const body = await json(completed);
  if (body.result !== "connected") throw new Error(`Connect failed: ${JSON.stringify(body)}`);
}

function peakMemoryMb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

export interface SyncBenchResult {
  clients: number;
  peakMemoryMb: number;
}

export async function benchSync(
  stack: RunningStack,
  admin: Sql,
  opts: { clients: number; restoreRate: number },
): Promise<SyncBenchResult> {
  const sandbox = stack.info.sandboxUrl!;
  const bucketMax = 10_000;
  await fetch(`${sandbox}/_sandbox/faults`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ bucket: { max: bucketMax, restoreRate: opts.restoreRate } }),
  }).then(json);
  const account = await json(await fetch(`${sandbox}/_sandbox/accounts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: `Bench ${opts.clients}` }),
  }));
  const generateStarted = performance.now();
  await json(await fetch(`${sandbox}/_sandbox/accounts/${encodeURIComponent(account.id)}/clients/generate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ count: opts.clients, seed: 42 }),
  }));
  const generateMs = performance.now() - generateStarted;

  // A fresh functions process, so its peak memory belongs to this run alone.
  await stack.restartFunctions();
  const businessId = await benchBusiness(admin, `Sync bench ${opts.clients}`);
  await connect(stack, admin, account.id, businessId);

  let run: Record<string, unknown> | undefined;
  for (;;) {
    [run] = await admin`select * from public.jobber_sync_runs where business_id = ${businessId} order by created_at desc limit 1`;
    if (run && ["succeeded", "failed", "cancelled"].includes(String(run.state))) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const wallS = ((run!.finished_at as Date).getTime() - (run!.started_at as Date).getTime()) / 1000;
  const points = Number(run!.points_spent);
  const lowerBoundS = Math.max(0, (points - bucketMax) / opts.restoreRate);
  const memory = peakMemoryMb(stack.functionsPid());
  const label = `sync ${opts.clients} clients @ ${opts.restoreRate} points/s`;
  console.log(`${label}: state ${run!.state}, ${run!.processed}/${run!.total} processed, ${run!.created} created, ` +
    `${run!.failed} failed (sandbox generated them in ${generateMs.toFixed(0)} ms)`);
  console.log(`${label}: wall ${wallS.toFixed(1)} s, lower bound ${lowerBoundS.toFixed(1)} s ` +
    `((${points} points - ${bucketMax} bucket) / ${opts.restoreRate}), ratio ${(wallS / Math.max(lowerBoundS, 0.001)).toFixed(3)} ` +
    `(target <= 1.10), ${(points / opts.clients).toFixed(1)} points/client, ${(opts.clients / wallS).toFixed(1)} clients/s`);
  console.log(`${label}: functions process peak memory ${memory.toFixed(1)} MB`);
  return { clients: opts.clients, peakMemoryMb: memory };
}
