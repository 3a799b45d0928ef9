-- Reconciliation runs (SPEC §9): the first run of a connected business is the 30-day backfill;
-- later runs cover the checkpoint minus 2 hours (never more than 30 days) up to when they started,
-- hourly; a run is held by its worker's lease and every page goes through the guard with the
-- run's source; finishing moves the checkpoint; a run given back is retried later or continued at
-- once; and a connection's first full sync wakes its reconciliation.
begin;
select plan(25);

select tests.create_tenancy_fixture();
insert into public.integrations_jobber (business_id, access_token_secret_id, refresh_token_secret_id, account_id,
  account_name, connection_status, connected_at, last_job_sync_at)
values
  (tests.id('business_a'), gen_random_uuid(), gen_random_uuid(), 'acct-a', 'A', 'connected', now() - interval '2 days', null),
  (tests.id('business_b'), gen_random_uuid(), gen_random_uuid(), 'acct-b', 'B', 'connected', now() - interval '90 days',
   now() - interval '3 hours');
create temporary table posted (id bigserial, fn text, body jsonb);
create or replace function private.invoke_edge_function(p_name text, p_body jsonb, p_timeout_ms integer default 5000)
returns bigint language sql as $$ insert into pg_temp.posted (fn, body) values (p_name, p_body) returning id $$;
select set_config('fixture.lease', private.worker_lease_take('reconcile', 60000), true);
select set_config('fixture.other', private.worker_lease_take('reconcile', 60000), true);

-- Who is due
select results_eq(
  $$select business_id, source, phase, cursor, window_end = now(), lease_owner
      from private.jobber_claim_reconciles(current_setting('fixture.lease'), 10)
     where business_id in (tests.id('business_a'), tests.id('business_b')) order by source$$,
  $$values (tests.id('business_a'), 'backfill'::text, 'jobs'::text, null::text, true, current_setting('fixture.lease')),
           (tests.id('business_b'), 'reconcile'::text, 'jobs'::text, null::text, true, current_setting('fixture.lease'))$$,
  'the sweep takes a never-reconciled business (backfill) and one last reconciled 3 hours ago, from the jobs'
);
select is((select window_start from private.jobber_reconciles where business_id = tests.id('business_a')), now() - interval '30 days',
  'the backfill covers the last 30 days');
select is((select window_start from private.jobber_reconciles where business_id = tests.id('business_b')), now() - interval '5 hours',
  'a reconciliation starts 2 hours before the checkpoint');
select is_empty(
  $$select business_id from private.jobber_claim_reconciles(current_setting('fixture.other'), 10, tests.id('business_b'))$$,
  'a run held by a live lease is not taken, even when named'
);

-- Pages go through the guard, with the run's source
select throws_ok(
  $$select private.jobber_record_reconcile_page(tests.id('business_b'), current_setting('fixture.other'), '[]', 'jobs', 'c1')$$,
  'BJ007', null,
  'a worker that does not hold the run cannot record a page'
);
select results_eq(
  $$select phase, cursor, pages, items, completions from private.jobber_record_reconcile_page(tests.id('business_b'),
      current_setting('fixture.lease'),
      jsonb_build_array(jsonb_build_object('client', null, 'visits', '[]'::jsonb, 'job', jsonb_build_object(
        'external_id', 'J1', 'client_external_id', null, 'job_status', 'archived', 'completed_at', now() - interval '4 hours',
        'remote_updated_at', now() - interval '4 hours'))),
      'jobs', 'c1')$$,
  $$values ('jobs'::text, 'c1'::text, 1, 1, 1)$$,
  'the holder records a page: its jobs applied, the position and counts kept'
);
select results_eq(
  $$select kind, source from public.job_completions where business_id = tests.id('business_b')$$,
  $$values ('job_closed'::text, 'reconcile'::text)$$,
  'what the inbox missed lands with source reconcile'
);
select throws_ok(
  $$select private.jobber_record_reconcile_page(tests.id('business_b'), current_setting('fixture.lease'), '[]', 'invoices', null)$$,
  '22023', null,
  'a page''s next phase is jobs or visits'
);

-- Giving back and resuming
select lives_ok(
  $$select private.jobber_release_reconcile(tests.id('business_b'), current_setting('fixture.lease'), 300000, 'Jobber could not be reached.')$$,
  'the holder gives a failed run back'
);
select results_eq(
  $$select lease_owner, attempts, last_error, retry_at > now() + interval '4 minutes', cursor
      from private.jobber_reconciles where business_id = tests.id('business_b')$$,
  $$values (null::text, 1, 'Jobber could not be reached.'::text, true, 'c1'::text)$$,
  'it is let go with its error, to retry in 5 minutes from where it was'
);
select is_empty(
  $$select business_id from private.jobber_claim_reconciles(current_setting('fixture.other'), 10)
     where business_id = tests.id('business_b')$$,
  'the sweep leaves it until its retry time'
);
select results_eq(
  $$select source, phase, cursor, pages, window_start = now() - interval '5 hours'
      from private.jobber_claim_reconciles(current_setting('fixture.other'), 1, tests.id('business_b'))$$,
  $$values ('reconcile'::text, 'jobs'::text, 'c1'::text, 1, true)$$,
  'named (a hand-over, a kick), it is taken at once and continues its window from its cursor'
);
select lives_ok(
  $$select private.jobber_record_reconcile_page(tests.id('business_b'), current_setting('fixture.other'), '[]', 'visits', null)$$,
  'the new holder records the next page'
);
select throws_ok(
  $$select private.jobber_finish_reconcile(tests.id('business_b'), current_setting('fixture.lease'))$$,
  'BJ007', null,
  'the worker that gave it back cannot finish it'
);

-- Finishing
select lives_ok(
  $$select private.jobber_finish_reconcile(tests.id('business_b'), current_setting('fixture.other'))$$,
  'the holder finishes the run'
);
select is((select last_job_sync_at from public.integrations_jobber where business_id = tests.id('business_b')), now(),
  'the checkpoint becomes the end of the run''s window');
select results_eq(
  $$select lease_owner, window_start, window_end, source, phase, cursor, attempts, last_error, finished_at = now()
      from private.jobber_reconciles where business_id = tests.id('business_b')$$,
  $$values (null::text, null::timestamptz, null::timestamptz, null::text, null::text, null::text, 0, null::text, true)$$,
  'and the run is idle again'
);
select is_empty(
  $$select business_id from private.jobber_claim_reconciles(current_setting('fixture.lease'), 10)
     where business_id = tests.id('business_b')$$,
  'a business reconciled just now is not due'
);
update public.integrations_jobber set last_job_sync_at = now() - interval '61 minutes' where business_id = tests.id('business_b');
select results_eq(
  $$select source, window_start = now() - interval '181 minutes'
      from private.jobber_claim_reconciles(current_setting('fixture.lease'), 10) where business_id = tests.id('business_b')$$,
  $$values ('reconcile'::text, true)$$,
  'an hour later it is due again'
);
update private.jobber_reconciles set window_start = null, window_end = null, lease_owner = null where business_id = tests.id('business_b');
update public.integrations_jobber set last_job_sync_at = now() - interval '60 days' where business_id = tests.id('business_b');
select is(
  (select window_start from private.jobber_claim_reconciles(current_setting('fixture.lease'), 10) where business_id = tests.id('business_b')),
  now() - interval '30 days',
  'a checkpoint older than 30 days is reconciled from 30 days back'
);
update public.integrations_jobber set connection_status = 'error', needs_reconnect = true where business_id = tests.id('business_a');
update private.jobber_reconciles set lease_owner = null where business_id = tests.id('business_a');
select is_empty(
  $$select business_id from private.jobber_claim_reconciles(current_setting('fixture.other'), 10, tests.id('business_a'))$$,
  'a business that is not connected is not reconciled'
);

-- The first full sync of a connection wakes its reconciliation
reset role;
select set_config('fixture.sync_lease', private.worker_lease_take('continue_syncs', 60000), true);
insert into public.jobber_sync_runs (business_id, kind, state, lease_owner, started_at)
values (tests.id('business_b'), 'full', 'running', current_setting('fixture.sync_lease'), now());
truncate pg_temp.posted;
select private.jobber_finish_sync_run((select id from public.jobber_sync_runs where business_id = tests.id('business_b') and state = 'running'),
  current_setting('fixture.sync_lease'));
select results_eq(
  $$select fn, body from pg_temp.posted$$,
  $$values ('jobber-worker'::text, jsonb_build_object('task', 'reconcile', 'business_id', tests.id('business_b')))$$,
  'finishing the connection''s first full sync wakes the reconcile task for that business'
);
insert into public.jobber_sync_runs (business_id, kind, state, lease_owner, started_at)
values (tests.id('business_b'), 'full', 'running', current_setting('fixture.sync_lease'), now());
truncate pg_temp.posted;
select private.jobber_finish_sync_run((select id from public.jobber_sync_runs where business_id = tests.id('business_b') and state = 'running'),
  current_setting('fixture.sync_lease'));
select is_empty('select * from pg_temp.posted', 'a later full sync wakes nothing: the hourly sweep covers it');
insert into public.jobber_sync_runs (business_id, kind, state, lease_owner, started_at)
values (tests.id('business_b'), 'incremental', 'running', current_setting('fixture.sync_lease'), now());
select private.jobber_finish_sync_run((select id from public.jobber_sync_runs where business_id = tests.id('business_b') and state = 'running'),
  current_setting('fixture.sync_lease'));
select is_empty('select * from pg_temp.posted', 'nor does an incremental sync');

select ok(
  not has_function_privilege('authenticated', 'private.jobber_claim_reconciles(text, integer, uuid, interval)', 'execute')
  and has_function_privilege('service_role', 'private.jobber_claim_reconciles(text, integer, uuid, interval)', 'execute')
  and not has_table_privilege('authenticated', 'private.jobber_reconciles', 'select'),
  'reconciliation is the service role''s alone'
);

select * from finish();
rollback;
