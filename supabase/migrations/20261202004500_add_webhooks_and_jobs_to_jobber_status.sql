-- The status JSON gains SPEC §9's real numbers: `webhooks {last_event_at, pending, failed}` from
-- the inbox (pending includes events waiting for a retry or being processed; failed are dead
-- letters) and `jobs {completed_30d, last_completed_at}` from job_completions.
--
-- The inbox is private, and the view runs with the caller's rights (security_invoker), so the
-- counts come from a security definer function that answers only a member of the business (or
-- the service role) - the view cannot show a signed-in user more than the tables would.
create function private.jobber_webhook_counts(p_business_id uuid)
returns table (pending integer, failed integer)
language sql stable security definer set search_path = ''
as $$
  select count(*) filter (where e.state in ('pending', 'processing'))::integer,
         count(*) filter (where e.state = 'failed')::integer
  from private.jobber_webhook_events e
  where e.business_id = p_business_id
    and e.state in ('pending', 'processing', 'failed')
    and ((select auth.role()) = 'service_role' or private.has_business_role(p_business_id))
$$;
revoke all on function private.jobber_webhook_counts(uuid) from public, anon;
grant execute on function private.jobber_webhook_counts(uuid) to authenticated, service_role;

create or replace view public.jobber_status with (security_invoker = true) as
select
  b.id as business_id,
  b.name as business_name,
  json_build_object(
    'connected', coalesce(i.connection_status = 'connected', false),
    'connectionStatus', coalesce(i.connection_status, 'disconnected'),
    'account_name', i.account_name,
    'last_sync', t.last_sync,
    'token_expires_at', t.token_expires_at,
    'connection', json_build_object(
      'account_name', i.account_name,
      'last_sync', t.last_sync,
      'connected_at', t.connected_at
    ),
    'needs_reconnect', coalesce(i.needs_reconnect, false),
    'error_message', i.error_message,
    'customers', json_build_object('total', coalesce(c.total, 0), 'from_jobber', coalesce(c.from_jobber, 0)),
    'sync', json_build_object(
      'run_id', r.id,
      'kind', r.kind,
      'state', coalesce(r.state, 'never'),
      'processed', coalesce(r.processed, 0),
      'total', r.total,
      'synced', coalesce(r.created + r.updated + r.linked + r.unchanged, 0),
      'errors', coalesce(r.failed, 0),
      'started_at', t.sync_started_at,
      'finished_at', t.sync_finished_at,
      'error', r.error,
      -- What the run changed, so the card can say "3 updated" or "Up to date" rather than count
      -- customers it merely looked at. Linked customers (adopted by email or phone) existed before
      -- and now carry Jobber's values: they count as updated.
      'created', coalesce(r.created, 0),
      'updated', coalesce(r.updated + r.linked, 0),
      'removed', coalesce(r.removed, 0),
      -- The time an incremental run looked for changes from ("no changes since …").
      'since', t.sync_since
    ),
    'webhooks', json_build_object(
      'last_event_at', t.last_webhook_at,
      'pending', coalesce(w.pending, 0),
      'failed', coalesce(w.failed, 0)
    ),
    'jobs', json_build_object(
      'completed_30d', coalesce(jc.completed_30d, 0),
      'last_completed_at', t.last_completed_at
    )
  ) as status
from public.businesses b
left join public.integrations_jobber i on i.business_id = b.id
left join lateral (
  -- Removed customers (deleted in Jobber) are kept for history but are no longer customers.
  select
    count(*) filter (where cu.status <> 'removed') as total,
    count(*) filter (where cu.source = 'jobber' and cu.status <> 'removed') as from_jobber
  from public.customers cu
  where cu.business_id = b.id
) c on true
left join lateral (
  select sr.id, sr.kind, sr.state, sr.processed, sr.total, sr.created, sr.updated, sr.linked, sr.unchanged,
         sr.failed, sr.started_at, sr.finished_at, sr.error, sr.removed, sr.since
  from public.jobber_sync_runs sr
  where sr.business_id = b.id
  order by sr.created_at desc, sr.queued_at desc, sr.id desc
  limit 1
) r on true
left join lateral private.jobber_webhook_counts(b.id) w on true
left join lateral (
  select count(*) filter (where jc.completed_at >= now() - interval '30 days')::integer as completed_30d,
         max(jc.completed_at) as last_completed_at
  from public.job_completions jc
  where jc.business_id = b.id
) jc on true
cross join lateral (
  select
    to_char(i.last_customer_sync_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_sync,
    to_char(i.token_expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as token_expires_at,
    to_char(i.connected_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as connected_at,
    to_char(i.last_webhook_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_webhook_at,
    to_char(r.started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as sync_started_at,
    to_char(r.finished_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as sync_finished_at,
    to_char(r.since at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as sync_since,
    to_char(jc.last_completed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_completed_at
) t;

grant select on public.jobber_status to authenticated, service_role;
