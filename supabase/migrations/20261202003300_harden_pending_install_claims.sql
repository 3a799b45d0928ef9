-- Claiming a Marketplace install, made safe to forward by mistake: the claim page first shows which
-- Jobber account the link attaches (and when it was installed); claiming an account the business
-- already has is answered as such instead of as a conflict; and dropping an unclaimed install never
-- disconnects an account that a business has connected (appDisconnect acts on the whole account,
-- so it would also cut the live connection).

-- What a claim link would attach, without attaching it. Empty for an unknown, used or expired claim.
create function private.jobber_describe_pending_install(p_claim_hash text)
returns table (account_name text, installed_at timestamptz, expires_at timestamptz)
language sql stable security definer set search_path = ''
as $$
  select p.account_name, p.created_at, p.expires_at
  from private.jobber_pending_installs p
  where p.claim_hash = p_claim_hash and p.expires_at > now()
$$;

-- As before, plus already_connected: when the business is already connected to this very account
-- (an owner who installed again from the Marketplace), the claim succeeds without touching the
-- live connection, and the held tokens are dropped (no appDisconnect: that would end both).
drop function private.jobber_claim_pending_install(text, uuid, uuid);
create function private.jobber_claim_pending_install(p_claim_hash text, p_user_id uuid, p_business_id uuid)
returns table (account_name text, run_id uuid, already_connected boolean)
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
  if exists (
    select 1 from public.integrations_jobber i
    where i.business_id = p_business_id and i.account_id = v_pending.account_id and i.connection_status = 'connected'
  ) then
    perform private.jobber_delete_pending_install(v_pending.id);
    return query select v_pending.account_name, null::uuid, true;
    return;
  end if;
  select d.decrypted_secret into v_access from vault.decrypted_secrets d where d.id = v_pending.access_token_secret_id;
  select d.decrypted_secret into v_refresh from vault.decrypted_secrets d where d.id = v_pending.refresh_token_secret_id;
  v_run_id := private.jobber_store_connection(p_business_id, v_pending.account_id, v_pending.account_name,
    v_access, v_refresh, v_pending.token_expires_at, p_user_id);
  perform private.jobber_delete_pending_install(v_pending.id);
  return query select v_pending.account_name, v_run_id, false;
end
$$;

-- Unclaimed installs past their 30 minutes, with the token needed to disconnect them at Jobber and
-- whether a business has that account connected (then the worker only forgets the held tokens).
drop function private.jobber_expired_pending_installs(integer);
create function private.jobber_expired_pending_installs(p_limit integer)
returns table (id uuid, account_id text, access_token text, account_connected boolean)
language sql stable security definer set search_path = ''
as $$
  select p.id, p.account_id, d.decrypted_secret,
         exists (
           select 1 from public.integrations_jobber i
           where i.account_id = p.account_id and i.connection_status <> 'disconnected'
         )
  from private.jobber_pending_installs p
  left join vault.decrypted_secrets d on d.id = p.access_token_secret_id
  where p.expires_at <= now()
  order by p.expires_at
  limit p_limit
$$;

call private.restrict_to_service_role('jobber\_%');
