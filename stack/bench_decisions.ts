// The review decision benchmark: decisions per second when one INSERT brings 10,000 completions
// (the 30-day backfill after connecting, and a reconciliation of live completions), with JIT on
// and off for the decision function. Each measurement runs in a transaction that is rolled back,
// so every run decides the same rows from the same state.
import type postgres from "postgres";

type Sql = ReturnType<typeof postgres>;

interface Fixture {
  businessId: string;
}

/** A connected business with review requests on and `rows` customers, each with one job. */
async function fixture(admin: Sql, rows: number): Promise<Fixture> {
  const [b] = await admin<{ id: string }[]>`insert into public.businesses (name) values ('Decision bench') returning id`;
  const businessId = b!.id;
  await admin`
    insert into public.integrations_jobber (business_id, access_token_secret_id, refresh_token_secret_id, account_id,
                                            account_name, connection_status, connected_at)
    values (${businessId}, gen_random_uuid(), gen_random_uuid(), ${`bench-${businessId}`}, 'Bench', 'connected', now())`;
  await admin`
    update public.review_settings set enabled = true, review_url = 'https://example.com/review', delay_minutes = 60
    where business_id = ${businessId}`;
  // Realistic contacts: every tenth customer shares a phone with the one before (a household),
  // one in fifty has no usable contact, one in a hundred opted out.
  await admin`
    insert into public.customers (business_id, source, external_id, full_name, phone, email, phone_usable, email_usable)
    select ${businessId}, 'jobber', 'bench-' || g, 'Bench Customer ' || g,
           '+1202' || lpad((case when g % 10 = 0 then g - 1 else g end)::text, 7, '0'),
           'bench' || g || '@example.com', g % 50 <> 0, g % 50 <> 0
    from generate_series(1, ${rows}) g`;
  await admin`
    insert into public.contact_opt_outs (business_id, channel, address, source)
    select ${businessId}, 'sms', c.phone, 'sms_stop' from public.customers c
    where c.business_id = ${businessId} and c.external_id ~ '00$' on conflict do nothing`;
  await admin`
    insert into public.jobs (business_id, external_id, customer_id, title, job_status, total, property_time_zone)
    select c.business_id, 'job-' || c.external_id, c.id, 'Bench job', 'requires_invoicing', 150,
           (array['America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Not/A_Zone', null])[1 + (row_number() over ()) % 5]
    from public.customers c where c.business_id = ${businessId}`;
  await admin`analyze public.customers`;
  await admin`analyze public.jobs`;
  return { businessId };
}

async function timedInsert(admin: Sql, f: Fixture, source: "backfill" | "reconcile", jit: boolean) {
  let ms = 0;
  let decided = 0;
  let requested = 0;
  await admin.begin(async (tx) => {
    // The migration sets jit = off on the function; this measures the difference (rolled back).
    await tx.unsafe(`alter function private.review_decide(uuid[], text) set jit = ${jit ? "on" : "off"}`);
    const started = performance.now();
    await tx`
      insert into public.job_completions (business_id, job_id, customer_id, kind, completed_at, source)
      select j.business_id, j.id, j.customer_id, 'job_closed', now() - interval '1 hour', ${source}
      from public.jobs j where j.business_id = ${f.businessId}`;
    ms = performance.now() - started;
    const [row] = await tx<{ decided: number; requested: number }[]>`
      select count(*)::int as decided, count(*) filter (where outcome = 'requested')::int as requested
      from public.review_decisions where business_id = ${f.businessId}`;
    decided = row!.decided;
    requested = row!.requested;
    throw new Rollback();
  }).catch((e) => {
    if (!(e instanceof Rollback)) throw e;
  });
  return { ms, decided, requested };
}

class Rollback extends Error {}

export async function benchDecisions(admin: Sql, rows: number): Promise<void> {
  const f = await fixture(admin, rows);
  try {
    // One warm-up so both modes start with the same caches.
    await timedInsert(admin, f, "backfill", false);
    for (const source of ["backfill", "reconcile"] as const) {
      const results: Record<string, number> = {};
      for (const jit of [true, false]) {
        const runs = [];
        for (let i = 0; i < 3; i++) runs.push(await timedInsert(admin, f, source, jit));
        const best = runs.reduce((a, b) => (a.ms <= b.ms ? a : b));
        const rate = best.decided / (best.ms / 1000);
        results[jit ? "on" : "off"] = rate;
        console.log(
          `decisions: ${rows}-row ${source} insert (one statement), jit ${jit ? "on " : "off"}: ` +
            `${best.ms.toFixed(0)} ms, ${rate.toFixed(0)} decisions/s (target >= 2000), ` +
            `${best.decided} decided, ${best.requested} requested (best of 3)`,
        );
      }
      console.log(`decisions: ${source}: jit off is ${(results.off! / results.on!).toFixed(2)}x jit on`);
    }
    await singleCompletions(admin, f, 200);
  } finally {
    await admin`delete from public.businesses where id = ${f.businessId}`;
  }
}

/** Webhook-sized work: one completion per INSERT and commit, as the webhook worker records them. */
async function singleCompletions(admin: Sql, f: Fixture, count: number): Promise<void> {
  const jobs = await admin<{ id: string }[]>`
    select j.id from public.jobs j where j.business_id = ${f.businessId} order by j.external_id limit ${count}`;
  const ms: number[] = [];
  for (const job of jobs) {
    const started = performance.now();
    await admin`
      insert into public.job_completions (business_id, job_id, customer_id, kind, completed_at, source)
      select j.business_id, j.id, j.customer_id, 'job_closed', now(), 'webhook' from public.jobs j where j.id = ${job.id}
      on conflict do nothing`;
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!;
  console.log(
    `decisions: one completion per insert and commit (${ms.length} inserts): p50 ${at(0.5).toFixed(1)} ms, ` +
      `p99 ${at(0.99).toFixed(1)} ms (insert + decision + request + messages)`,
  );
}
