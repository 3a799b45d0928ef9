-- Customer sync runs: what was asked, how far it got, and who holds it now. The lease
-- (lease_owner, lease_expires_at, heartbeat_at) lets a new worker resume a run whose worker died
-- from the last committed page, and the partial unique index keeps one live run per business.
create table public.jobber_sync_runs (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null references public.businesses (id) on delete cascade,
  kind text not null check (kind in ('full', 'incremental')),
  state text not null default 'queued' check (state in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  trigger text not null default 'manual' check (trigger in ('manual', 'connect', 'schedule', 'retry')),
  requested_by uuid references auth.users (id) on delete set null,
  since timestamptz,
  cursor text,
  pages integer not null default 0,
  processed integer not null default 0,
  total integer,
  created integer not null default 0,
  updated integer not null default 0,
  linked integer not null default 0,
  unchanged integer not null default 0,
  skipped integer not null default 0,
  failed integer not null default 0,
  removed integer not null default 0,
  points_spent bigint not null default 0,
  errors jsonb not null default '[]'::jsonb,
  error text,
  attempts integer not null default 0,
  lease_owner text,
  lease_expires_at timestamptz,
  heartbeat_at timestamptz,
  queued_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index jobber_sync_runs_one_live_run_per_business on public.jobber_sync_runs (business_id)
  where state in ('queued', 'running');
create index jobber_sync_runs_business_created_idx on public.jobber_sync_runs (business_id, created_at desc);

create trigger set_updated_at before update on public.jobber_sync_runs
  for each row execute function private.set_updated_at();

alter table public.jobber_sync_runs enable row level security;

create policy "Sync runs are visible to members of their business"
  on public.jobber_sync_runs for select to authenticated
  using ((select private.has_business_role(business_id)));

grant select on public.jobber_sync_runs to authenticated;
grant select, insert, update, delete on public.jobber_sync_runs to service_role;
