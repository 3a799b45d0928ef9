-- Sync runs move onto the shared worker leases. A run names its holder (lease_owner); whether the
-- holder is alive is its lease's business (private.worker_leases), so the run keeps no expiry or
-- heartbeat of its own, and the guard that every write of a run went through - copied into
-- record page, heartbeat and finish - is now private.worker_lease_guard, reached through
-- jobber_hold_sync_run. retry_at holds a run back after a failure until the next tick may retry.
alter table public.jobber_sync_runs
  drop column lease_expires_at,
  drop column heartbeat_at,
  add column retry_at timestamptz;

drop function private.jobber_heartbeat_sync_run(uuid, text, integer);
drop function private.jobber_claim_sync_runs(text, integer, integer, uuid);
drop function private.jobber_record_sync_page(uuid, text, integer, jsonb, jsonb, text, integer, integer);

-- Locks a run for a write by its holder: raises BJ007 unless p_lease_owner still holds it.
create function private.jobber_hold_sync_run(p_run_id uuid, p_lease_owner text)
returns public.jobber_sync_runs
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_run public.jobber_sync_runs;
begin
  select r.* into v_run from public.jobber_sync_runs r where r.id = p_run_id for update;
  perform private.worker_lease_guard(v_run.lease_owner, p_lease_owner);
  return v_run;
end
$$;

-- Takes up to p_limit runs that are queued, or running while nobody holds them (their worker died,
-- handed over, or gave them back to retry later), skipping rows another worker is claiming right
-- now. With p_run_ids, only those runs: a hand-over or a just-requested run names its own.
create function private.jobber_claim_sync_runs(p_lease_owner text, p_limit integer, p_run_ids uuid[] default null)
returns setof public.jobber_sync_runs
language plpgsql volatile security definer set search_path = ''
as $$
begin
  return query
  with claimable as (
    select r.id from public.jobber_sync_runs r
    where (p_run_ids is null or r.id = any (p_run_ids))
      and (r.state = 'queued' or (r.state = 'running' and not private.worker_lease_live(r.lease_owner)))
      and (r.retry_at is null or r.retry_at <= now())
    order by r.queued_at
    limit p_limit
    for update skip locked
  )
  update public.jobber_sync_runs r set
    state = 'running',
    lease_owner = p_lease_owner,
    retry_at = null,
    started_at = coalesce(r.started_at, now()),
    attempts = r.attempts + 1
  from claimable c
  where r.id = c.id
  returning r.*;
end
$$;

-- Commits one page of a run: customers, counters, per-client errors (a bounded sample) and the
-- cursor, in the caller's transaction, by the run's holder only.
create function private.jobber_record_sync_page(
  p_run_id uuid,
  p_lease_owner text,
  p_clients jsonb,
  p_errors jsonb,
  p_next_cursor text,
  p_total integer,
  p_points integer
) returns public.jobber_sync_runs
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_run public.jobber_sync_runs := private.jobber_hold_sync_run(p_run_id, p_lease_owner);
  v_result record;
  v_error_count integer := jsonb_array_length(p_errors);
begin
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
    error = null
  where r.id = p_run_id
  returning r.* into v_run;
  return v_run;
end
$$;

-- Gives a run back without finishing it: at once (time budget reached, a fresh invocation takes
-- over) or after a delay (Jobber failed; a later tick retries). Five failures in a row fail it.
create or replace function private.jobber_release_sync_run(
  p_run_id uuid, p_lease_owner text, p_retry_after_ms integer, p_error text default null
) returns text
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_run public.jobber_sync_runs := private.jobber_hold_sync_run(p_run_id, p_lease_owner);
begin
  if p_error is not null and v_run.attempts >= 5 then
    perform private.jobber_fail_sync_run(p_run_id, p_lease_owner, p_error);
    return 'failed';
  end if;
  update public.jobber_sync_runs r set
    lease_owner = null,
    retry_at = case when p_retry_after_ms > 0 then now() + make_interval(secs => p_retry_after_ms / 1000.0) end,
    error = p_error
  where r.id = p_run_id;
  return 'released';
end
$$;

create or replace function private.jobber_fail_sync_run(p_run_id uuid, p_lease_owner text, p_error text)
returns void
language plpgsql volatile security definer set search_path = ''
as $$
begin
  perform private.jobber_hold_sync_run(p_run_id, p_lease_owner);
  update public.jobber_sync_runs r set
    state = 'failed',
    error = p_error,
    finished_at = now(),
    lease_owner = null,
    retry_at = null
  where r.id = p_run_id;
  delete from private.jobber_sync_seen s where s.run_id = p_run_id;
end
$$;

-- Finishes a run whose last page is committed. A full run marks Jobber customers it did not see
-- as removed (never deleted), and both kinds stamp the business's last sync time.
create or replace function private.jobber_finish_sync_run(p_run_id uuid, p_lease_owner text)
returns public.jobber_sync_runs
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_run public.jobber_sync_runs := private.jobber_hold_sync_run(p_run_id, p_lease_owner);
  v_removed integer := 0;
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
  return v_run;
end
$$;

-- Forgets a connection: Vault secrets deleted, row disconnected, live sync runs cancelled (their
-- holders lose them at their next write). Customers stay. False when nothing was connected.
create or replace function private.jobber_disconnect(p_business_id uuid, p_reason text)
returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_row public.integrations_jobber;
begin
  select i.* into v_row from public.integrations_jobber i where i.business_id = p_business_id for update;
  if v_row.id is null or v_row.connection_status = 'disconnected' then
    return false;
  end if;
  delete from vault.secrets s where s.id in (v_row.access_token_secret_id, v_row.refresh_token_secret_id);
  update public.integrations_jobber i set
    access_token_secret_id = null,
    refresh_token_secret_id = null,
    token_expires_at = null,
    refresh_failures = 0,
    refresh_retry_at = null,
    connection_status = 'disconnected',
    needs_reconnect = false,
    error_message = null,
    disconnected_at = now()
  where i.business_id = p_business_id;
  update public.jobber_sync_runs r set
    state = 'cancelled',
    finished_at = now(),
    lease_owner = null,
    retry_at = null,
    error = p_reason
  where r.business_id = p_business_id and r.state in ('queued', 'running');
  return true;
end
$$;

call private.restrict_to_service_role('jobber\_%');
