-- Leases for the worker's long-running work (sync runs today; webhook batches and review messages
-- next). A worker invocation takes one lease, names it as the holder (`lease_owner`) on every row
-- it claims, heartbeats the lease while it works, and ends it when done. A row is held while its
-- holder's lease is live; once the lease lapses (the worker died, or stalled past its expiry) the
-- row may be claimed again. Every write a holder makes goes through worker_lease_guard inside the
-- transaction that locks the row, so a worker whose row was taken over can never write over the
-- worker that took it - that guard, not the expiry, is what makes the work happen once.
--
-- One row per invocation rather than expiry columns on every held row: a heartbeat is one write
-- however many rows the invocation holds.

create table private.worker_leases (
  owner text primary key,
  task text not null references private.worker_tasks (task),
  expires_at timestamptz not null,
  heartbeat_at timestamptz not null default now(),
  created_at timestamptz not null default now()
);
create index worker_leases_expires_at_idx on private.worker_leases (expires_at);
alter table private.worker_leases enable row level security;
revoke all on private.worker_leases from public, anon, authenticated;

-- Takes a fresh lease for one invocation of p_task and returns its owner id. Leases that lapsed
-- long ago are swept here, so the table stays as small as the work in flight.
create function private.worker_lease_take(p_task text, p_lease_ms integer)
returns text
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_owner text := p_task || ':' || gen_random_uuid();
begin
  delete from private.worker_leases l where l.expires_at < now() - interval '1 hour';
  insert into private.worker_leases (owner, task, expires_at)
  values (v_owner, p_task, now() + make_interval(secs => p_lease_ms / 1000.0));
  return v_owner;
end
$$;

-- Extends a lease. False when the lease is gone, which tells its worker to stop.
create function private.worker_lease_heartbeat(p_owner text, p_lease_ms integer)
returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
begin
  update private.worker_leases l set
    expires_at = now() + make_interval(secs => p_lease_ms / 1000.0),
    heartbeat_at = now()
  where l.owner = p_owner;
  return found;
end
$$;

-- Ends a lease: rows that still name it become claimable at once.
create function private.worker_lease_end(p_owner text)
returns void
language sql volatile security definer set search_path = ''
as $$
  delete from private.worker_leases l where l.owner = p_owner
$$;

-- True while p_owner's lease has not lapsed (false for null: a row nobody holds).
create function private.worker_lease_live(p_owner text)
returns boolean
language sql stable security definer set search_path = ''
as $$
  select exists (select 1 from private.worker_leases l where l.owner = p_owner and l.expires_at > now())
$$;

-- The one lease guard. Call it with the row's holder, read under the row lock in the transaction
-- that writes the row: it raises BJ007 unless p_owner still holds the row and its lease exists.
create function private.worker_lease_guard(p_holder text, p_owner text)
returns void
language plpgsql stable security definer set search_path = ''
as $$
begin
  if p_holder is distinct from p_owner
     or not exists (select 1 from private.worker_leases l where l.owner = p_owner) then
    raise exception using errcode = 'BJ007', message = 'This worker no longer holds this work; another worker has taken it over.';
  end if;
end
$$;

call private.restrict_to_service_role('worker\_lease\_%');
