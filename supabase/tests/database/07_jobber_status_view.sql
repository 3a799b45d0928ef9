-- jobber_status: the view the card reads and jobber-status answers. One row per business the
-- caller belongs to, carrying the status JSON of SPEC §5 (built here and nowhere else) with the
-- Jobber connection, customer counts (removed ones excluded) and the latest sync run folded in; it
-- names no token column, and anon cannot read it.
begin;
select plan(20);

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
select is(
  (select status::jsonb from public.jobber_status),
  $${
    "connected": false, "connectionStatus": "disconnected", "account_name": null, "last_sync": null,
    "token_expires_at": null,
    "connection": {"account_name": null, "last_sync": null, "connected_at": null},
    "needs_reconnect": false, "error_message": null,
    "customers": {"total": 3, "from_jobber": 1},
    "sync": {"run_id": null, "kind": null, "state": "never", "processed": 0, "total": null, "synced": 0,
             "errors": 0, "started_at": null, "finished_at": null, "error": null,
             "created": 0, "updated": 0, "removed": 0, "since": null},
    "webhooks": {"last_event_at": null, "pending": 0, "failed": 0},
    "jobs": {"completed_30d": 0, "last_completed_at": null}
  }$$::jsonb,
  'a business that never connected has the full status with every SPEC §5 key: disconnected, sync never, its own customer counts'
);
select is(
  (select array_agg(k order by n) from public.jobber_status, json_object_keys(status) with ordinality as x(k, n)),
  array['connected', 'connectionStatus', 'account_name', 'last_sync', 'token_expires_at', 'connection',
        'needs_reconnect', 'error_message', 'customers', 'sync', 'webhooks', 'jobs'],
  'the status keys come in SPEC §5''s order (the dashboard''s original fields first), then SPEC §9''s jobs'
);
select is(
  (select array_agg(k order by n) from public.jobber_status, json_object_keys(status -> 'sync') with ordinality as x(k, n)),
  array['run_id', 'kind', 'state', 'processed', 'total', 'synced', 'errors', 'started_at', 'finished_at', 'error',
        'created', 'updated', 'removed', 'since'],
  'the sync keys come in SPEC §5''s order, then what the run changed'
);

select tests.sign_in('member_b');
select results_eq(
  $$select business_id, status -> 'customers' ->> 'total', status -> 'customers' ->> 'from_jobber' from public.jobber_status$$,
  $$values (tests.id('business_b'), '1', '0')$$,
  'a member of business B sees only business B''s status row and counts'
);

-- Connected, with several runs: the latest one (by created_at) is shown
reset role;
do $$
begin
  perform set_config('fixture.run_latest', gen_random_uuid()::text, true);
  insert into public.integrations_jobber
    (business_id, access_token_secret_id, refresh_token_secret_id, account_id, account_name,
     connection_status, connected_at, needs_reconnect, last_customer_sync_at, token_expires_at)
  values
    (tests.id('business_a'), gen_random_uuid(), gen_random_uuid(), 'acct-' || tests.id('business_a'),
     'Acme Jobber', 'connected', '2025-10-09 03:00:00+00', true, '2025-10-12 03:27:49.112999+00',
     '2025-10-12 04:27:49.112+00');
  insert into public.jobber_sync_runs
    (id, business_id, kind, state, processed, created, updated, linked, unchanged, failed, created_at, finished_at)
  values
    (gen_random_uuid(), tests.id('business_a'), 'full', 'failed', 9, 1, 1, 1, 1, 5,
     now() - interval '3 hours', now() - interval '3 hours'),
    (tests.id('run_latest'), tests.id('business_a'), 'incremental', 'running', 7, 2, 1, 1, 2, 1,
     now() - interval '1 hour', null),
    (gen_random_uuid(), tests.id('business_a'), 'full', 'succeeded', 40, 10, 10, 10, 10, 0,
     now() - interval '2 hours', now() - interval '2 hours');
  update public.jobber_sync_runs set since = '2025-10-12 03:22:49.112+00', removed = 3 where id = tests.id('run_latest');
end
$$;

select tests.sign_in('member_a');
select results_eq(
  $$select (status ->> 'connected')::boolean, status ->> 'connectionStatus', (status ->> 'needs_reconnect')::boolean,
           status ->> 'account_name', status -> 'connection' ->> 'account_name' from public.jobber_status$$,
  $$values (true, 'connected'::text, true, 'Acme Jobber'::text, 'Acme Jobber'::text)$$,
  'once connected, business A''s status shows the connection, its account and its reconnect flag'
);
select results_eq(
  $$select (status -> 'sync' ->> 'run_id')::uuid, status -> 'sync' ->> 'kind', status -> 'sync' ->> 'state',
           (status -> 'sync' ->> 'processed')::int, (status -> 'sync' ->> 'synced')::int, (status -> 'sync' ->> 'errors')::int
      from public.jobber_status$$,
  $$values (tests.id('run_latest'), 'incremental'::text, 'running'::text, 7, 6, 1)$$,
  'with several runs, business A''s status shows the most recently created one'
);
select results_eq(
  $$select (status -> 'sync' ->> 'created')::int, (status -> 'sync' ->> 'updated')::int,
           (status -> 'sync' ->> 'removed')::int from public.jobber_status$$,
  $$values (2, 2, 3)$$,
  'the latest run''s changes: created, updated (linked customers included) and removed'
);
select is(
  (select status -> 'sync' ->> 'since' from public.jobber_status),
  '2025-10-12T03:22:49.112Z',
  'since is the time the incremental run looks for changes from, written as toISOString() writes it'
);
select results_eq(
  $$select status ->> 'token_expires_at', status ->> 'last_sync', status -> 'connection' ->> 'last_sync',
           status -> 'connection' ->> 'connected_at' from public.jobber_status$$,
  $$values ('2025-10-12T04:27:49.112Z'::text, '2025-10-12T03:27:49.112Z'::text, '2025-10-12T03:27:49.112Z'::text,
            '2025-10-09T03:00:00.000Z'::text)$$,
  'timestamps are written as JavaScript''s toISOString() writes them: UTC, milliseconds, Z'
);
select is(
  (select count(*)::int from public.jobber_status),
  1,
  'several runs still give business A exactly one status row'
);
select is(
  (select status ->> 'last_sync' from public.jobber_status),
  (select to_char(last_customer_sync_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
     from public.integrations_jobber where business_id = tests.id('business_a')),
  'last_sync is the connection''s last customer sync'
);

select tests.sign_in('member_b');
select is(
  (select count(*)::int from public.jobber_status where business_id = tests.id('business_a')),
  0,
  'a member of business B does not see business A''s status'
);
select results_eq(
  $$select (status ->> 'connected')::boolean, status ->> 'connectionStatus', status -> 'sync' ->> 'state' from public.jobber_status$$,
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
select columns_are('public', 'jobber_status', array['business_id', 'business_name', 'status'],
  'the status view is the business and its status JSON, nothing else');
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
