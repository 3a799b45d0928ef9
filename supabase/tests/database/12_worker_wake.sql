-- Waking jobber-worker from SQL: private.wake_worker posts {"task", ...input} through pg_net (so it
-- leaves only after commit), refuses a task the worker's registry lacks, and, when asked to
-- coalesce, skips while an earlier coalescing wake of the task is in flight: until the woken
-- worker settles it, or until the in-flight window has passed.
begin;
select plan(16);

create temporary table wakes (label text, request_id bigint);
-- What reaches pg_net is private.invoke_edge_function's business (tests/integration covers it);
-- here it records what wake_worker hands it, and the transaction rolls the stand-in back.
create temporary table posted (id bigserial, fn text, body jsonb);
create or replace function private.invoke_edge_function(p_name text, p_body jsonb, p_timeout_ms integer default 5000)
returns bigint language sql as $$ insert into pg_temp.posted (fn, body) values (p_name, p_body) returning id $$;
create function pg_temp.posted_body(p_request_id bigint) returns jsonb
language sql as $$ select p.body from pg_temp.posted p where p.id = p_request_id $$;

select throws_ok(
  $$select private.wake_worker('mine_bitcoin')$$,
  '22023', 'jobber-worker has no task named ''mine_bitcoin'' (see private.worker_tasks).',
  'a task the worker does not have is refused'
);
select throws_ok(
  $$select private.wake_worker('continue_syncs', '[1]'::jsonb)$$,
  '22023', 'The worker input must be a JSON object.',
  'an input that is not a JSON object is refused'
);

insert into wakes select 'plain', private.wake_worker('continue_syncs', '{"run_ids": ["11111111-1111-4111-8111-111111111111"]}');
select results_eq(
  $$select fn, body from pg_temp.posted where id = (select request_id from wakes where label = 'plain')$$,
  $$values ('jobber-worker'::text, '{"task": "continue_syncs", "run_ids": ["11111111-1111-4111-8111-111111111111"]}'::jsonb)$$,
  'a wake posts the task and its input to jobber-worker'
);
insert into wakes select 'spoof', private.wake_worker('refresh_tokens', '{"task": "continue_syncs"}');
select is(
  pg_temp.posted_body((select request_id from wakes where label = 'spoof')) ->> 'task', 'refresh_tokens',
  'an input cannot rename the task it wakes'
);
select isnt(private.wake_worker('continue_syncs'), null::bigint, 'a wake that does not coalesce always posts');
select isnt(private.wake_worker('continue_syncs'), null::bigint, '... every time');

-- Coalescing
update private.worker_tasks set wake_pending_since = null where task = 'refresh_tokens';
insert into wakes select 'first', private.wake_worker('refresh_tokens', '{}', 5000);
select isnt((select request_id from wakes where label = 'first'), null::bigint, 'the first coalescing wake posts');
select isnt((select wake_pending_since from private.worker_tasks where task = 'refresh_tokens'), null::timestamptz,
  'and marks the task''s wake in flight');
select is(private.wake_worker('refresh_tokens', '{}', 5000), null::bigint, 'a second one while it is in flight is skipped');
select is(
  (select count(*)::int from pg_temp.posted p where p.id > (select request_id from wakes where label = 'first')),
  0,
  'and posts nothing'
);
select isnt(private.wake_worker('refresh_tokens', '{}', 0), null::bigint,
  'a wake that does not coalesce still goes through while one is in flight');
select private.settle_worker_wake('refresh_tokens');
select is((select wake_pending_since from private.worker_tasks where task = 'refresh_tokens'), null::timestamptz,
  'the woken worker settles the wake');
select isnt(private.wake_worker('refresh_tokens', '{}', 5000), null::bigint, 'after it settled, the next coalescing wake posts');
update private.worker_tasks set wake_pending_since = now() - interval '6 seconds' where task = 'refresh_tokens';
select isnt(private.wake_worker('refresh_tokens', '{}', 5000), null::bigint,
  'a wake in flight for longer than the window (its worker never settled it) no longer holds the next one back');

-- The cron jobs wake registered tasks by name
select is_empty(
  $$select j.jobname from cron.job j
     where j.command not in (select format('select private.wake_worker(%L)', t.task) from private.worker_tasks t)$$,
  'every pg_cron job is exactly a wake of a registered task'
);
select set_eq(
  $$select t.task, t.schedule from private.worker_tasks t where t.schedule is not null$$,
  $$select substr(replace(j.jobname, '-', '_'), 8), j.schedule from cron.job j$$,
  'each scheduled task has its pg_cron job, named after it, on its schedule'
);

select * from finish();
rollback;
