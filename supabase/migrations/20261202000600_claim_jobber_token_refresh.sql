-- Refreshing a token no longer holds a database connection while Jobber answers. Before, the
-- refresh locked the connection's row and kept that transaction - and its pooled connection -
-- open across the HTTP call to Jobber's token endpoint, while every other caller needing a
-- refresh queued on the lock holding a connection of its own: a slow Jobber could take every
-- pooled connection from work that has nothing to do with tokens (the webhook path above all).
--
-- Now a refresh is three short transactions:
--   1. read the connection (no lock);
--   2. claim the refresh (row lock for one statement): granted only while the tokens are still
--      the generation just read and nobody else holds a live claim; the claimer alone gets the
--      refresh token;
--   3. after Jobber answers, save the new pair - or record the failure - only if the tokens are
--      still that generation (compare-and-set), releasing the claim.
-- Callers that find a claim held wait without a connection and read again. Rotation stays safe:
-- one claimer at a time spends a refresh token (the claim outlives the token request's longest
-- retry sequence), and a pair is only ever written over the generation it was refreshed from.
alter table public.integrations_jobber
  add column token_generation bigint not null default 0,
  add column refresh_claimed_by text,
  add column refresh_claimed_until timestamptz;

drop function private.jobber_lock_tokens(uuid);
drop function private.jobber_read_tokens(uuid);
drop function private.jobber_save_tokens(uuid, text, text, timestamptz);
drop function private.jobber_record_refresh_failure(uuid, boolean, text, timestamptz);

-- The access token and what deciding on a refresh needs; never the refresh token.
create function private.jobber_read_tokens(p_business_id uuid)
returns table (
  access_token text, token_expires_at timestamptz, connection_status text, refresh_failures integer,
  refresh_retry_at timestamptz, token_generation bigint
)
language sql stable security definer set search_path = ''
as $$
  select a.decrypted_secret, i.token_expires_at, i.connection_status, i.refresh_failures, i.refresh_retry_at,
         i.token_generation
  from public.integrations_jobber i
  left join vault.decrypted_secrets a on a.id = i.access_token_secret_id
  where i.business_id = p_business_id
$$;

-- Claims the right to spend the refresh token of generation p_generation.
-- outcome: claimed (with the refresh token) | changed (someone refreshed or reconnected since that
-- read: read again) | busy (another claim is live until claimed_until) | not_connected.
create function private.jobber_claim_refresh(
  p_business_id uuid, p_claimer text, p_generation bigint, p_claim_ms integer
) returns table (outcome text, refresh_token text, claimed_until timestamptz)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_row public.integrations_jobber;
  v_until timestamptz := now() + make_interval(secs => p_claim_ms / 1000.0);
begin
  select i.* into v_row from public.integrations_jobber i where i.business_id = p_business_id for update;
  if v_row.id is null or v_row.connection_status <> 'connected' or v_row.refresh_token_secret_id is null then
    return query select 'not_connected'::text, null::text, null::timestamptz;
    return;
  end if;
  if v_row.token_generation <> p_generation then
    return query select 'changed'::text, null::text, null::timestamptz;
    return;
  end if;
  if v_row.refresh_claimed_until > now() and v_row.refresh_claimed_by is distinct from p_claimer then
    return query select 'busy'::text, null::text, v_row.refresh_claimed_until;
    return;
  end if;
  update public.integrations_jobber i set refresh_claimed_by = p_claimer, refresh_claimed_until = v_until
  where i.id = v_row.id;
  return query
  select 'claimed'::text, d.decrypted_secret, v_until
  from vault.decrypted_secrets d where d.id = v_row.refresh_token_secret_id;
end
$$;

-- Stores a rotated pair if the connection still holds generation p_generation; false otherwise
-- (it was disconnected or reconnected meanwhile, and the new pair belongs to nothing).
create function private.jobber_save_tokens(
  p_business_id uuid, p_claimer text, p_generation bigint,
  p_access_token text, p_refresh_token text, p_token_expires_at timestamptz
) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_row public.integrations_jobber;
begin
  select i.* into v_row from public.integrations_jobber i where i.business_id = p_business_id for update;
  if v_row.id is null or v_row.connection_status <> 'connected' or v_row.token_generation <> p_generation then
    update public.integrations_jobber i set refresh_claimed_by = null, refresh_claimed_until = null
    where i.id = v_row.id and i.refresh_claimed_by = p_claimer;
    return false;
  end if;
  perform vault.update_secret(v_row.access_token_secret_id, p_access_token);
  perform vault.update_secret(v_row.refresh_token_secret_id, p_refresh_token);
  update public.integrations_jobber i set
    token_expires_at = p_token_expires_at,
    token_refreshed_at = now(),
    token_generation = i.token_generation + 1,
    refresh_failures = 0,
    refresh_retry_at = null,
    refresh_claimed_by = null,
    refresh_claimed_until = null,
    needs_reconnect = false,
    error_message = null
  where i.id = v_row.id;
  return true;
end
$$;

-- Records a failed refresh of generation p_generation (ignored if the tokens changed meanwhile)
-- and releases the claim. A refused refresh token means the owner must reconnect; anything else
-- is transient: stay connected and retry after p_retry_at.
create function private.jobber_record_refresh_failure(
  p_business_id uuid, p_claimer text, p_generation bigint, p_needs_reconnect boolean, p_message text,
  p_retry_at timestamptz default null
) returns void
language plpgsql volatile security definer set search_path = ''
as $$
begin
  update public.integrations_jobber i set
    connection_status = case when p_needs_reconnect then 'error' else i.connection_status end,
    needs_reconnect = p_needs_reconnect or i.needs_reconnect,
    error_message = p_message,
    refresh_failures = case when p_needs_reconnect then i.refresh_failures else i.refresh_failures + 1 end,
    refresh_retry_at = case when p_needs_reconnect then null else p_retry_at end,
    refresh_claimed_by = null,
    refresh_claimed_until = null
  where i.business_id = p_business_id and i.connection_status = 'connected' and i.token_generation = p_generation;
  if not found then
    update public.integrations_jobber i set refresh_claimed_by = null, refresh_claimed_until = null
    where i.business_id = p_business_id and i.refresh_claimed_by = p_claimer;
  end if;
end
$$;

-- Stores a finished connection: tokens into Vault, the row connected, and the initial full sync
-- queued. Returns the queued run's id (or the live run's, when one is already going). A reconnect
-- starts a new token generation, so a refresh of the old tokens still in flight can never save
-- over the new ones, and drops any claim left from before.
create or replace function private.jobber_store_connection(
  p_business_id uuid,
  p_account_id text,
  p_account_name text,
  p_access_token text,
  p_refresh_token text,
  p_token_expires_at timestamptz,
  p_requested_by uuid default null
) returns uuid
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_row public.integrations_jobber;
  v_access_id uuid;
  v_refresh_id uuid;
  v_run_id uuid;
begin
  -- Serialise concurrent connects of one business.
  perform 1 from public.businesses b where b.id = p_business_id for update;
  if not found then
    raise exception using errcode = 'BJ001', message = 'You are not a member of this business.';
  end if;

  if exists (
    select 1 from public.integrations_jobber i
    where i.account_id = p_account_id and i.business_id <> p_business_id and i.connection_status <> 'disconnected'
  ) then
    raise exception using errcode = 'BJ004',
      message = 'This Jobber account is already connected to another Blipp business.';
  end if;

  select i.* into v_row from public.integrations_jobber i where i.business_id = p_business_id for update;
  if v_row.connection_status = 'connected' then
    raise exception using errcode = 'BJ003',
      message = 'This business is already connected to Jobber. Disconnect it before connecting again.';
  end if;

  -- Tokens of an earlier connection (a reconnect from `error`) are replaced, never kept beside.
  delete from vault.secrets s
  where s.id in (v_row.access_token_secret_id, v_row.refresh_token_secret_id)
     or s.name in (format('jobber/%s/access_token', p_business_id), format('jobber/%s/refresh_token', p_business_id));
  v_access_id := vault.create_secret(p_access_token, format('jobber/%s/access_token', p_business_id),
    'Jobber access token');
  v_refresh_id := vault.create_secret(p_refresh_token, format('jobber/%s/refresh_token', p_business_id),
    'Jobber refresh token (rotates on every refresh)');

  insert into public.integrations_jobber as i (
    business_id, access_token_secret_id, refresh_token_secret_id, token_expires_at, token_refreshed_at,
    refresh_failures, refresh_retry_at, account_id, account_name, connection_status, needs_reconnect,
    error_message, connected_at, disconnected_at
  ) values (
    p_business_id, v_access_id, v_refresh_id, p_token_expires_at, now(),
    0, null, p_account_id, p_account_name, 'connected', false,
    null, now(), null
  )
  on conflict (business_id) do update set
    access_token_secret_id = excluded.access_token_secret_id,
    refresh_token_secret_id = excluded.refresh_token_secret_id,
    token_expires_at = excluded.token_expires_at,
    token_refreshed_at = excluded.token_refreshed_at,
    refresh_failures = 0,
    refresh_retry_at = null,
    account_id = excluded.account_id,
    account_name = excluded.account_name,
    connection_status = 'connected',
    needs_reconnect = false,
    error_message = null,
    connected_at = excluded.connected_at,
    disconnected_at = null,
    token_generation = i.token_generation + 1,
    refresh_claimed_by = null,
    refresh_claimed_until = null;

  insert into public.jobber_sync_runs (business_id, kind, trigger, requested_by)
  values (p_business_id, 'full', 'connect', p_requested_by)
  on conflict (business_id) where state in ('queued', 'running') do nothing
  returning id into v_run_id;
  if v_run_id is null then
    select r.id into v_run_id from public.jobber_sync_runs r
    where r.business_id = p_business_id and r.state in ('queued', 'running');
  end if;
  return v_run_id;
end
$$;

call private.restrict_to_service_role('jobber\_%');
