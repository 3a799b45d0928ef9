-- Worker leases and the one lease guard, shown on sync runs: a run is held by its claimer while
-- the claimer's lease lives; every write of a run goes through the guard, so a worker whose run
-- was taken over (or cancelled, or whose lease ended) can write nothing more; a run whose holder's
-- lease lapsed is claimable again and resumes from its committed cursor.
begin;
select plan(22);

select tests.create_tenancy_fixture();
insert into public.integrations_jobber (business_id, access_token_secret_id, refresh_token_secret_id, account_id,
  account_name, connection_status, connected_at)
values (tests.id('business_a'), gen_random_uuid(), gen_random_uuid(), 'acct-' || tests.id('business_a'), 'A', 'connected', now());
insert into public.jobber_sync_runs (business_id, kind) values (tests.id('business_a'), 'incremental');
select set_config('fixture.run', (select id::text from public.jobber_sync_runs where business_id = tests.id('business_a')), true);

-- The lease itself
select set_config('fixture.first', private.worker_lease_take('continue_syncs', 60000), true);
select matches(current_setting('fixture.first'), '^continue_syncs:[0-9a-f-]{36}$', 'a lease is named after its task, uniquely');
select ok(private.worker_lease_live(current_setting('fixture.first')), 'a fresh lease is live');
select ok(not private.worker_lease_live(null), 'nobody''s lease is not live');
select throws_ok(
  $$select private.worker_lease_take('mine_bitcoin', 60000)$$,
  '23503', null,
  'a lease is only for a task the worker has'
);

-- Claiming: the run gets the lease's owner as its holder
select is(
  (select array_agg(id) from private.jobber_claim_sync_runs(current_setting('fixture.first'), 3, array[tests.id('run')])),
  array[tests.id('run')],
  'the first worker claims the queued run it names'
);
select results_eq(
  $$select state, lease_owner, attempts from public.jobber_sync_runs where id = tests.id('run')$$,
  $$values ('running'::text, current_setting('fixture.first'), 1)$$,
  'the claimed run is running, held by that worker''s lease'
);
select set_config('fixture.second', private.worker_lease_take('continue_syncs', 60000), true);
select is_empty(
  $$select id from private.jobber_claim_sync_runs(current_setting('fixture.second'), 3, array[tests.id('run')])$$,
  'a second worker cannot claim a run whose holder''s lease is live'
);

-- The guard
select lives_ok(
  $$select private.jobber_record_sync_page(tests.id('run'), current_setting('fixture.first'), '[]', '[]', 'cursor-1', 10, 5)$$,
  'the holder records a page'
);
select throws_ok(
  $$select private.jobber_record_sync_page(tests.id('run'), current_setting('fixture.second'), '[]', '[]', 'cursor-x', 10, 5)$$,
  'BJ007', 'This worker no longer holds this work; another worker has taken it over.',
  'a worker that does not hold the run cannot record a page'
);
select throws_ok(
  $$select private.jobber_finish_sync_run(tests.id('run'), current_setting('fixture.second'))$$,
  'BJ007', null, 'nor finish it'
);
select throws_ok(
  $$select private.jobber_release_sync_run(tests.id('run'), current_setting('fixture.second'), 0)$$,
  'BJ007', null, 'nor give it back'
);
select throws_ok(
  $$select private.jobber_fail_sync_run(tests.id('run'), current_setting('fixture.second'), 'no')$$,
  'BJ007', null, 'nor fail it'
);
select is((select cursor from public.jobber_sync_runs where id = tests.id('run')), 'cursor-1',
  'only the holder''s page landed');

-- A lapsed lease: the run is claimable again, and its old holder is locked out
update private.worker_leases set expires_at = now() - interval '1 second' where owner = current_setting('fixture.first');
select ok(not private.worker_lease_live(current_setting('fixture.first')), 'a lease past its expiry is not live');
select is(
  (select array_agg(cursor) from private.jobber_claim_sync_runs(current_setting('fixture.second'), 3, array[tests.id('run')])),
  array['cursor-1'],
  'a run whose holder''s lease lapsed is claimed again and resumes from its committed cursor'
);
select ok(private.worker_lease_heartbeat(current_setting('fixture.first'), 60000),
  'the stalled worker''s heartbeat still finds its lease');
select throws_ok(
  $$select private.jobber_record_sync_page(tests.id('run'), current_setting('fixture.first'), '[]', '[]', 'cursor-stale', 10, 5)$$,
  'BJ007', null,
  '... but the run it lost is the new holder''s: the stalled worker cannot write over it'
);

-- Giving back, for a hand-over and for a retry
select is(private.jobber_release_sync_run(tests.id('run'), current_setting('fixture.second'), 0), 'released',
  'the holder gives the run back for a hand-over');
select is(
  (select count(*)::int from private.jobber_claim_sync_runs(current_setting('fixture.first'), 3, array[tests.id('run')])),
  1,
  'a handed-over run is claimable at once'
);
select is(private.jobber_release_sync_run(tests.id('run'), current_setting('fixture.first'), 30000, 'Jobber was down'), 'released',
  'the holder gives the run back to retry later');
select is_empty(
  $$select id from private.jobber_claim_sync_runs(current_setting('fixture.second'), 3, array[tests.id('run')])$$,
  'a run given back to retry later is not claimed before its retry time'
);

-- Ending a lease
select private.worker_lease_end(current_setting('fixture.second'));
select ok(not private.worker_lease_heartbeat(current_setting('fixture.second'), 60000),
  'a heartbeat of an ended lease reports it gone, which tells its worker to stop');

select * from finish();
rollback;
