-- One Jobber connection per business. Tokens live in Vault; this row holds only the secret ids,
-- and those two columns are not granted to `authenticated` at all (column privileges), so no
-- policy mistake can ever hand them to the browser.
create table public.integrations_jobber (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null unique references public.businesses (id) on delete cascade,
  access_token_secret_id uuid,
  refresh_token_secret_id uuid,
  token_expires_at timestamptz,
  token_refreshed_at timestamptz,
  refresh_failures integer not null default 0,
  refresh_retry_at timestamptz,
  account_id text,
  account_name text,
  connection_status text not null default 'pending'
    check (connection_status in ('pending', 'connected', 'disconnected', 'error')),
  needs_reconnect boolean not null default false,
  error_message text,
  last_customer_sync_at timestamptz,
  last_job_sync_at timestamptz,
  last_webhook_at timestamptz,
  webhook_id text,
  webhook_url text,
  connected_at timestamptz,
  disconnected_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- A connected row always has tokens; a disconnected one never keeps them.
  constraint integrations_jobber_connected_has_tokens check (
    connection_status <> 'connected'
    or (access_token_secret_id is not null and refresh_token_secret_id is not null and account_id is not null)
  ),
  constraint integrations_jobber_disconnected_has_no_tokens check (
    connection_status <> 'disconnected'
    or (access_token_secret_id is null and refresh_token_secret_id is null)
  )
);
-- One Jobber account belongs to at most one business at a time; a disconnected row keeps the id
-- for history but no longer claims the account.
create unique index integrations_jobber_live_account_idx on public.integrations_jobber (account_id)
  where connection_status <> 'disconnected';
create index integrations_jobber_token_expiry_idx on public.integrations_jobber (token_expires_at)
  where connection_status = 'connected';

create trigger set_updated_at before update on public.integrations_jobber
  for each row execute function private.set_updated_at();

alter table public.integrations_jobber enable row level security;

create policy "Jobber connections are visible to members of their business"
  on public.integrations_jobber for select to authenticated
  using ((select private.has_business_role(business_id)));

revoke all on public.integrations_jobber from anon, authenticated;
grant select (
  id, business_id, token_expires_at, token_refreshed_at, account_id, account_name, connection_status,
  needs_reconnect, error_message, last_customer_sync_at, last_job_sync_at, last_webhook_at,
  webhook_id, webhook_url, connected_at, disconnected_at, created_at, updated_at
) on public.integrations_jobber to authenticated;
grant select, insert, update, delete on public.integrations_jobber to service_role;
