-- The worker's tasks as SQL knows them, and the one way SQL wakes the worker.
--
-- jobber-worker's registry (supabase/functions/jobber-worker/registry.ts) is the source of truth
-- for what a task is (name, input schema, run). This table mirrors its names, so SQL wakes a task
-- by a name the worker knows and refuses any other; a Deno test keeps the two lists equal. A task
-- that runs on a schedule carries its cron expression here, and its pg_cron job is made from it.

create table private.worker_tasks (
  task text primary key check (task ~ '^[a-z][a-z0-9_]{0,62}$'),
  -- pg_cron expression, or null for a task that only runs when woken.
  schedule text,
  -- Set when a coalescing wake is posted, cleared when the woken worker has drained (see below).
  wake_pending_since timestamptz,
  created_at timestamptz not null default now()
);
alter table private.worker_tasks enable row level security;
-- No policies and no grants: only the functions below read or write it.
revoke all on private.worker_tasks from public, anon, authenticated;

-- Wakes jobber-worker for p_task now: posts {"task": p_task, ...p_input} through pg_net, which
-- sends it only after the calling transaction commits (and never if it rolls back). Returns
-- pg_net's request id, or null when the wake was coalesced away.
--
-- Coalescing (p_coalesce_ms > 0) is for callers that fire far more often than the worker needs
-- waking, such as one call per Jobber webhook delivery: while a coalescing wake of this task is in
-- flight - posted, and not yet settled by the worker it woke - further wakes are skipped. The
-- common path is one primary-key read and no write. Only the caller that finds no wake in flight
-- writes, and it takes the row with SKIP LOCKED, so concurrent callers never queue behind each
-- other on this row: whoever finds it locked knows a wake is being posted right now. A wake that
-- the worker never settles (the request was lost, the worker died) stops counting as in flight
-- after p_coalesce_ms, so the next caller wakes the worker again. The pg_cron sweep of the task,
-- where there is one, is the backstop either way.
--
-- Hand-overs and kicks that name the runs or events they already know pass p_input and do not
-- coalesce: each must reach the worker.
create function private.wake_worker(p_task text, p_input jsonb default '{}'::jsonb, p_coalesce_ms integer default 0)
returns bigint
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_in_flight boolean;
begin
  if p_input is null or jsonb_typeof(p_input) <> 'object' then
    raise exception using errcode = '22023', message = 'The worker input must be a JSON object.';
  end if;
  select coalesce(p_coalesce_ms > 0 and t.wake_pending_since > now() - make_interval(secs => p_coalesce_ms / 1000.0), false)
  into v_in_flight
  from private.worker_tasks t
  where t.task = p_task;
  if not found then
    raise exception using errcode = '22023',
      message = format('jobber-worker has no task named %s (see private.worker_tasks).', coalesce(quote_literal(p_task), 'null'));
  end if;
  if v_in_flight then
    return null;
  end if;

  if p_coalesce_ms > 0 then
    update private.worker_tasks t set wake_pending_since = now()
    where t.task = (
      select w.task from private.worker_tasks w
      where w.task = p_task
        and (w.wake_pending_since is null or w.wake_pending_since <= now() - make_interval(secs => p_coalesce_ms / 1000.0))
      for update skip locked
    );
    if not found then
      return null;
    end if;
  end if;

  -- The task name is written last so an input can never name a different task.
  return private.invoke_edge_function('jobber-worker', p_input || jsonb_build_object('task', p_task), 10000);
end
$$;

-- Called by a worker woken with coalescing once it has found nothing left to do, before it looks
-- one last time: the next event then wakes a fresh worker instead of waiting for the sweep.
create function private.settle_worker_wake(p_task text)
returns void
language sql volatile security definer set search_path = ''
as $$
  update private.worker_tasks t set wake_pending_since = null
  where t.task = p_task and t.wake_pending_since is not null
$$;

-- Registers a task of jobber-worker (migrations only). With a schedule, pg_cron wakes the task on
-- it (job `jobber-<task with dashes>`); without one, any job the task had is removed.
create function private.register_worker_task(p_task text, p_schedule text default null)
returns void
language plpgsql volatile set search_path = ''
as $$
declare
  v_job text := 'jobber-' || replace(p_task, '_', '-');
begin
  insert into private.worker_tasks (task, schedule) values (p_task, p_schedule)
  on conflict (task) do update set schedule = excluded.schedule;
  if p_schedule is not null then
    perform cron.schedule(v_job, p_schedule, format('select private.wake_worker(%L)', p_task));
  elsif exists (select 1 from cron.job j where j.jobname = v_job) then
    perform cron.unschedule(v_job);
  end if;
end
$$;

revoke all on function private.wake_worker(text, jsonb, integer) from public, anon, authenticated;
grant execute on function private.wake_worker(text, jsonb, integer) to service_role;
revoke all on function private.settle_worker_wake(text) from public, anon, authenticated;
grant execute on function private.settle_worker_wake(text) to service_role;
revoke all on function private.register_worker_task(text, text) from public, anon, authenticated, service_role;

-- The worker's tasks today. Both are swept every minute; their jobs keep the names they had, and
-- now wake the worker through wake_worker instead of naming the task in a JSON string of their own.
select private.register_worker_task('refresh_tokens', '* * * * *');
select private.register_worker_task('continue_syncs', '* * * * *');
