-- One membership helper. "Is this user a member (or an owner / admin) of this business?" was
-- answered three ways: has_business_role for policies, jobber_assert_role for the privileged
-- functions, and an inline query when an OAuth state is consumed. Now private.has_business_role
-- is the only function that reads business_members for that question:
--   policies call it without a user and get the signed-in one (auth.uid());
--   privileged functions run as service_role on behalf of a user the Edge Function verified, and
--   pass that user's id (through private.assert_business_role when the answer is an error).
-- The private schema is not exposed by the Data API, so a signed-in user cannot call the helper
-- with somebody else's id; policies never pass one.

-- Its signature grows, so the old one goes, and with it the policies that call it (recreated
-- below with the same names and conditions, in this same transaction).
drop function private.has_business_role(uuid, text[]) cascade;

create function private.has_business_role(
  target_business_id uuid,
  allowed_roles text[] default null,
  target_user_id uuid default null
) returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1
    from public.business_members m
    where m.business_id = target_business_id
      and m.user_id = coalesce(target_user_id, (select auth.uid()))
      and (allowed_roles is null or m.role = any (allowed_roles))
  )
$$;
revoke all on function private.has_business_role(uuid, text[], uuid) from public, anon;
grant execute on function private.has_business_role(uuid, text[], uuid) to authenticated, service_role;

create policy "Businesses are visible to their members"
  on public.businesses for select to authenticated
  using ((select private.has_business_role(id)));

create policy "Owners and admins can update their business"
  on public.businesses for update to authenticated
  using ((select private.has_business_role(id, array['owner', 'admin'])))
  with check ((select private.has_business_role(id, array['owner', 'admin'])));

create policy "Members can see who belongs to their business"
  on public.business_members for select to authenticated
  using ((select private.has_business_role(business_id)));

create policy "Customers are visible to members of their business"
  on public.customers for select to authenticated
  using ((select private.has_business_role(business_id)));

create policy "Owners and admins can add customers that are not from Jobber"
  on public.customers for insert to authenticated
  with check (source <> 'jobber' and (select private.has_business_role(business_id, array['owner', 'admin'])));

create policy "Owners and admins can edit customers that are not from Jobber"
  on public.customers for update to authenticated
  using (source <> 'jobber' and (select private.has_business_role(business_id, array['owner', 'admin'])))
  with check (source <> 'jobber' and (select private.has_business_role(business_id, array['owner', 'admin'])));

create policy "Owners and admins can delete customers that are not from Jobber"
  on public.customers for delete to authenticated
  using (source <> 'jobber' and (select private.has_business_role(business_id, array['owner', 'admin'])));

create policy "Jobber connections are visible to members of their business"
  on public.integrations_jobber for select to authenticated
  using ((select private.has_business_role(business_id)));

create policy "Sync runs are visible to members of their business"
  on public.jobber_sync_runs for select to authenticated
  using ((select private.has_business_role(business_id)));

-- The error form for privileged functions: BJ001 not_a_member (the same answer for an unknown
-- business and for someone else's, so ids cannot be probed), BJ002 forbidden_role when the user
-- belongs to the business without one of p_roles (null: any member will do).
create function private.assert_business_role(p_business_id uuid, p_user_id uuid, p_roles text[] default null)
returns void
language plpgsql stable security definer set search_path = ''
as $$
begin
  if not private.has_business_role(p_business_id, null, p_user_id) then
    raise exception using errcode = 'BJ001', message = 'You are not a member of this business.';
  end if;
  if p_roles is not null and not private.has_business_role(p_business_id, p_roles, p_user_id) then
    raise exception using errcode = 'BJ002', message = 'Only an owner or admin of the business can do this.';
  end if;
end
$$;
call private.restrict_to_service_role('assert\_business\_role');

-- The privileged functions that checked membership their own way now ask the helper.
create or replace function private.jobber_begin_connect(
  p_user_id uuid, p_business_id uuid, p_nonce_hash text, p_ttl_seconds integer default 600
) returns timestamptz
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_expires_at timestamptz := now() + make_interval(secs => p_ttl_seconds);
begin
  perform private.assert_business_role(p_business_id, p_user_id, array['owner', 'admin']);
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
create or replace function private.jobber_consume_oauth_state(p_nonce_hash text)
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
  if not private.has_business_role(v_state.business_id, array['owner', 'admin'], v_state.user_id) then
    return query select 'forbidden_role'::text, v_state.user_id, v_state.business_id;
    return;
  end if;
  return query select 'ok'::text, v_state.user_id, v_state.business_id;
end
$$;

-- Attaches a pending install to a business the user owns or administers. The claim is single-use:
-- the pending row is deleted in the same transaction that connects the business.
create or replace function private.jobber_claim_pending_install(p_claim_hash text, p_user_id uuid, p_business_id uuid)
returns table (account_name text, run_id uuid)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_pending private.jobber_pending_installs;
  v_access text;
  v_refresh text;
  v_run_id uuid;
begin
  perform private.assert_business_role(p_business_id, p_user_id, array['owner', 'admin']);
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

-- Starts a run for a member, or joins the live one (at most one per business).
-- Mode null = incremental once a full run has succeeded, full before that (SPEC §8).
create or replace function private.jobber_start_sync_run(
  p_business_id uuid, p_user_id uuid, p_mode text default null, p_trigger text default 'manual'
) returns table (run_id uuid, joined boolean)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_kind text;
  v_run_id uuid;
begin
  if p_user_id is not null then
    perform private.assert_business_role(p_business_id, p_user_id);
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

-- jobber_assert_role keeps its name for the functions written against it (the review owner
-- actions call it) but no longer asks on its own: it is the error form above under its old name.
-- New code calls assert_business_role.
drop function private.jobber_assert_role(uuid, uuid, text[]);
create function private.jobber_assert_role(p_business_id uuid, p_user_id uuid, p_roles text[])
returns void
language sql stable security definer set search_path = ''
as $$
  select private.assert_business_role(p_business_id, p_user_id, p_roles)
$$;
call private.restrict_to_service_role('jobber\_assert\_role');
