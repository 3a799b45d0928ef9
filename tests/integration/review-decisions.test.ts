// The review decision engine under concurrency, and the owner actions as the card calls them.
// Decisions for one business are serialised, so two transactions completing jobs for one household
// at the same moment ask it once; the held-request actions work through PostgREST RPC with the
// signed-in user's JWT and keep the tokens out of reach.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { adminSql, signedInClient, stack } from '../support/stack';
import { cleanup, createTenant } from '../support/jobber_fixtures';

const admin = adminSql();
const created = { businessIds: [] as string[], userIds: [] as string[] };
// The project's own role, as the Jobber apply functions connect: `postgres` switching to service_role.
const service = postgres(stack.dbUrl, { max: 30, onnotice: () => {} });

afterAll(async () => {
  await cleanup(admin, created);
  await service.end();
  await admin.end();
});

/** A business connected to Jobber with review requests on and no delay; its owner signs in. */
async function reviewBusiness(options: { requireApproval?: boolean } = {}) {
  const t = await createTenant(admin, 'owner', 'Review Decisions Co');
  created.businessIds.push(t.businessId);
  created.userIds.push(t.user.id);
  await admin`
    insert into public.integrations_jobber (business_id, access_token_secret_id, refresh_token_secret_id, account_id,
                                            account_name, connection_status, connected_at)
    values (${t.businessId}, gen_random_uuid(), gen_random_uuid(), ${`acct-${t.businessId}`}, 'Decisions Jobber', 'connected', now())`;
  await admin`
    update public.review_settings set enabled = true, review_url = 'https://example.com/review', delay_minutes = 0,
      require_approval = ${options.requireApproval ?? false}
    where business_id = ${t.businessId}`;
  return t;
}

/** n customers sharing one phone (a household), each with a job. Returns the job ids. */
async function household(businessId: string, n: number, phone: string): Promise<string[]> {
  const jobs: string[] = [];
  for (let i = 0; i < n; i++) {
    const [c] = await admin<{ id: string }[]>`
      insert into public.customers (business_id, source, external_id, full_name, phone)
      values (${businessId}, 'jobber', ${`client-${crypto.randomUUID()}`}, ${`Member ${i}`}, ${phone}) returning id`;
    const [j] = await admin<{ id: string }[]>`
      insert into public.jobs (business_id, external_id, customer_id, title)
      values (${businessId}, ${`job-${crypto.randomUUID()}`}, ${c!.id}, 'Concurrent job') returning id`;
    jobs.push(j!.id);
  }
  return jobs;
}

/** Records a job's completion as the webhook worker does, in its own transaction. */
function complete(sql: postgres.Sql | postgres.TransactionSql, jobId: string) {
  return sql`
    insert into public.job_completions (business_id, job_id, customer_id, kind, completed_at, source)
    select j.business_id, j.id, j.customer_id, 'job_closed', now(), 'webhook' from public.jobs j where j.id = ${jobId}
    on conflict do nothing`;
}

async function reasons(businessId: string) {
  const rows = await admin<{ reason: string; n: number }[]>`
    select reason, count(*)::int as n from public.review_decisions where business_id = ${businessId} group by reason`;
  return Object.fromEntries(rows.map((r) => [r.reason, r.n]));
}

describe('review decisions under concurrency', () => {
  let businessId: string;
  beforeAll(async () => {
    ({ businessId } = await reviewBusiness());
  });

  it('asks one household once when two sessions complete its jobs at the same moment', async () => {
    const [first, second] = await household(businessId, 2, '+12125559001');
    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstInserted!: () => void;
    const firstHasDecided = new Promise<void>((resolve) => (firstInserted = resolve));

    // Session 1 decides (holding the business's decision lock) and waits before committing.
    const one = service.begin(async (tx) => {
      await tx`set local role service_role`;
      await complete(tx, first!);
      firstInserted();
      await firstMayCommit;
    });
    await firstHasDecided;
    // Session 2 completes the housemate's job meanwhile: its decision must wait for session 1.
    const two = service.begin(async (tx) => {
      await tx`set local role service_role`;
      await complete(tx, second!);
    });
    let waited = false;
    for (let i = 0; i < 50 && !waited; i++) {
      const [row] = await admin<{ n: number }[]>`
        select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and classid = 1380275793`;
      waited = row!.n > 0;
      if (!waited) await new Promise((r) => setTimeout(r, 20));
    }
    console.log(`review-decisions: the second session ${waited ? 'waited on' : 'did NOT wait on'} the business's decision lock`);
    expect(waited).toBe(true);
    releaseFirst();
    await Promise.all([one, two]);

    expect(await reasons(businessId)).toEqual({ requested: 1, household_recently_asked: 1 });
    const [requests] = await admin<{ n: number }[]>`
      select count(*)::int as n from public.review_requests r join public.customers c on c.id = r.customer_id
      where c.phone = '+12125559001'`;
    expect(requests!.n).toBe(1);
  });

  it('asks one household once when twenty sessions complete its jobs together', async () => {
    const jobs = await household(businessId, 20, '+12125559002');
    // Every session opens its transaction first; then all insert at once.
    let arrived = 0;
    let go!: () => void;
    const allOpen = new Promise<void>((resolve) => (go = resolve));
    await Promise.all(jobs.map((jobId) => service.begin(async (tx) => {
      await tx`set local role service_role`;
      if (++arrived === jobs.length) go();
      await allOpen;
      await complete(tx, jobId);
    })));
    const rows = await admin<{ reason: string; n: number }[]>`
      select d.reason, count(*)::int as n from public.review_decisions d join public.customers c on c.id = d.customer_id
      where c.phone = '+12125559002' group by d.reason order by d.reason`;
    console.log(`review-decisions: 20 concurrent completions for one household -> ${JSON.stringify(rows)}`);
    expect(rows).toEqual([{ reason: 'household_recently_asked', n: 19 }, { reason: 'requested', n: 1 }]);
  });

  it('records one decision for a completion delivered by many sessions at once', async () => {
    const [jobId] = await household(businessId, 1, '+12125559003');
    await Promise.all(Array.from({ length: 10 }, () => service.begin(async (tx) => {
      await tx`set local role service_role`;
      await complete(tx, jobId!);
    })));
    const [row] = await admin<{ completions: number; decisions: number; requests: number }[]>`
      select (select count(*)::int from public.job_completions where job_id = ${jobId!}) as completions,
             (select count(*)::int from public.review_decisions where job_id = ${jobId!}) as decisions,
             (select count(*)::int from public.review_requests where job_id = ${jobId!}) as requests`;
    expect(row).toEqual({ completions: 1, decisions: 1, requests: 1 });
  });
});

describe('held requests through PostgREST, as the card calls them', () => {
  it('lets the owner approve and skip with supabase.rpc, and never returns a token', async () => {
    const t = await reviewBusiness({ requireApproval: true });
    const [a] = await household(t.businessId, 1, '+12125559101');
    const [b] = await household(t.businessId, 1, '+12125559102');
    await complete(admin, a!);
    await complete(admin, b!);
    const client = await signedInClient(t.user.email);

    const { data: held, error: readError } = await client.from('review_requests').select('id, job_id, state').order('created_at');
    expect(readError).toBeNull();
    expect(held?.map((r) => r.state)).toEqual(['held', 'held']);
    const byJob = new Map(held!.map((r) => [r.job_id as string, r.id as string]));

    const approved = await client.rpc('review_approve_request', { p_request_id: byJob.get(a!) });
    expect(approved.error).toBeNull();
    expect(approved.data.state).toBe('scheduled');
    expect(JSON.stringify(approved.data)).not.toMatch(/token/);
    const skipped = await client.rpc('review_skip_request', { p_request_id: byJob.get(b!) });
    expect(skipped.error).toBeNull();
    expect(skipped.data).toMatchObject({ state: 'cancelled', cancel_reason: 'skipped' });

    const again = await client.rpc('review_approve_request', { p_request_id: byJob.get(b!) });
    expect(again.error?.code).toBe('BJ008');
    const tokens = await client.from('review_requests').select('link_token');
    expect(tokens.error?.message).toMatch(/permission denied/);

    const preview = await client.rpc('review_ask_recent_preview', { p_business_id: t.businessId });
    expect(preview.error).toBeNull();
    expect(preview.data).toMatchObject({ candidates: 0, asked: 0 });
  });
});
