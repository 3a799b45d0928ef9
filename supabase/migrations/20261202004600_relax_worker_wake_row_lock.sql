-- wake_worker's coalescing takes the task's row with SKIP LOCKED on the reading that whoever finds
-- it locked knows a wake is being posted right now. FOR UPDATE also conflicts with the key-share
-- lock that a worker taking a lease of the task holds on that row (worker_leases.task references it)
-- until its transaction ends, so a wake arriving in that moment was skipped with nothing in flight,
-- and its work waited for the minute sweep. The wake only writes wake_pending_since, not the key:
-- FOR NO KEY UPDATE is the lock that write needs, it still makes concurrent wakes skip each other,
-- and it lets lease takers pass.
create or replace function private.wake_worker(p_task text, p_input jsonb default '{}'::jsonb, p_coalesce_ms integer default 0)
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
      for no key update skip locked
    );
    if not found then
      return null;
    end if;
  end if;

  -- The task name is written last so an input can never name a different task.
  return private.invoke_edge_function('jobber-worker', p_input || jsonb_build_object('task', p_task), 10000);
end
$$;
