-- The privileged half of the connection lifecycle. Edge Functions call these as service_role (no
-- other role may execute them); each one is a single transaction, so a failure stores nothing.
-- Errors use SQLSTATEs of class BJ that the functions map one-to-one to HTTP error codes:
--   BJ001 not_a_member, BJ002 forbidden_role, BJ003 already_connected, BJ004 account_in_use,
--   BJ005 not_connected, BJ006 not_found.

-- Raises unless the user has one of the roles in the business (null roles: any member).
create function private.jobber_assert_role(p_business_id uuid, p_user_id uuid, p_roles text[])
returns text
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_role text;
begin
  select m.role into v_role
  from public.business_members m
  where m.business_id = p_business_id and m.user_id = p_user_id;
  if v_role is null then
    -- The same answer for an unknown business and for someone else's, so ids cannot be probed.
    raise exception using errcode = 'BJ001', message = 'You are not a member of this business.';
  end if;
  if p_roles is not null and not (v_role = any (p_roles)) then
    raise exception using errcode = 'BJ002',
      message = format('Only an owner or admin of the business can do this (your role is %s).', v_role);
  end if;
  return v_role;
end
$$;

-- Starts a connect: stores the hash of a fresh nonce bound to this user and business.
create function private.jobber_begin_connect(
  p_user_id uuid, p_business_id uuid, p_nonce_hash text, p_ttl_seconds integer default 600
) returns timestamptz
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_expires_at timestamptz := now() + make_interval(secs => p_ttl_seconds);
begin
  perform private.jobber_assert_role(p_business_id, p_user_id, array['owner', 'admin']);
  if exists (
    select 1 from public.integrations_jobber i
    where i.business_id = p_business_id and i.connection_status = 'connected'
  ) then
    raise exception using errcode = 'BJ003',
      message = 'This business is already connected to Jobber. Disconnect it before connecting again.';
  end if;
  delete from private.jobber_oauth_states s where s.expires_at < now() - interval '1 day';
  insert into private.jobber_oauth_states (nonce_hash, user_id, business_id, expires_at)
  values (p_nonce_hash, p_user_id, p_business_id, v_expires_at);
  return v_expires_at;
end
$$;

-- Consumes a state exactly once (a concurrent second use waits on the row and then sees it used).
-- outcome: ok | unknown | used | expired | forbidden_role
create function private.jobber_consume_oauth_state(p_nonce_hash text)
returns table (outcome text, user_id uuid, business_id uuid)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_state private.jobber_oauth_states;
begin
  update private.jobber_oauth_states s
  set used_at = now()
  where s.nonce_hash = p_nonce_hash and s.used_at is null and s.expires_at > now()
  returning s.* into v_state;

  if v_state.id is null then
    select s.* into v_state from private.jobber_oauth_states s where s.nonce_hash = p_nonce_hash;
    return query select
      case when v_state.id is null then 'unknown' when v_state.used_at is not null then 'used' else 'expired' end,
      v_state.user_id, v_state.business_id;
    return;
  end if;

  -- The creator may have lost their role between clicking Connect and coming back.
  if not exists (
    select 1 from public.business_members m
    where m.business_id = v_state.business_id and m.user_id = v_state.user_id and m.role in ('owner', 'admin')
  ) then
    return query select 'forbidden_role'::text, v_state.user_id, v_state.business_id;
    return;
  end if;
  return query select 'ok'::text, v_state.user_id, v_state.business_id;
end
$$;

-- Stores a finished connection: tokens into Vault, the row connected, and the initial full sync
-- queued. Returns the queued run's id (or the live run's, when one is already going).
create function private.jobber_store_connection(
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
    disconnected_at = null;

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

-- The decrypted tokens of a connection, for the functions that call Jobber.
create function private.jobber_read_tokens(p_business_id uuid)
returns table (
  access_token text, refresh_token text, token_expires_at timestamptz, connection_status text,
  account_id text, refresh_failures integer, refresh_retry_at timestamptz, token_refreshed_at timestamptz
)
language sql stable security definer set search_path = ''
as $$
  select a.decrypted_secret, r.decrypted_secret, i.token_expires_at, i.connection_status, i.account_id,
         i.refresh_failures, i.refresh_retry_at, i.token_refreshed_at
  from public.integrations_jobber i
  left join vault.decrypted_secrets a on a.id = i.access_token_secret_id
  left join vault.decrypted_secrets r on r.id = i.refresh_token_secret_id
  where i.business_id = p_business_id
$$;

-- Same, but takes the connection's row lock for the rest of the caller's transaction: the one
-- place a refresh may begin, so two refreshes of one connection can never race.
create function private.jobber_lock_tokens(p_business_id uuid)
returns table (
  access_token text, refresh_token text, token_expires_at timestamptz, connection_status text,
  account_id text, refresh_failures integer, refresh_retry_at timestamptz, token_refreshed_at timestamptz
)
language plpgsql volatile security definer set search_path = ''
as $$
begin
  perform 1 from public.integrations_jobber i where i.business_id = p_business_id for update;
  return query select * from private.jobber_read_tokens(p_business_id);
end
$$;

-- Stores a rotated token pair (call inside the transaction that holds the lock).
create function private.jobber_save_tokens(
  p_business_id uuid, p_access_token text, p_refresh_token text, p_token_expires_at timestamptz
) returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_row public.integrations_jobber;
begin
  select i.* into v_row from public.integrations_jobber i where i.business_id = p_business_id for update;
  if v_row.id is null or v_row.connection_status <> 'connected' then
    raise exception using errcode = 'BJ005', message = 'This business is not connected to Jobber.';
  end if;
  perform vault.update_secret(v_row.access_token_secret_id, p_access_token);
  perform vault.update_secret(v_row.refresh_token_secret_id, p_refresh_token);
  update public.integrations_jobber i set
    token_expires_at = p_token_expires_at,
    token_refreshed_at = now(),
    refresh_failures = 0,
    refresh_retry_at = null,
    needs_reconnect = false,
    error_message = null
  where i.business_id = p_business_id;
end
$$;

-- Records a failed refresh. A refused refresh token means the owner must reconnect; anything
-- else is transient: stay connected and retry after p_retry_at.
create function private.jobber_record_refresh_failure(
  p_business_id uuid, p_needs_reconnect boolean, p_message text, p_retry_at timestamptz default null
) returns void
language plpgsql volatile security definer set search_path = ''
as $$
begin
  if p_needs_reconnect then
    update public.integrations_jobber i set
      connection_status = 'error',
      needs_reconnect = true,
      error_message = p_message,
      refresh_retry_at = null
    where i.business_id = p_business_id and i.connection_status = 'connected';
  else
    update public.integrations_jobber i set
      refresh_failures = i.refresh_failures + 1,
      refresh_retry_at = p_retry_at,
      error_message = p_message
    where i.business_id = p_business_id and i.connection_status = 'connected';
  end if;
end
$$;

-- Forgets a connection: Vault secrets deleted, row disconnected, live sync runs cancelled.
-- Customers stay. Returns false when there was nothing connected to forget.
create function private.jobber_disconnect(p_business_id uuid, p_reason text)
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
    lease_expires_at = null,
    error = p_reason
  where r.business_id = p_business_id and r.state in ('queued', 'running');
  return true;
end
$$;

-- Connections whose access token expires within p_within and that are not cooling down.
create function private.jobber_connections_due_for_refresh(p_within interval, p_limit integer)
returns setof uuid
language sql stable security definer set search_path = ''
as $$
  select i.business_id
  from public.integrations_jobber i
  where i.connection_status = 'connected'
    and i.token_expires_at < now() + p_within
    and (i.refresh_retry_at is null or i.refresh_retry_at <= now())
  order by i.token_expires_at
  limit p_limit
$$;

-- Marketplace installs arrive without a state: hold the tokens until an owner claims them.
create function private.jobber_hold_pending_install(
  p_account_id text, p_account_name text, p_access_token text, p_refresh_token text,
  p_token_expires_at timestamptz, p_claim_hash text, p_ttl_seconds integer default 1800
) returns timestamptz
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_id uuid := gen_random_uuid();
  v_expires_at timestamptz := now() + make_interval(secs => p_ttl_seconds);
begin
  insert into private.jobber_pending_installs (
    id, claim_hash, account_id, account_name, access_token_secret_id, refresh_token_secret_id,
    token_expires_at, expires_at
  ) values (
    v_id, p_claim_hash, p_account_id, p_account_name,
    vault.create_secret(p_access_token, format('jobber/pending/%s/access_token', v_id), 'Unclaimed Jobber install'),
    vault.create_secret(p_refresh_token, format('jobber/pending/%s/refresh_token', v_id), 'Unclaimed Jobber install'),
    p_token_expires_at, v_expires_at
  );
  return v_expires_at;
end
$$;

create function private.jobber_delete_pending_install(p_id uuid)
returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_pending private.jobber_pending_installs;
begin
  delete from private.jobber_pending_installs p where p.id = p_id returning p.* into v_pending;
  if v_pending.id is not null then
    delete from vault.secrets s where s.id in (v_pending.access_token_secret_id, v_pending.refresh_token_secret_id);
  end if;
end
$$;

-- Attaches a pending install to a business the user owns or administers. The claim is single-use:
-- the pending row is deleted in the same transaction that connects the business.
create function private.jobber_claim_pending_install(p_claim_hash text, p_user_id uuid, p_business_id uuid)
returns table (account_name text, run_id uuid)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_pending private.jobber_pending_installs;
  v_access text;
  v_refresh text;
  v_run_id uuid;
begin
  perform private.jobber_assert_role(p_business_id, p_user_id, array['owner', 'admin']);
  select p.* into v_pending from private.jobber_pending_installs p
  where p.claim_hash = p_claim_hash and p.expires_at > now()
  for update;
  if v_pending.id is null then
    raise exception using errcode = 'BJ006',
      message = 'This install link has expired or was already used. Start the connection again from Blipp.';
  end if;
  select d.decrypted_secret into v_access from vault.decrypted_secrets d where d.id = v_pending.access_token_secret_id;
  select d.decrypted_secret into v_refresh from vault.decrypted_secrets d where d.id = v_pending.refresh_token_secret_id;
  v_run_id := private.jobber_store_connection(p_business_id, v_pending.account_id, v_pending.account_name,
    v_access, v_refresh, v_pending.token_expires_at, p_user_id);
  perform private.jobber_delete_pending_install(v_pending.id);
  return query select v_pending.account_name, v_run_id;
end
$$;

-- Unclaimed installs past their 30 minutes, with the token needed to disconnect them at Jobber.
create function private.jobber_expired_pending_installs(p_limit integer)
returns table (id uuid, account_id text, access_token text)
language sql stable security definer set search_path = ''
as $$
  select p.id, p.account_id, d.decrypted_secret
  from private.jobber_pending_installs p
  left join vault.decrypted_secrets d on d.id = p.access_token_secret_id
  where p.expires_at <= now()
  order by p.expires_at
  limit p_limit
$$;

call private.restrict_to_service_role('jobber\_%');
