-- Processing the inbox (SPEC §9 "Processing"): due events are claimed under a worker lease and
-- held by it; a business no longer connected makes them ignored; the lease guard lets only the
-- holder settle them; a failed try backs off from 10 s, doubling, capped at an hour, and the 8th
-- makes a dead letter; a worker that died has its events claimed again (the interrupted try
-- counts); old finished events are pruned; owners and admins replay dead letters; and the status
-- JSON counts what is pending and what failed for members of the business only.
begin;
select plan(38);

select tests.create_tenancy_fixture();
insert into public.integrations_jobber (business_id, access_token_secret_id, refresh_token_secret_id, account_id,
  account_name, connection_status, needs_reconnect, connected_at)
values
  (tests.id('business_a'), gen_random_uuid(), gen_random_uuid(), 'acct-a', 'A', 'connected', false, now()),
  (tests.id('business_b'), gen_random_uuid(), gen_random_uuid(), 'acct-b', 'B', 'error', true, now());
create temporary table posted (id bigserial, fn text, body jsonb);
create or replace function private.invoke_edge_function(p_name text, p_body jsonb, p_timeout_ms integer default 5000)
returns bigint language sql as $$ insert into pg_temp.posted (fn, body) values (p_name, p_body) returning id $$;

create function pg_temp.add(business text, account text, topic text, item text, state text default 'pending',
                            due interval default interval '0', attempts integer default 0) returns bigint
language sql as $$
  insert into private.jobber_webhook_events (account_id, topic, item_id, occurred_at, business_id, state, next_attempt_at, attempts)
  values (account, topic, item, now(), tests.id(business), state, now() + due, attempts)
  returning id
$$;
create function pg_temp.remember(name text, value text) returns void
language sql as $$ select set_config('fixture.' || name, value, true) $$;
create function pg_temp.got(name text) returns bigint
language sql as $$ select current_setting('fixture.' || name)::bigint $$;
create function pg_temp.ev(name text) returns private.jobber_webhook_events
language sql as $$ select e.* from private.jobber_webhook_events e where e.id = pg_temp.got(name) $$;

select pg_temp.remember('closed', pg_temp.add('business_a', 'acct-a', 'JOB_CLOSED', 'job-1')::text);
select pg_temp.remember('later', pg_temp.add('business_a', 'acct-a', 'JOB_UPDATE', 'job-2', 'pending', interval '1 hour')::text);
select pg_temp.remember('b_job', pg_temp.add('business_b', 'acct-b', 'JOB_UPDATE', 'job-b')::text);
select pg_temp.remember('b_gone', pg_temp.add('business_b', 'acct-b', 'APP_DISCONNECT', 'acct-b')::text);
select pg_temp.remember('lease', private.worker_lease_take('process_webhooks', 60000));
select pg_temp.remember('other', private.worker_lease_take('process_webhooks', 60000));

-- Claiming
select set_eq(
  $$select id, state from private.jobber_claim_webhook_events(current_setting('fixture.lease'), 10)$$,
  $$values (pg_temp.got('closed'), 'processing'::text), (pg_temp.got('b_gone'), 'processing'::text),
           (pg_temp.got('b_job'), 'ignored'::text)$$,
  'a worker claims the due events of connected businesses, and APP_DISCONNECT whatever the connection''s state; the rest it settles as ignored'
);
select results_eq(
  $$select state, lease_owner from private.jobber_webhook_events where id = pg_temp.got('closed')$$,
  $$values ('processing'::text, current_setting('fixture.lease'))$$,
  'a claimed event is processing, held by the claimer''s lease'
);
select results_eq(
  $$select (pg_temp.ev('b_job')).state, (pg_temp.ev('b_job')).last_error, (pg_temp.ev('b_job')).processed_at is not null$$,
  $$values ('ignored'::text, 'The business is not connected to Jobber.'::text, true)$$,
  'an event of a business that is no longer connected is ignored (with why), not handed out to be fetched'
);
select is((pg_temp.ev('later')).state, 'pending', 'an event whose time has not come stays pending');
select is_empty(
  $$select id from private.jobber_claim_webhook_events(current_setting('fixture.other'), 10)$$,
  'another worker finds nothing to claim while the events are held'
);
select throws_ok(
  $$select * from private.jobber_claim_webhook_events('process_webhooks:not-a-lease', 10)$$,
  'BJ007', null,
  'nobody claims without a live lease'
);
select is(
  (select array_agg(id) from private.jobber_claim_webhook_events(current_setting('fixture.lease'), 10, array[pg_temp.got('later')])),
  null::bigint[],
  'naming an event does not make it due'
);

-- Settling: only the holder
select throws_ok(
  $$select private.jobber_settle_webhook_events(array[pg_temp.got('closed')], current_setting('fixture.other'), 'done')$$,
  'BJ007', 'This worker no longer holds this work; another worker has taken it over.',
  'a worker that does not hold an event cannot settle it'
);
select throws_ok(
  $$select private.jobber_settle_webhook_events(array[pg_temp.got('closed'), pg_temp.got('later')], current_setting('fixture.lease'), 'done')$$,
  'BJ007', null,
  'nor settle a batch with an event it does not hold'
);
select throws_ok(
  $$select private.jobber_settle_webhook_events(array[pg_temp.got('closed')], current_setting('fixture.lease'), 'maybe')$$,
  '22023', null,
  'an outcome must be done, ignored or retry'
);
select lives_ok(
  $$select private.jobber_settle_webhook_events(array[pg_temp.got('closed')], current_setting('fixture.lease'), 'done')$$,
  'the holder settles its event'
);
select results_eq(
  $$select (pg_temp.ev('closed')).state, (pg_temp.ev('closed')).lease_owner, (pg_temp.ev('closed')).processed_at is not null,
           (pg_temp.ev('closed')).last_error$$,
  $$values ('done'::text, null::text, true, null::text)$$,
  'a done event is finished and let go'
);
select throws_ok(
  $$select private.jobber_settle_webhook_events(array[pg_temp.got('closed')], current_setting('fixture.lease'), 'done')$$,
  'BJ007', null,
  'an event already settled cannot be settled again'
);

-- Retries: backoff from 10 s, doubling, capped at an hour; the 8th failure is a dead letter
select pg_temp.remember('flaky', pg_temp.add('business_a', 'acct-a', 'VISIT_COMPLETE', 'visit-1')::text);
create function pg_temp.fail_once(message text) returns interval
language plpgsql as $$
declare
  v_owner text := private.worker_lease_take('process_webhooks', 60000);
begin
  update private.jobber_webhook_events set next_attempt_at = now() where id = pg_temp.got('flaky');
  perform * from private.jobber_claim_webhook_events(v_owner, 10, array[pg_temp.got('flaky')]);
  perform private.jobber_settle_webhook_events(array[pg_temp.got('flaky')], v_owner, 'retry', message);
  return (select next_attempt_at - now() from private.jobber_webhook_events where id = pg_temp.got('flaky'));
end
$$;
select is(pg_temp.fail_once('Jobber could not be reached.'), interval '10 seconds', 'the first failure retries after 10 seconds');
select results_eq(
  $$select (pg_temp.ev('flaky')).state, (pg_temp.ev('flaky')).attempts, (pg_temp.ev('flaky')).last_error, (pg_temp.ev('flaky')).lease_owner$$,
  $$values ('pending'::text, 1, 'Jobber could not be reached.'::text, null::text)$$,
  'it is pending again with one failed attempt and the error'
);
select is(pg_temp.fail_once('again'), interval '20 seconds', 'the second after 20 seconds');
select is(array[pg_temp.fail_once('3'), pg_temp.fail_once('4'), pg_temp.fail_once('5'), pg_temp.fail_once('6')],
  array[interval '40 seconds', interval '80 seconds', interval '160 seconds', interval '320 seconds'],
  'then 40 s, 80 s, 160 s, 320 s');
select is(pg_temp.fail_once('7'), interval '640 seconds', 'and 640 s after the seventh');
select is(pg_temp.fail_once('Jobber still failing.'), interval '0', 'the eighth failure schedules nothing more');
select results_eq(
  $$select (pg_temp.ev('flaky')).state, (pg_temp.ev('flaky')).attempts, (pg_temp.ev('flaky')).last_error$$,
  $$values ('failed'::text, 8, 'Jobber still failing.'::text)$$,
  'after 8 failed attempts the event is a dead letter, with the last error'
);
select is_empty(
  $$select id from private.jobber_claim_webhook_events(current_setting('fixture.lease'), 10, array[pg_temp.got('flaky')])$$,
  'a dead letter is never claimed'
);
select pg_temp.remember('dead_lease', private.worker_lease_take('process_webhooks', 60000));
update private.worker_leases set expires_at = now() - interval '1 second' where owner = current_setting('fixture.dead_lease');
update private.jobber_webhook_events set attempts = 7, state = 'processing', lease_owner = current_setting('fixture.dead_lease'),
  next_attempt_at = now() where id = pg_temp.got('later');
select results_eq(
  $$select id, state from private.jobber_claim_webhook_events(current_setting('fixture.other'), 10, array[pg_temp.got('later')])$$,
  $$values (pg_temp.got('later'), 'failed'::text)$$,
  'an event whose 8th try was interrupted by a dying worker is not handed out again'
);
select results_eq(
  $$select (pg_temp.ev('later')).state, (pg_temp.ev('later')).attempts, (pg_temp.ev('later')).lease_owner$$,
  $$values ('failed'::text, 8, null::text)$$,
  'it is a dead letter too'
);

-- A worker that died: its events are claimed again once its lease lapses
select pg_temp.remember('orphan', pg_temp.add('business_a', 'acct-a', 'JOB_UPDATE', 'job-3')::text);
select pg_temp.remember('dying', private.worker_lease_take('process_webhooks', 60000));
select id from private.jobber_claim_webhook_events(current_setting('fixture.dying'), 10, array[pg_temp.got('orphan')]);
select is_empty(
  $$select id from private.jobber_claim_webhook_events(current_setting('fixture.other'), 10, array[pg_temp.got('orphan')])$$,
  'an event whose holder''s lease is live is not claimed again'
);
update private.worker_leases set expires_at = now() - interval '1 second' where owner = current_setting('fixture.dying');
select is(
  (select array_agg(id) from private.jobber_claim_webhook_events(current_setting('fixture.other'), 10, array[pg_temp.got('orphan')])),
  array[pg_temp.got('orphan')],
  'once its holder''s lease lapsed, it is claimed again'
);
select results_eq(
  $$select (pg_temp.ev('orphan')).lease_owner, (pg_temp.ev('orphan')).attempts, (pg_temp.ev('orphan')).last_error$$,
  $$values (current_setting('fixture.other'), 1, 'The worker handling this update stopped before it finished.'::text)$$,
  'by the new worker, with the interrupted try counted'
);
select throws_ok(
  $$select private.jobber_settle_webhook_events(array[pg_temp.got('orphan')], current_setting('fixture.dying'), 'done')$$,
  'BJ007', null,
  'the worker that stalled can no longer settle it'
);

-- Pruning after 7 days
select pg_temp.remember('old_done', pg_temp.add('business_a', 'acct-a', 'CLIENT_UPDATE', 'c-old', 'done')::text);
select pg_temp.remember('new_done', pg_temp.add('business_a', 'acct-a', 'CLIENT_UPDATE', 'c-new', 'done')::text);
update private.jobber_webhook_events set processed_at = now() - interval '8 days' where id = pg_temp.got('old_done');
update private.jobber_webhook_events set processed_at = now() - interval '6 days' where id = pg_temp.got('new_done');
update private.jobber_webhook_events set processed_at = now() - interval '8 days' where id = pg_temp.got('flaky');
select ok(private.jobber_prune_webhook_events(1000) >= 1, 'pruning deletes finished events');
select results_eq(
  $$select count(*)::int from private.jobber_webhook_events where id in (pg_temp.got('old_done'), pg_temp.got('new_done'), pg_temp.got('flaky'))$$,
  $$values (2)$$,
  'only done / ignored events older than 7 days go; younger ones and dead letters stay'
);

-- Status JSON counts, for members only
select tests.sign_in('member_a');
select results_eq(
  $$select (status -> 'webhooks' ->> 'pending')::int, (status -> 'webhooks' ->> 'failed')::int from public.jobber_status$$,
  $$values (1, 2)$$,
  'a member sees the business''s pending (due, waiting or being processed) and failed counts'
);
select is_empty(
  $$select * from private.jobber_webhook_counts(tests.id('business_b')) where pending > 0 or failed > 0$$,
  'the counting function tells a member nothing about another business'
);
select tests.sign_in('owner_b');
select results_eq(
  $$select pending, failed from private.jobber_webhook_counts(tests.id('business_a'))$$,
  $$values (0, 0)$$,
  'nor an owner of another business'
);

-- Replay
reset role;
select throws_ok(
  $$select private.jobber_replay_webhook_events(tests.id('business_a'), tests.id('member_a'))$$,
  'BJ002', null,
  'a plain member cannot replay'
);
select throws_ok(
  $$select private.jobber_replay_webhook_events(tests.id('business_a'), tests.id('owner_b'))$$,
  'BJ001', null,
  'an outsider cannot replay'
);
select throws_ok(
  $$select private.jobber_replay_webhook_events(tests.id('business_b'), tests.id('owner_b'))$$,
  'BJ005', null,
  'a business that is not connected has nothing to replay into'
);
update private.worker_tasks set wake_pending_since = null where task = 'process_webhooks';
truncate pg_temp.posted;
select is(private.jobber_replay_webhook_events(tests.id('business_a'), tests.id('admin_a')), 2,
  'an admin re-queues the business''s dead letters');
select results_eq(
  $$select (pg_temp.ev('flaky')).state, (pg_temp.ev('flaky')).attempts, (pg_temp.ev('flaky')).next_attempt_at <= now(), (pg_temp.ev('flaky')).last_error$$,
  $$values ('pending'::text, 0, true, null::text)$$,
  'with fresh attempts, due now'
);
select is((select count(*)::int from pg_temp.posted where body = '{"task": "process_webhooks"}'), 1, 'and the worker is woken for them');

select * from finish();
rollback;
