-- jobber_status: the view the card reads. One row per business the caller belongs to, with the
-- Jobber connection, customer counts (removed ones excluded) and the latest sync run folded in;
-- it names no token column, and anon cannot read it.
begin;
select plan(17);

-- Fixture: businesses A and B with their people (supabase/tests/database/00_test_helpers.sql).
select tests.create_tenancy_fixture();

-- Customers: A has two manual (one a lead), one live Jobber and one removed Jobber; B has one.
insert into public.customers (business_id, source, external_id, full_name, status)
values
  (tests.id('business_a'), 'manual', null, 'Manual active', 'active'),
  (tests.id('business_a'), 'manual', null, 'Manual lead', 'lead'),
  (tests.id('business_a'), 'jobber', 'J-1', 'Jobber active', 'active'),
  (tests.id('business_a'), 'jobber', 'J-2', 'Jobber removed', 'removed'),
  (tests.id('business_b'), 'manual', null, 'B customer', 'active');

-- Before any connection or run
select tests.sign_in('member_a');
select results_eq(
  'select business_id, business_name from public.jobber_status',
  $$values (tests.id('business_a'), 'Fixture A'::text)$$,
  'a member of business A sees exactly one status row, business A''s'
);
select results_eq(
  'select connected, connection_status, needs_reconnect, account_name from public.jobber_status',
  $$values (false, 'disconnected'::text, false, null::text)$$,
  'with no connection row, business A shows as not connected and disconnected'
);
select results_eq(
  'select sync_state, sync_run_id, sync_processed, sync_synced, sync_errors from public.jobber_status',
  $$values ('never'::text, null::uuid, 0, 0, 0)$$,
  'with no sync run, business A''s sync state is never'
);
select results_eq(
  'select customers_total, customers_from_jobber from public.jobber_status',
  $$values (3, 1)$$,
  'customer counts cover business A only and leave out customers removed in Jobber'
);

select tests.sign_in('member_b');
select results_eq(
  'select business_id, customers_total, customers_from_jobber from public.jobber_status',
  $$values (tests.id('business_b'), 1, 0)$$,
  'a member of business B sees only business B''s status row and counts'
);

-- Connected, with several runs: the latest one (by created_at) is shown
reset role;
do $$
begin
  perform set_config('fixture.run_latest', gen_random_uuid()::text, true);
  insert into public.integrations_jobber
    (business_id, access_token_secret_id, refresh_token_secret_id, account_id, account_name,
     connection_status, connected_at, needs_reconnect, last_customer_sync_at)
  values
    (tests.id('business_a'), gen_random_uuid(), gen_random_uuid(), 'acct-' || tests.id('business_a'),
     'Acme Jobber', 'connected', now() - interval '3 days', true, now() - interval '2 hours');
  insert into public.jobber_sync_runs
    (id, business_id, kind, state, processed, created, updated, linked, unchanged, failed, created_at, finished_at)
  values
    (gen_random_uuid(), tests.id('business_a'), 'full', 'failed', 9, 1, 1, 1, 1, 5,
     now() - interval '3 hours', now() - interval '3 hours'),
    (tests.id('run_latest'), tests.id('business_a'), 'incremental', 'running', 7, 2, 1, 1, 2, 1,
     now() - interval '1 hour', null),
    (gen_random_uuid(), tests.id('business_a'), 'full', 'succeeded', 40, 10, 10, 10, 10, 0,
     now() - interval '2 hours', now() - interval '2 hours');
end
$$;

select tests.sign_in('member_a');
select results_eq(
  'select connected, connection_status, needs_reconnect, account_name from public.jobber_status',
  $$values (true, 'connected'::text, true, 'Acme Jobber'::text)$$,
  'once connected, business A''s row shows the connection and its reconnect flag'
);
select results_eq(
  'select sync_run_id, sync_kind, sync_state, sync_processed, sync_synced, sync_errors from public.jobber_status',
  $$values (tests.id('run_latest'), 'incremental'::text, 'running'::text, 7, 6, 1)$$,
  'with several runs, business A''s row shows the most recently created one'
);
select is(
  (select count(*)::int from public.jobber_status),
  1,
  'several runs still give business A exactly one status row'
);
select is(
  (select last_sync from public.jobber_status),
  (select now() - interval '2 hours'),
  'last_sync is the connection''s last customer sync'
);

select tests.sign_in('member_b');
select is(
  (select count(*)::int from public.jobber_status where business_id = tests.id('business_a')),
  0,
  'a member of business B does not see business A''s status'
);
select results_eq(
  'select connected, connection_status, sync_state from public.jobber_status',
  $$values (false, 'disconnected'::text, 'never'::text)$$,
  'business A''s connection and runs do not leak into business B''s row'
);

-- Anonymous callers
reset role;
set local role anon;
select throws_ok(
  'select * from public.jobber_status',
  '42501', 'permission denied for view jobber_status',
  'anon cannot read the status view'
);

-- Service role
reset role;
set local role service_role;
select is(
  (select count(*)::int from public.jobber_status
    where business_id in (tests.id('business_a'), tests.id('business_b'))),
  2,
  'the service role reads every business''s status'
);

-- Shape: no token column, and it runs with the caller's rights
reset role;
select has_column('public', 'jobber_status', 'connection_status', 'the status view exposes connection_status');
select is_empty(
  $$select column_name::text from information_schema.columns
     where table_schema = 'public' and table_name = 'jobber_status' and column_name ilike '%secret%'$$,
  'the status view has no column whose name contains "secret"'
);
select is(
  (select count(*)::int from information_schema.columns where table_schema = 'public' and table_name = 'jobber_status'),
  (select count(*)::int from pg_attribute where attrelid = 'public.jobber_status'::regclass and attnum > 0 and not attisdropped),
  'information_schema lists every column of the status view, so the secret check saw them all'
);
select ok(
  (select 'security_invoker=true' = any (reloptions) from pg_class where oid = 'public.jobber_status'::regclass),
  'the status view is security_invoker, so the caller''s RLS and column grants apply'
);

select * from finish();
rollback;
