-- jobber_sync_runs: members read their business's runs; only the service role writes them; and a
-- business has at most one live (queued or running) run at a time.
begin;
select plan(20);

-- Fixture: businesses A and B with their people (supabase/tests/database/00_test_helpers.sql).
select tests.create_tenancy_fixture();

-- A has a finished run and a queued one; B has a queued one.
do $$
begin
  perform set_config('fixture.finished_a', gen_random_uuid()::text, true);
  perform set_config('fixture.queued_a', gen_random_uuid()::text, true);
  perform set_config('fixture.queued_b', gen_random_uuid()::text, true);
  insert into public.jobber_sync_runs (id, business_id, kind, state, finished_at)
  values
    (tests.id('finished_a'), tests.id('business_a'), 'full', 'succeeded', now()),
    (tests.id('queued_a'), tests.id('business_a'), 'incremental', 'queued', null),
    (tests.id('queued_b'), tests.id('business_b'), 'full', 'queued', null);
end
$$;

-- Reading
select tests.sign_in('member_a');
select set_eq(
  'select id from public.jobber_sync_runs',
  $$values (tests.id('finished_a')), (tests.id('queued_a'))$$,
  'a member of business A sees exactly business A''s sync runs'
);

select tests.sign_in('member_b');
select is(
  (select count(*)::int from public.jobber_sync_runs where business_id = tests.id('business_a')),
  0,
  'a member of business B cannot read business A''s sync runs'
);
select results_eq(
  'select id from public.jobber_sync_runs',
  $$values (tests.id('queued_b'))$$,
  'a member of business B sees only business B''s sync run'
);

-- Writing, even as owner
select tests.sign_in('owner_a');
select throws_ok(
  $$insert into public.jobber_sync_runs (business_id, kind) values (tests.id('business_a'), 'full')$$,
  '42501', 'permission denied for table jobber_sync_runs',
  'the owner cannot queue a sync run directly'
);
select throws_ok(
  $$update public.jobber_sync_runs set state = 'cancelled' where id = tests.id('queued_a')$$,
  '42501', 'permission denied for table jobber_sync_runs',
  'the owner cannot change a sync run'
);
select throws_ok(
  $$delete from public.jobber_sync_runs where id = tests.id('finished_a')$$,
  '42501', 'permission denied for table jobber_sync_runs',
  'the owner cannot delete a sync run'
);

-- Anonymous callers
reset role;
set local role anon;
select throws_ok(
  'select id from public.jobber_sync_runs',
  '42501', 'permission denied for table jobber_sync_runs',
  'anon cannot read sync runs'
);
select throws_ok(
  $$insert into public.jobber_sync_runs (business_id, kind) values (tests.id('business_a'), 'full')$$,
  '42501', 'permission denied for table jobber_sync_runs',
  'anon cannot queue a sync run'
);
select throws_ok(
  $$update public.jobber_sync_runs set state = 'cancelled'$$,
  '42501', 'permission denied for table jobber_sync_runs',
  'anon cannot change sync runs'
);
select throws_ok(
  'delete from public.jobber_sync_runs',
  '42501', 'permission denied for table jobber_sync_runs',
  'anon cannot delete sync runs'
);

reset role;
select is(
  (select state from public.jobber_sync_runs where id = tests.id('queued_a')),
  'queued',
  'the refused writes left business A''s queued run as it was'
);

-- Service role, and the one-live-run-per-business rule
set local role service_role;
select throws_ok(
  $$insert into public.jobber_sync_runs (business_id, kind) values (tests.id('business_a'), 'full')$$,
  '23505', 'duplicate key value violates unique constraint "jobber_sync_runs_one_live_run_per_business"',
  'a second queued run for a business that already has one is refused'
);
select lives_ok(
  $$insert into public.jobber_sync_runs (business_id, kind, state, finished_at)
    values (tests.id('business_a'), 'full', 'failed', now())$$,
  'a finished run can be recorded while another run is live'
);
with u as (
  update public.jobber_sync_runs set state = 'running', started_at = now(), lease_owner = 'worker-1'
   where id = tests.id('queued_a')
  returning 1
)
select is(count(*)::int, 1, 'the service role starts the queued run') from u;
select throws_ok(
  $$insert into public.jobber_sync_runs (business_id, kind) values (tests.id('business_a'), 'incremental')$$,
  '23505', 'duplicate key value violates unique constraint "jobber_sync_runs_one_live_run_per_business"',
  'a running run also blocks a new queued run for the same business'
);
with u as (
  update public.jobber_sync_runs set state = 'succeeded', finished_at = now()
   where id = tests.id('queued_a')
  returning 1
)
select is(count(*)::int, 1, 'the service role finishes the run') from u;
select lives_ok(
  $$insert into public.jobber_sync_runs (business_id, kind) values (tests.id('business_a'), 'incremental')$$,
  'once the live run finished, a new run can be queued for the business'
);
select is(
  (select count(*)::int from public.jobber_sync_runs
    where business_id in (tests.id('business_a'), tests.id('business_b')) and state in ('queued', 'running')),
  2,
  'businesses A and B each have their own live run at the same time'
);
with d as (delete from public.jobber_sync_runs where id = tests.id('finished_a') returning 1)
select is(count(*)::int, 1, 'the service role deletes a sync run') from d;
select throws_ok(
  $$insert into public.jobber_sync_runs (business_id, kind, state) values (tests.id('business_b'), 'partial', 'succeeded')$$,
  '23514', 'new row for relation "jobber_sync_runs" violates check constraint "jobber_sync_runs_kind_check"',
  'a sync run''s kind is full or incremental'
);

reset role;
select * from finish();
rollback;
