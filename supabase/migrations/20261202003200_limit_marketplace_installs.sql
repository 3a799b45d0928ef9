-- A callback without a state (a Jobber App Marketplace install) is anonymous: anyone can send
-- `GET jobber-callback?code=x`, and each one would spend a call at Jobber's token endpoint (whose
-- budget every token refresh shares) and could leave a pending install behind. Attempts are counted
-- per client address (hashed; the address itself is never stored) and overall, in one-minute
-- windows, and outstanding pending installs are capped, all before the code is exchanged.
create table private.jobber_install_attempts (
  -- 'address:<sha256 of the client address>' or 'all'.
  bucket text not null,
  window_start timestamptz not null,
  attempts integer not null default 0,
  primary key (bucket, window_start)
);
create index jobber_install_attempts_window_idx on private.jobber_install_attempts (window_start);

alter table private.jobber_install_attempts enable row level security;
-- No policies and no grants: only the security definer function below touches this table.
revoke all on private.jobber_install_attempts from public, anon, authenticated;

-- Admits one anonymous install attempt, or says why not. The address bucket is checked first and
-- a refused address does not count against everyone, so one noisy client exhausts only its own
-- allowance. outcome: ok | rate_limited | too_many_pending.
create function private.jobber_admit_marketplace_install(
  p_address_hash text,
  p_per_address integer,
  p_overall integer,
  p_max_pending integer,
  p_window_seconds integer default 60
) returns text
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_window timestamptz := to_timestamp(floor(extract(epoch from now()) / p_window_seconds) * p_window_seconds);
  v_attempts integer;
begin
  insert into private.jobber_install_attempts as a (bucket, window_start, attempts)
  values ('address:' || p_address_hash, v_window, 1)
  on conflict (bucket, window_start) do update set attempts = a.attempts + 1
  returning a.attempts into v_attempts;
  if v_attempts > p_per_address then
    return 'rate_limited';
  end if;

  insert into private.jobber_install_attempts as a (bucket, window_start, attempts)
  values ('all', v_window, 1)
  on conflict (bucket, window_start) do update set attempts = a.attempts + 1
  returning a.attempts into v_attempts;
  if v_attempts > p_overall then
    return 'rate_limited';
  end if;

  if (select count(*) from private.jobber_pending_installs p where p.expires_at > now()) >= p_max_pending then
    return 'too_many_pending';
  end if;

  delete from private.jobber_install_attempts a where a.window_start < now() - interval '1 hour';
  return 'ok';
end
$$;

-- Holding an install now refuses an account some business has connected (BJ003 already_connected:
-- the owner re-clicked Connect in the Marketplace, or a second admin did; the live connection
-- stays as it is), and replaces any earlier unclaimed install of the same account, so two pending
-- rows can never exist for one account (dropping the older one later would disconnect the app for
-- both).
create or replace function private.jobber_hold_pending_install(
  p_account_id text, p_account_name text, p_access_token text, p_refresh_token text,
  p_token_expires_at timestamptz, p_claim_hash text, p_ttl_seconds integer default 1800
) returns timestamptz
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_id uuid := gen_random_uuid();
  v_expires_at timestamptz := now() + make_interval(secs => p_ttl_seconds);
  v_older uuid;
begin
  if exists (
    select 1 from public.integrations_jobber i
    where i.account_id = p_account_id and i.connection_status <> 'disconnected'
  ) then
    raise exception using errcode = 'BJ003',
      message = 'This Jobber account is already connected to Blipp.';
  end if;
  for v_older in
    select p.id from private.jobber_pending_installs p where p.account_id = p_account_id for update
  loop
    perform private.jobber_delete_pending_install(v_older);
  end loop;
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

call private.restrict_to_service_role('jobber\_%');
