-- Reconciliation (SPEC §9): jobber-worker's reconcile task asks Jobber for the jobs and visits
-- completed since the business's checkpoint (integrations_jobber.last_job_sync_at) minus a 2-hour
-- overlap, and feeds them through the webhook worker's apply path (private.jobber_apply_work)
-- with source 'reconcile' - whatever the inbox missed (a dropped VISIT_COMPLETE, an outage) lands
-- now, and what it did not miss is a no-op. The first run after connecting imports the last 30
-- days as 'backfill' (history: never messaged on its own). Runs hourly per connected business,
-- and right after a connection's first full sync.
--
-- A run is paged like the customer sync and resumable the same way: this row keeps its window,
-- phase (jobs, then visits) and cursor, committed with every page, under the worker lease that
-- holds it (lease_owner, written only through private.worker_lease_guard).
create table private.jobber_reconciles (
  business_id uuid primary key references public.businesses (id) on delete cascade,
  lease_owner text,
  -- The run in progress (null between runs): completions in [window_start, window_end].
  window_start timestamptz,
  window_end timestamptz,
  source text check (source in ('reconcile', 'backfill')),
  phase text check (phase in ('jobs', 'visits')),
  cursor text,
  pages integer not null default 0,
  items integer not null default 0,
  completions integer not null default 0,
  attempts integer not null default 0,
  retry_at timestamptz,
  last_error text check (char_length(last_error) <= 1000),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz not null default now()
);
create trigger set_updated_at before update on private.jobber_reconciles
  for each row execute function private.set_updated_at();
alter table private.jobber_reconciles enable row level security;
revoke all on private.jobber_reconciles from public, anon, authenticated;

-- Takes the reconciliations p_lease_owner will run: with p_business_id, that business now (if it
-- is connected and nobody holds its run); otherwise up to p_limit connected businesses that are
-- due - never reconciled, last reconciled at least p_interval ago, or with a run left unfinished
-- (its holder died or handed over) whose retry time has come. A new run's window starts at the
-- checkpoint minus 2 hours (at most 30 days back; the last 30 days, as backfill, on the first
-- run) and ends now: the checkpoint it will set when it finishes.
create function private.jobber_claim_reconciles(
  p_lease_owner text, p_limit integer, p_business_id uuid default null, p_interval interval default interval '1 hour'
) returns setof private.jobber_reconciles
language plpgsql volatile security definer set search_path = ''
as $$
begin
  perform private.worker_lease_guard(p_lease_owner, p_lease_owner);
  insert into private.jobber_reconciles (business_id)
  select i.business_id from public.integrations_jobber i
  where i.connection_status = 'connected' and (p_business_id is null or i.business_id = p_business_id)
    and not exists (select 1 from private.jobber_reconciles r where r.business_id = i.business_id)
  on conflict (business_id) do nothing;

  return query
  with claimable as (
    select r.business_id, i.last_job_sync_at
    from private.jobber_reconciles r
    join public.integrations_jobber i on i.business_id = r.business_id
    where i.connection_status = 'connected'
      and (p_business_id is null or r.business_id = p_business_id)
      and not private.worker_lease_live(r.lease_owner)
      and (p_business_id is not null or r.retry_at is null or r.retry_at <= now())
      and (p_business_id is not null or r.window_start is not null
           or i.last_job_sync_at is null or i.last_job_sync_at <= now() - p_interval)
    order by r.window_start is null, i.last_job_sync_at nulls first, r.business_id
    limit p_limit
    for update of r skip locked
  )
  update private.jobber_reconciles r set
    lease_owner = p_lease_owner,
    window_start = coalesce(r.window_start,
      case when c.last_job_sync_at is null then now() - interval '30 days'
           else greatest(c.last_job_sync_at - interval '2 hours', now() - interval '30 days') end),
    window_end = coalesce(r.window_end, now()),
    source = case when r.window_start is null
                  then case when c.last_job_sync_at is null then 'backfill' else 'reconcile' end
                  else r.source end,
    phase = coalesce(r.phase, 'jobs'),
    pages = case when r.window_start is null then 0 else r.pages end,
    items = case when r.window_start is null then 0 else r.items end,
    completions = case when r.window_start is null then 0 else r.completions end,
    started_at = case when r.window_start is null then now() else r.started_at end,
    retry_at = null
  from claimable c
  where r.business_id = c.business_id
  returning r.*;
end
$$;

-- Locks a business's reconciliation for a write by its holder: BJ007 unless p_lease_owner holds it.
create function private.jobber_hold_reconcile(p_business_id uuid, p_lease_owner text)
returns private.jobber_reconciles
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_row private.jobber_reconciles;
begin
  select r.* into v_row from private.jobber_reconciles r where r.business_id = p_business_id for update;
  perform private.worker_lease_guard(v_row.lease_owner, p_lease_owner);
  return v_row;
end
$$;

-- Commits one page: its jobs / visits through the apply path, and the run's position (the phase
-- and cursor to continue from). One transaction, so a page is either applied and passed, or
-- neither.
create function private.jobber_record_reconcile_page(
  p_business_id uuid, p_lease_owner text, p_items jsonb, p_phase text, p_next_cursor text
) returns private.jobber_reconciles
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_row private.jobber_reconciles := private.jobber_hold_reconcile(p_business_id, p_lease_owner);
  v_applied record;
begin
  if p_phase is null or p_phase not in ('jobs', 'visits') then
    raise exception using errcode = '22023', message = format('Unknown reconciliation phase %L.', p_phase);
  end if;
  select * into v_applied from private.jobber_apply_work(p_business_id, v_row.source, p_items);
  update private.jobber_reconciles r set
    phase = p_phase,
    cursor = p_next_cursor,
    pages = r.pages + 1,
    items = r.items + jsonb_array_length(p_items),
    completions = r.completions + v_applied.completions,
    attempts = 0,
    last_error = null
  where r.business_id = p_business_id
  returning r.* into v_row;
  return v_row;
end
$$;

-- Finishes a run: the business's checkpoint becomes the window's end, and the row is idle again.
create function private.jobber_finish_reconcile(p_business_id uuid, p_lease_owner text)
returns private.jobber_reconciles
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_row private.jobber_reconciles := private.jobber_hold_reconcile(p_business_id, p_lease_owner);
begin
  update public.integrations_jobber i set last_job_sync_at = v_row.window_end
  where i.business_id = p_business_id;
  update private.jobber_reconciles r set
    lease_owner = null, window_start = null, window_end = null, source = null, phase = null, cursor = null,
    attempts = 0, retry_at = null, last_error = null, finished_at = now()
  where r.business_id = p_business_id
  returning r.* into v_row;
  return v_row;
end
$$;

-- Gives a run back unfinished: at once (time budget spent; a fresh invocation continues it) or
-- after p_retry_after_ms with the failure that stopped it (the sweep retries it then).
create function private.jobber_release_reconcile(
  p_business_id uuid, p_lease_owner text, p_retry_after_ms integer, p_error text default null
) returns void
language plpgsql volatile security definer set search_path = ''
as $$
begin
  perform private.jobber_hold_reconcile(p_business_id, p_lease_owner);
  update private.jobber_reconciles r set
    lease_owner = null,
    retry_at = case when p_retry_after_ms > 0 then now() + make_interval(secs => p_retry_after_ms / 1000.0) end,
    attempts = r.attempts + case when p_error is null then 0 else 1 end,
    last_error = left(p_error, 1000)
  where r.business_id = p_business_id;
end
$$;

-- A connection's first full sync is followed at once by its first reconciliation (which, for a
-- business never reconciled, is the 30-day backfill): the finished run wakes the reconcile task
-- for that business, in the transaction that finishes it.
create or replace function private.jobber_finish_sync_run(p_run_id uuid, p_lease_owner text)
returns public.jobber_sync_runs
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_run public.jobber_sync_runs := private.jobber_hold_sync_run(p_run_id, p_lease_owner);
  v_removed integer := 0;
  v_first_full boolean;
begin
  if v_run.kind = 'full' then
    update public.customers c set status = 'removed', last_synced_at = now()
    where c.business_id = v_run.business_id and c.source = 'jobber' and c.status <> 'removed'
      and not exists (select 1 from private.jobber_sync_seen s where s.run_id = p_run_id and s.external_id = c.external_id);
    get diagnostics v_removed = row_count;
    delete from private.jobber_sync_seen s where s.run_id = p_run_id;
  end if;
  update public.jobber_sync_runs r set
    state = 'succeeded',
    removed = v_removed,
    finished_at = now(),
    lease_owner = null,
    retry_at = null,
    error = null
  where r.id = p_run_id
  returning r.* into v_run;
  update public.integrations_jobber i set last_customer_sync_at = v_run.finished_at
  where i.business_id = v_run.business_id;

  select v_run.kind = 'full' and not exists (
    select 1 from public.jobber_sync_runs r
    join public.integrations_jobber i on i.business_id = r.business_id
    where r.business_id = v_run.business_id and r.id <> v_run.id and r.kind = 'full' and r.state = 'succeeded'
      and r.finished_at >= i.connected_at
  ) into v_first_full;
  if v_first_full then
    perform private.wake_worker('reconcile', jsonb_build_object('business_id', v_run.business_id));
  end if;
  return v_run;
end
$$;

call private.restrict_to_service_role('jobber\_%reconcile%');
call private.restrict_to_service_role('jobber\_finish\_sync\_run');

-- The hourly sweep looks every 5 minutes for businesses whose last reconciliation is an hour old,
-- so each is reconciled about hourly without all of them landing on the same minute.
select private.register_worker_task('reconcile', '*/5 * * * *');
