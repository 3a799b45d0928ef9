-- Applying what Jobber says about jobs and visits (SPEC §9 "Data"): the one apply path that both
-- the webhook worker and reconciliation go through. The worker re-fetches objects from Jobber and
-- maps them in TypeScript (_shared/jobber/work_mapping.ts); these functions write them.

-- Applies items [{client, job, visits}] for one business, in this order and in the caller's
-- transaction:
--   1. clients, with the sync's own function (same mapping, adoption and never-older guard), so a
--      job whose client has no customer yet gets one first;
--   2. jobs, upserted on (business, Jobber id) only when Jobber's updatedAt is not older than what
--      is stored and something changed;
--   3. visits, likewise (a visit's remote_updated_at is its job's updatedAt: Jobber's Visit has no
--      updatedAt of its own);
--   4. completions, in ONE statement: a job seen closed (completedAt set) records `job_closed`, a
--      completed visit records `visit_completed`. The unique indexes and `on conflict do nothing`
--      make any number of deliveries, reconciliations and reopen/close cycles record each once.
--      One statement matters: the review decision trigger on job_completions takes a
--      per-business lock, so two statements in one transaction could deadlock with another worker.
-- A job or visit whose item is older than what is stored still records its completion: the job
-- was closed (or the visit done) at that time, whatever happened since; send-time checks (SPEC
-- §10) catch a job reopened afterwards.
create function private.jobber_apply_work(p_business_id uuid, p_source text, p_items jsonb)
returns table (jobs integer, visits integer, completions integer)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_clients jsonb;
  v_jobs jsonb;
  v_visits jsonb;
  v_job_count integer := 0;
  v_visit_count integer := 0;
  v_completion_count integer := 0;
begin
  if p_source is null or p_source not in ('webhook', 'reconcile', 'backfill') then
    raise exception using errcode = '22023', message = format('Unknown completion source %L.', p_source);
  end if;
  if p_items is null or jsonb_typeof(p_items) <> 'array' then
    raise exception using errcode = '22023', message = 'The items to apply must be a JSON array.';
  end if;

  -- Each object once, its newest version (a page can list a job beside its visits' jobs).
  select coalesce(jsonb_agg(s.client), '[]'::jsonb) into v_clients from (
    select distinct on (x.item -> 'client' ->> 'external_id') x.item -> 'client' as client
    from jsonb_array_elements(p_items) as x(item)
    where jsonb_typeof(x.item -> 'client') = 'object'
    order by x.item -> 'client' ->> 'external_id', (x.item -> 'client' ->> 'remote_updated_at')::timestamptz desc
  ) s;
  select coalesce(jsonb_agg(s.job), '[]'::jsonb) into v_jobs from (
    select distinct on (x.item -> 'job' ->> 'external_id') x.item -> 'job' as job
    from jsonb_array_elements(p_items) as x(item)
    where jsonb_typeof(x.item -> 'job') = 'object'
    order by x.item -> 'job' ->> 'external_id', (x.item -> 'job' ->> 'remote_updated_at')::timestamptz desc
  ) s;
  select coalesce(jsonb_agg(s.visit), '[]'::jsonb) into v_visits from (
    select distinct on (v.visit ->> 'external_id') v.visit
    from jsonb_array_elements(p_items) as x(item)
    cross join lateral jsonb_array_elements(coalesce(x.item -> 'visits', '[]'::jsonb)) as v(visit)
    order by v.visit ->> 'external_id', (v.visit ->> 'remote_updated_at')::timestamptz desc
  ) s;

  if jsonb_array_length(v_clients) > 0 then
    perform private.jobber_apply_client_page(p_business_id, v_clients, now());
  end if;

  with job_rows as (
    select * from jsonb_to_recordset(v_jobs) as r(
      external_id text, client_external_id text, job_number integer, title text, job_status text, job_type text,
      total numeric, completed_at timestamptz, property_address text, property_time_zone text,
      remote_updated_at timestamptz)
  ),
  upserted as (
    insert into public.jobs as t (
      business_id, external_id, customer_id, job_number, title, job_status, job_type, total, completed_at,
      property_address, property_time_zone, remote_updated_at
    )
    select p_business_id, r.external_id, c.id, r.job_number, r.title, r.job_status, r.job_type, r.total,
           r.completed_at, r.property_address, r.property_time_zone, r.remote_updated_at
    from job_rows r
    left join public.customers c
      on c.business_id = p_business_id and c.source = 'jobber' and c.external_id = r.client_external_id
    on conflict (business_id, external_id) do update set
      customer_id = coalesce(excluded.customer_id, t.customer_id),
      job_number = excluded.job_number,
      title = excluded.title,
      job_status = excluded.job_status,
      job_type = excluded.job_type,
      total = excluded.total,
      completed_at = excluded.completed_at,
      property_address = excluded.property_address,
      property_time_zone = excluded.property_time_zone,
      remote_updated_at = excluded.remote_updated_at,
      -- Jobber answered with it, so it exists (a job is only ever marked deleted on Jobber's word).
      deleted_at = null
    where (t.remote_updated_at is null or excluded.remote_updated_at >= t.remote_updated_at)
      and (coalesce(excluded.customer_id, t.customer_id), excluded.job_number, excluded.title, excluded.job_status,
           excluded.job_type, excluded.total, excluded.completed_at, excluded.property_address,
           excluded.property_time_zone, excluded.remote_updated_at, null::timestamptz)
          is distinct from
          (t.customer_id, t.job_number, t.title, t.job_status, t.job_type, t.total, t.completed_at,
           t.property_address, t.property_time_zone, t.remote_updated_at, t.deleted_at)
    returning 1
  )
  select count(*)::integer into v_job_count from upserted;

  with visit_rows as (
    select * from jsonb_to_recordset(v_visits) as r(
      external_id text, job_external_id text, title text, start_at timestamptz, end_at timestamptz,
      completed_at timestamptz, is_last_scheduled_visit boolean, assigned_to text[], remote_updated_at timestamptz)
  ),
  upserted as (
    insert into public.job_visits as t (
      business_id, job_id, external_id, title, start_at, end_at, completed_at, is_last_scheduled_visit,
      assigned_to, remote_updated_at
    )
    select p_business_id, j.id, r.external_id, r.title, r.start_at, r.end_at, r.completed_at,
           coalesce(r.is_last_scheduled_visit, false), coalesce(r.assigned_to, '{}'::text[]), r.remote_updated_at
    from visit_rows r
    join public.jobs j on j.business_id = p_business_id and j.external_id = r.job_external_id
    on conflict (business_id, external_id) do update set
      job_id = excluded.job_id,
      title = excluded.title,
      start_at = excluded.start_at,
      end_at = excluded.end_at,
      completed_at = excluded.completed_at,
      is_last_scheduled_visit = excluded.is_last_scheduled_visit,
      assigned_to = excluded.assigned_to,
      remote_updated_at = excluded.remote_updated_at
    where (t.remote_updated_at is null or excluded.remote_updated_at >= t.remote_updated_at)
      and (excluded.job_id, excluded.title, excluded.start_at, excluded.end_at, excluded.completed_at,
           excluded.is_last_scheduled_visit, excluded.assigned_to, excluded.remote_updated_at)
          is distinct from
          (t.job_id, t.title, t.start_at, t.end_at, t.completed_at, t.is_last_scheduled_visit, t.assigned_to,
           t.remote_updated_at)
    returning 1
  )
  select count(*)::integer into v_visit_count from upserted;

  with inserted as (
    insert into public.job_completions (business_id, job_id, visit_id, customer_id, kind, completed_at, source)
    select * from (
      select p_business_id, j.id, null::uuid, j.customer_id, 'job_closed', r.completed_at, p_source
      from jsonb_to_recordset(v_jobs) as r(external_id text, completed_at timestamptz)
      join public.jobs j on j.business_id = p_business_id and j.external_id = r.external_id
      where r.completed_at is not null and j.deleted_at is null
      union all
      select p_business_id, v.job_id, v.id, j.customer_id, 'visit_completed', r.completed_at, p_source
      from jsonb_to_recordset(v_visits) as r(external_id text, completed_at timestamptz)
      join public.job_visits v on v.business_id = p_business_id and v.external_id = r.external_id
      join public.jobs j on j.id = v.job_id
      where r.completed_at is not null and j.deleted_at is null
    ) c
    on conflict do nothing
    returning 1
  )
  select count(*)::integer into v_completion_count from inserted;

  return query select v_job_count, v_visit_count, v_completion_count;
end
$$;

-- A job Jobber no longer has (JOB_DESTROY, or job(id:) answering null): kept, with its visits
-- and completions, as history; only marked. False when there was nothing to mark.
create function private.jobber_mark_job_deleted(p_business_id uuid, p_external_id text)
returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
begin
  update public.jobs j set deleted_at = now()
  where j.business_id = p_business_id and j.external_id = p_external_id and j.deleted_at is null;
  return found;
end
$$;

-- A client Jobber no longer has (CLIENT_DESTROY, or client(id:) answering null): the customer is
-- marked removed, never deleted, exactly as the full sync marks clients it no longer sees.
create function private.jobber_remove_customer(p_business_id uuid, p_external_id text)
returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
begin
  update public.customers c set status = 'removed', last_synced_at = now()
  where c.business_id = p_business_id and c.source = 'jobber' and c.external_id = p_external_id
    and c.status <> 'removed';
  return found;
end
$$;

call private.restrict_to_service_role('jobber\_apply\_work');
call private.restrict_to_service_role('jobber\_mark\_job\_deleted');
call private.restrict_to_service_role('jobber\_remove\_customer');
