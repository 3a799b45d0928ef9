-- SPEC §12: whoever holds an OAuth state must not be able to attach somebody else's Jobber account.
-- jobber-callback no longer exchanges the code itself: it consumes the state and keeps the code
-- here, encrypted in Vault, behind a one-time ticket (only its SHA-256 is stored). The user who
-- created the state redeems the ticket from the dashboard with their own session (jobber-complete),
-- and only then is the code exchanged.
create table private.jobber_connect_tickets (
  id uuid primary key default gen_random_uuid(),
  ticket_hash text not null unique check (ticket_hash ~ '^[0-9a-f]{64}$'),
  user_id uuid not null references auth.users (id) on delete cascade,
  business_id uuid not null references public.businesses (id) on delete cascade,
  -- The Vault secret holding the authorization code; null once the ticket is redeemed or purged.
  code_secret_id uuid,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);
create index jobber_connect_tickets_expires_idx on private.jobber_connect_tickets (expires_at);

alter table private.jobber_connect_tickets enable row level security;
-- No policies and no grants: only the security definer functions below touch this table.
revoke all on private.jobber_connect_tickets from public, anon, authenticated;

-- Deletes the codes of tickets that can no longer be redeemed, and tickets a day past their expiry.
-- Codes whose ticket row went with its user or business (on delete cascade) are found by name.
create function private.jobber_purge_connect_tickets()
returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_purged integer;
begin
  with dead as (
    update private.jobber_connect_tickets t set code_secret_id = null
    where t.code_secret_id is not null and (t.used_at is not null or t.expires_at <= now())
    returning t.id
  )
  delete from vault.secrets s
  where s.name in (select format('jobber/ticket/%s/code', d.id) from dead d)
     or (s.name like 'jobber/ticket/%/code'
         and not exists (
           select 1 from private.jobber_connect_tickets t where s.name = format('jobber/ticket/%s/code', t.id)
         ));
  get diagnostics v_purged = row_count;
  delete from private.jobber_connect_tickets t where t.expires_at < now() - interval '1 day';
  return v_purged;
end
$$;

-- The callback's half: consumes the state exactly once and, when it is good, keeps the code behind
-- the ticket, all in one transaction. outcome: ok | unknown | used | expired | forbidden_role
-- (jobber_consume_oauth_state's outcomes; nothing is kept unless ok).
create function private.jobber_hold_authorization_code(
  p_nonce_hash text, p_code text, p_ticket_hash text, p_ttl_seconds integer default 600
) returns table (outcome text, business_id uuid)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_state record;
  v_id uuid := gen_random_uuid();
begin
  select s.outcome, s.user_id, s.business_id into v_state
  from private.jobber_consume_oauth_state(p_nonce_hash) s;
  if v_state.outcome is distinct from 'ok' then
    return query select coalesce(v_state.outcome, 'unknown'), v_state.business_id;
    return;
  end if;
  perform private.jobber_purge_connect_tickets();
  insert into private.jobber_connect_tickets (id, ticket_hash, user_id, business_id, code_secret_id, expires_at)
  values (
    v_id, p_ticket_hash, v_state.user_id, v_state.business_id,
    vault.create_secret(p_code, format('jobber/ticket/%s/code', v_id), 'Jobber authorization code awaiting the user who started connecting'),
    now() + make_interval(secs => p_ttl_seconds)
  );
  return query select 'ok'::text, v_state.business_id;
end
$$;

-- jobber-complete's half: redeems a ticket for the signed-in user. A ticket works once, whoever
-- presents it: one presented by anyone but the user who started connecting has travelled (a
-- forwarded link), so it dies then too and the code is never exchanged.
-- outcome: ok (code returned) | not_found (unknown, used or expired) | not_a_member (the caller, or
-- the initiator, no longer belongs to the business) | not_initiator (another member of the business)
-- | forbidden_role (the initiator is no longer owner or admin).
create function private.jobber_redeem_connect_ticket(p_ticket_hash text, p_user_id uuid)
returns table (outcome text, business_id uuid, initiated_by uuid, code text)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_ticket private.jobber_connect_tickets;
  v_code text;
begin
  select t.* into v_ticket from private.jobber_connect_tickets t where t.ticket_hash = p_ticket_hash for update;
  if v_ticket.id is null or v_ticket.used_at is not null or v_ticket.expires_at <= now() then
    return query select 'not_found'::text, null::uuid, null::uuid, null::text;
    return;
  end if;

  select d.decrypted_secret into v_code from vault.decrypted_secrets d where d.id = v_ticket.code_secret_id;
  delete from vault.secrets s where s.id = v_ticket.code_secret_id;
  update private.jobber_connect_tickets t set used_at = now(), code_secret_id = null where t.id = v_ticket.id;

  -- Answers, not errors: an error would roll back the burn above.
  if not private.has_business_role(v_ticket.business_id, null, p_user_id) then
    return query select 'not_a_member'::text, v_ticket.business_id, v_ticket.user_id, null::text;
    return;
  end if;
  if p_user_id <> v_ticket.user_id then
    return query select 'not_initiator'::text, v_ticket.business_id, v_ticket.user_id, null::text;
    return;
  end if;
  if not private.has_business_role(v_ticket.business_id, array['owner', 'admin'], p_user_id) then
    return query select 'forbidden_role'::text, v_ticket.business_id, v_ticket.user_id, null::text;
    return;
  end if;
  if v_code is null then
    -- The code's secret vanished (purged by hand): nothing to exchange.
    return query select 'not_found'::text, v_ticket.business_id, v_ticket.user_id, null::text;
    return;
  end if;
  return query select 'ok'::text, v_ticket.business_id, v_ticket.user_id, v_code;
end
$$;

call private.restrict_to_service_role('jobber\_%');
