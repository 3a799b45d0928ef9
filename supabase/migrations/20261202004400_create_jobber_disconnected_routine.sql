-- "Jobber says disconnected" (SPEC §9, APP_DISCONNECT's row): one routine for APP_DISCONNECT, for
-- any Jobber call answering that the app was disconnected or the account is not active, and for
-- the sync and the token refresh meeting either. The business is disconnected from Jobber's side:
-- tokens deleted from Vault, `disconnected` with needs_reconnect and a message that says so,
-- running and queued syncs cancelled, scheduled work stopped. Nothing calls appDisconnect back:
-- Jobber has already let go (and would refuse the token anyway).
--
-- Forgetting a connection is now one function for both sides: the owner disconnecting in Blipp
-- (jobber_disconnect, unchanged for its callers) and Jobber letting go.

create function private.jobber_forget_connection(
  p_business_id uuid, p_reason text, p_needs_reconnect boolean, p_error_message text
) returns boolean
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
    refresh_claimed_by = null,
    refresh_claimed_until = null,
    connection_status = 'disconnected',
    needs_reconnect = p_needs_reconnect,
    error_message = p_error_message,
    disconnected_at = now()
  where i.business_id = p_business_id;
  -- Scheduled work stops: live sync runs are cancelled (their holders lose them at their next
  -- write), a reconciliation in progress is dropped (its holder likewise), and updates waiting in
  -- the inbox can no longer be fetched. Reconnecting starts a full sync and a reconciliation.
  update public.jobber_sync_runs r set
    state = 'cancelled',
    finished_at = now(),
    lease_owner = null,
    retry_at = null,
    error = p_reason
  where r.business_id = p_business_id and r.state in ('queued', 'running');
  delete from private.jobber_reconciles r where r.business_id = p_business_id;
  update private.jobber_webhook_events e set
    state = 'ignored', processed_at = now(), last_error = 'The business was disconnected from Jobber.'
  where e.business_id = p_business_id and e.state = 'pending';
  return true;
end
$$;

-- The owner's disconnect in Blipp: no reconnect prompt, no error.
create or replace function private.jobber_disconnect(p_business_id uuid, p_reason text)
returns boolean
language sql volatile security definer set search_path = ''
as $$
  select private.jobber_forget_connection(p_business_id, p_reason, false, null)
$$;

-- Jobber's side. Only the connection Jobber was talking about is forgotten:
--   p_token_generation: the token generation a refused call or refresh used - if the tokens
--     changed since (refreshed or reconnected), that answer was about tokens we no longer hold;
--   p_occurred_at: an APP_DISCONNECT's occurredAt - one from before the current connection was
--     made (a late delivery after a reconnect) is not about it.
-- False when nothing was disconnected.
create function private.jobber_disconnected_in_jobber(
  p_business_id uuid, p_token_generation bigint default null, p_occurred_at timestamptz default null
) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_row public.integrations_jobber;
begin
  select i.* into v_row from public.integrations_jobber i where i.business_id = p_business_id for update;
  if v_row.id is null or v_row.connection_status = 'disconnected' then
    return false;
  end if;
  if p_token_generation is not null and v_row.token_generation <> p_token_generation then
    return false;
  end if;
  -- Jobber's occurredAt has whole seconds.
  if p_occurred_at is not null and date_trunc('second', v_row.connected_at) > p_occurred_at then
    return false;
  end if;
  return private.jobber_forget_connection(
    p_business_id,
    'Cancelled because Jobber says this app was disconnected from the account.',
    true,
    'Jobber says this app was disconnected from the Jobber account, or that the account is no longer active. Reconnect Jobber to resume.'
  );
end
$$;

call private.restrict_to_service_role('jobber\_forget\_connection');
call private.restrict_to_service_role('jobber\_disconnect');
call private.restrict_to_service_role('jobber\_disconnected\_in\_jobber');
