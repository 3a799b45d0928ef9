-- The status JSON's sync object gains what the latest run changed (created, updated, removed) and
-- the time an incremental run looked from (since), after the keys SPEC §5 lists. The view keeps its
-- columns, so it is replaced in place and keeps its grants.
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
    -- The webhook inbox does not exist yet; pending and failed are its counts once it does.
    'webhooks', json_build_object('last_event_at', t.last_webhook_at, 'pending', 0, 'failed', 0)
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
cross join lateral (
  select
    to_char(i.last_customer_sync_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_sync,
    to_char(i.token_expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as token_expires_at,
    to_char(i.connected_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as connected_at,
    to_char(i.last_webhook_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_webhook_at,
    to_char(r.started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as sync_started_at,
    to_char(r.finished_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as sync_finished_at,
    to_char(r.since at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as sync_since
) t;
