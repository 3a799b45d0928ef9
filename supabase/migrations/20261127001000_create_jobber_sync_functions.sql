-- Customer sync, the database half. A run advances one Jobber page per transaction: the page's
-- customers, the run's counters and its cursor commit together, so a worker that dies mid-run
-- loses nothing and the next one resumes from the last committed page. A lease (owner + expiry,
-- renewed with every page) keeps two workers from ever running one run at once.

-- Jobber ids seen by a full run, to mark customers that vanished from Jobber as removed.
create table private.jobber_sync_seen (
  run_id uuid not null references public.jobber_sync_runs (id) on delete cascade,
  external_id text not null,
  primary key (run_id, external_id)
);
alter table private.jobber_sync_seen enable row level security;
revoke all on private.jobber_sync_seen from public, anon, authenticated;

-- Starts a run for a member, or joins the live one (at most one per business).
-- Mode null = incremental once a full run has succeeded, full before that (SPEC §8).
create function private.jobber_start_sync_run(
  p_business_id uuid, p_user_id uuid, p_mode text default null, p_trigger text default 'manual'
) returns table (run_id uuid, joined boolean)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_kind text;
  v_run_id uuid;
begin
  if p_user_id is not null then
    perform private.jobber_assert_role(p_business_id, p_user_id, null);
  end if;
  if not exists (
    select 1 from public.integrations_jobber i
    where i.business_id = p_business_id and i.connection_status = 'connected'
  ) then
    raise exception using errcode = 'BJ005', message = 'This business is not connected to Jobber.';
  end if;

  select r.id into v_run_id from public.jobber_sync_runs r
  where r.business_id = p_business_id and r.state in ('queued', 'running');
  if v_run_id is not null then
    return query select v_run_id, true;
    return;
  end if;

  v_kind := coalesce(p_mode, case when exists (
    select 1 from public.jobber_sync_runs r
    where r.business_id = p_business_id and r.kind = 'full' and r.state = 'succeeded'
  ) then 'incremental' else 'full' end);

  insert into public.jobber_sync_runs (business_id, kind, trigger, requested_by, since)
  values (
    p_business_id, v_kind, p_trigger, p_user_id,
    -- Incremental runs overlap the previous success by 5 minutes so an edit made while that run
    -- was paging is never missed at the cursor boundary.
    case when v_kind = 'incremental' then (
      select max(r.started_at) - interval '5 minutes' from public.jobber_sync_runs r
      where r.business_id = p_business_id and r.state = 'succeeded'
    ) end
  )
  on conflict (business_id) where state in ('queued', 'running') do nothing
  returning id into v_run_id;

  if v_run_id is null then
    -- Lost a race with a concurrent start: join the run that won.
    select r.id into v_run_id from public.jobber_sync_runs r
    where r.business_id = p_business_id and r.state in ('queued', 'running');
    return query select v_run_id, true;
    return;
  end if;
  return query select v_run_id, false;
end
$$;

-- Queues scheduled runs for connected businesses whose last run is at least p_interval old.
create function private.jobber_schedule_due_runs(p_interval interval, p_limit integer)
returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_business_id uuid;
  v_count integer := 0;
begin
  for v_business_id in
    select i.business_id
    from public.integrations_jobber i
    where i.connection_status = 'connected'
      and not exists (
        select 1 from public.jobber_sync_runs r
        where r.business_id = i.business_id
          and (r.state in ('queued', 'running') or r.created_at > now() - p_interval)
      )
    order by i.last_customer_sync_at nulls first
    limit p_limit
  loop
    perform private.jobber_start_sync_run(v_business_id, null, null, 'schedule');
    v_count := v_count + 1;
  end loop;
  return v_count;
end
$$;

-- Takes up to p_limit runs that are queued, or running with an expired lease (their worker died
-- or handed over), skipping rows another worker is claiming right now.
create function private.jobber_claim_sync_runs(
  p_lease_owner text, p_lease_ms integer, p_limit integer, p_run_id uuid default null
) returns setof public.jobber_sync_runs
language plpgsql volatile security definer set search_path = ''
as $$
begin
  return query
  with claimable as (
    select r.id from public.jobber_sync_runs r
    where (p_run_id is null or r.id = p_run_id)
      and (r.state = 'queued' or (r.state = 'running' and r.lease_expires_at < now()))
    order by r.queued_at
    limit p_limit
    for update skip locked
  )
  update public.jobber_sync_runs r set
    state = 'running',
    lease_owner = p_lease_owner,
    lease_expires_at = now() + make_interval(secs => p_lease_ms / 1000.0),
    heartbeat_at = now(),
    started_at = coalesce(r.started_at, now()),
    attempts = r.attempts + 1
  from claimable c
  where r.id = c.id
  returning r.*;
end
$$;

-- Applies one page of mapped Jobber clients in set-based statements (SPEC §8):
--   same Jobber id -> update, only if something changed and the incoming updatedAt is not older;
--   unknown id -> adopt a customer of this business that has no Jobber id yet and matches by
--                 normalised email, else by E.164 phone (each customer adopted at most once);
--   otherwise -> insert.
-- Jobber's values win wherever Jobber has one; a field Jobber lacks is never blanked.
-- plpgsql rather than sql: Postgres 15 re-plans a SQL function's statement on every call, while
-- plpgsql keeps the plan, which is most of the cost of a 100-row page.
create function private.jobber_apply_client_page(p_business_id uuid, p_clients jsonb, p_synced_at timestamptz)
returns table (created integer, updated integer, linked integer, unchanged integer)
language plpgsql volatile security definer set search_path = ''
as $$
begin
  return query
  with page as (
    -- A client listed twice (the cursor shifted under concurrent edits) is applied once.
    select distinct on (x.external_id) x.*
    from rows from (
      jsonb_to_recordset(p_clients) as (
        external_id text, full_name text, email text, phone text, address text, status text,
        email_usable boolean, phone_usable boolean, remote_updated_at timestamptz
      )
    ) with ordinality as x(external_id, full_name, email, phone, address, status, email_usable, phone_usable,
                           remote_updated_at, ord)
    order by x.external_id, x.ord desc
  ),
  known as (
    select p.*, c.id as customer_id,
      (coalesce(nullif(p.full_name, ''), c.full_name), coalesce(p.email, c.email), coalesce(p.phone, c.phone),
       coalesce(p.address, c.address), p.status,
       case when p.email is null then c.email_usable else p.email_usable end,
       case when p.phone is null then c.phone_usable else p.phone_usable end)
        is distinct from
      (c.full_name, c.email, c.phone, c.address, c.status, c.email_usable, c.phone_usable) as changed,
      c.remote_updated_at is null or p.remote_updated_at >= c.remote_updated_at as not_older
    from page p
    -- An index probe per client (LATERAL + LIMIT keeps the planner from flattening it into a hash
    -- join that scans every customer of the business for each page, which would make a full sync
    -- quadratic while the table's statistics still describe an empty business).
    cross join lateral (
      select c.* from public.customers c
      where c.business_id = p_business_id and c.source = 'jobber' and c.external_id = p.external_id
      limit 1
    ) c
  ),
  unknown as (
    select p.* from page p where not exists (select 1 from known k where k.external_id = p.external_id)
  ),
  -- Candidates for adoption: email matches rank before phone matches. Each client picks its best
  -- candidate; a customer picked by several clients goes to the best match (then page order), and
  -- the other clients become new customers.
  candidates as (
    select u.external_id, u.ord, c.id as customer_id, 1 as rank
    from unknown u
    cross join lateral (
      select c.id from public.customers c
      where u.email is not null and c.business_id = p_business_id and lower(c.email) = u.email
        and c.email is not null and c.source <> 'jobber'
    ) c
    union all
    select u.external_id, u.ord, c.id, 2
    from unknown u
    cross join lateral (
      select c.id from public.customers c
      where u.phone is not null and c.business_id = p_business_id and c.phone = u.phone and c.source <> 'jobber'
    ) c
  ),
  best_customer_per_client as (
    select distinct on (external_id) external_id, ord, customer_id, rank
    from candidates
    order by external_id, rank, customer_id
  ),
  adoption as (
    select distinct on (customer_id) external_id, customer_id
    from best_customer_per_client
    order by customer_id, rank, ord
  ),
  -- Known clients that changed (and are not older) and adopted customers take Jobber's values in
  -- one statement; for an adopted customer that also records its Jobber id. Jobber's values win
  -- where Jobber has one, and a kept value keeps its own usability flag.
  targets as (
    select k.customer_id, false as adopted, k.external_id, k.full_name, k.email, k.phone, k.address, k.status,
           k.email_usable, k.phone_usable, k.remote_updated_at
    from known k
    where k.changed and k.not_older
    union all
    select a.customer_id, true, u.external_id, u.full_name, u.email, u.phone, u.address, u.status,
           u.email_usable, u.phone_usable, u.remote_updated_at
    from adoption a
    join unknown u on u.external_id = a.external_id
  ),
  written_rows as (
    update public.customers c set
      source = 'jobber',
      external_id = t.external_id,
      full_name = coalesce(nullif(t.full_name, ''), c.full_name),
      email = coalesce(t.email, c.email),
      phone = coalesce(t.phone, c.phone),
      address = coalesce(t.address, c.address),
      status = t.status,
      email_usable = case when t.email is null then c.email_usable else t.email_usable end,
      phone_usable = case when t.phone is null then c.phone_usable else t.phone_usable end,
      remote_updated_at = t.remote_updated_at,
      last_synced_at = p_synced_at
    from targets t
    where c.id = t.customer_id
    returning t.adopted
  ),
  created_rows as (
    insert into public.customers (
      business_id, source, external_id, full_name, email, phone, address, status, email_usable, phone_usable,
      remote_updated_at, last_synced_at
    )
    select p_business_id, 'jobber', u.external_id, coalesce(u.full_name, ''), u.email, u.phone, u.address, u.status,
           u.email_usable, u.phone_usable, u.remote_updated_at, p_synced_at
    from unknown u
    where not exists (select 1 from adoption a where a.external_id = u.external_id)
    on conflict (business_id, source, external_id) do nothing
    returning id
  )
  select
    (select count(*) from created_rows)::integer,
    (select count(*) filter (where not adopted) from written_rows)::integer,
    (select count(*) filter (where adopted) from written_rows)::integer,
    ((select count(*) from known) - (select count(*) filter (where not adopted) from written_rows))::integer;
end
$$;

-- Commits one page of a run: customers, counters, per-client errors (a bounded sample) and the
-- cursor, in the caller's transaction. Raises if the caller no longer holds the lease, so a
-- worker that lost its run cannot write over the one that took it.
create function private.jobber_record_sync_page(
  p_run_id uuid,
  p_lease_owner text,
  p_lease_ms integer,
  p_clients jsonb,
  p_errors jsonb,
  p_next_cursor text,
  p_total integer,
  p_points integer
) returns public.jobber_sync_runs
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_run public.jobber_sync_runs;
  v_result record;
  v_error_count integer := jsonb_array_length(p_errors);
begin
  select r.* into v_run from public.jobber_sync_runs r where r.id = p_run_id for update;
  if v_run.id is null or v_run.state <> 'running' or v_run.lease_owner is distinct from p_lease_owner then
    raise exception using errcode = 'BJ007', message = 'This worker no longer holds the sync run.';
  end if;

  select * into v_result from private.jobber_apply_client_page(v_run.business_id, p_clients, now());
  if v_run.kind = 'full' then
    insert into private.jobber_sync_seen (run_id, external_id)
    select p_run_id, x.external_id from jsonb_to_recordset(p_clients) as x(external_id text)
    on conflict do nothing;
  end if;

  update public.jobber_sync_runs r set
    cursor = p_next_cursor,
    pages = r.pages + 1,
    total = coalesce(p_total, r.total),
    processed = r.processed + jsonb_array_length(p_clients) + v_error_count,
    created = r.created + v_result.created,
    updated = r.updated + v_result.updated,
    linked = r.linked + v_result.linked,
    unchanged = r.unchanged + v_result.unchanged,
    failed = r.failed + v_error_count,
    errors = case when jsonb_array_length(r.errors) >= 50 then r.errors
                  else r.errors || (select coalesce(jsonb_agg(e), '[]'::jsonb) from (
                    select e from jsonb_array_elements(p_errors) e limit 50 - jsonb_array_length(r.errors)) s) end,
    points_spent = r.points_spent + coalesce(p_points, 0),
    attempts = 0,
    error = null,
    heartbeat_at = now(),
    lease_expires_at = now() + make_interval(secs => p_lease_ms / 1000.0)
  where r.id = p_run_id
  returning r.* into v_run;
  return v_run;
end
$$;

-- Keeps a run's lease alive while its worker waits on Jobber's rate limits or retries. False when
-- the worker no longer holds the run.
create function private.jobber_heartbeat_sync_run(p_run_id uuid, p_lease_owner text, p_lease_ms integer)
returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
begin
  update public.jobber_sync_runs r set
    heartbeat_at = now(),
    lease_expires_at = now() + make_interval(secs => p_lease_ms / 1000.0)
  where r.id = p_run_id and r.lease_owner = p_lease_owner and r.state = 'running';
  return found;
end
$$;

-- Gives a run back without finishing it: at once (time budget reached, a fresh invocation takes
-- over) or after a delay (Jobber failed; the next tick retries). Five failures in a row fail it.
create function private.jobber_release_sync_run(
  p_run_id uuid, p_lease_owner text, p_retry_after_ms integer, p_error text default null
) returns text
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_run public.jobber_sync_runs;
begin
  select r.* into v_run from public.jobber_sync_runs r where r.id = p_run_id for update;
  if v_run.id is null or v_run.state <> 'running' or v_run.lease_owner is distinct from p_lease_owner then
    return 'lost';
  end if;
  if p_error is not null and v_run.attempts >= 5 then
    perform private.jobber_fail_sync_run(p_run_id, p_lease_owner, p_error);
    return 'failed';
  end if;
  update public.jobber_sync_runs r set
    lease_owner = null,
    lease_expires_at = now() + make_interval(secs => p_retry_after_ms / 1000.0),
    error = p_error
  where r.id = p_run_id;
  return 'released';
end
$$;

create function private.jobber_fail_sync_run(p_run_id uuid, p_lease_owner text, p_error text)
returns void
language plpgsql volatile security definer set search_path = ''
as $$
begin
  update public.jobber_sync_runs r set
    state = 'failed',
    error = p_error,
    finished_at = now(),
    lease_owner = null,
    lease_expires_at = null
  where r.id = p_run_id and r.state = 'running' and r.lease_owner is not distinct from p_lease_owner;
  delete from private.jobber_sync_seen s where s.run_id = p_run_id;
end
$$;

-- Finishes a run whose last page is committed. A full run marks Jobber customers it did not see
-- as removed (never deleted), and both kinds stamp the business's last sync time.
create function private.jobber_finish_sync_run(p_run_id uuid, p_lease_owner text)
returns public.jobber_sync_runs
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_run public.jobber_sync_runs;
  v_removed integer := 0;
begin
  select r.* into v_run from public.jobber_sync_runs r where r.id = p_run_id for update;
  if v_run.id is null or v_run.state <> 'running' or v_run.lease_owner is distinct from p_lease_owner then
    raise exception using errcode = 'BJ007', message = 'This worker no longer holds the sync run.';
  end if;
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
    lease_expires_at = null,
    error = null
  where r.id = p_run_id
  returning r.* into v_run;
  update public.integrations_jobber i set last_customer_sync_at = v_run.finished_at
  where i.business_id = v_run.business_id;
  return v_run;
end
$$;

call private.restrict_to_service_role('jobber\_%');

-- Every minute: resume runs whose lease expired and queue incremental runs that are due.
select cron.schedule(
  'jobber-continue-syncs',
  '* * * * *',
  $$select private.invoke_edge_function('jobber-worker', '{"task":"continue_syncs"}'::jsonb)$$
);
