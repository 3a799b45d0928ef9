-- What the card reads: one row per business the caller belongs to, Jobber connection and latest
-- sync run folded in. security_invoker makes the caller's RLS and column grants apply, so the view
-- can never show more than the tables would - and it names no token column at all.
create view public.jobber_status with (security_invoker = true) as
select
  b.id as business_id,
  b.name as business_name,
  coalesce(i.connection_status = 'connected', false) as connected,
  coalesce(i.connection_status, 'disconnected') as connection_status,
  i.account_name,
  coalesce(i.needs_reconnect, false) as needs_reconnect,
  i.error_message,
  i.token_expires_at,
  i.connected_at,
  i.last_customer_sync_at as last_sync,
  i.last_webhook_at,
  coalesce(c.total, 0)::integer as customers_total,
  coalesce(c.from_jobber, 0)::integer as customers_from_jobber,
  r.id as sync_run_id,
  r.kind as sync_kind,
  coalesce(r.state, 'never') as sync_state,
  coalesce(r.processed, 0) as sync_processed,
  r.total as sync_total,
  coalesce(r.created + r.updated + r.linked + r.unchanged, 0) as sync_synced,
  coalesce(r.failed, 0) as sync_errors,
  r.started_at as sync_started_at,
  r.finished_at as sync_finished_at,
  r.error as sync_error,
  0 as webhooks_pending,
  0 as webhooks_failed
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
  select *
  from public.jobber_sync_runs sr
  where sr.business_id = b.id
  order by sr.created_at desc, sr.queued_at desc, sr.id desc
  limit 1
) r on true;

grant select on public.jobber_status to authenticated, service_role;
