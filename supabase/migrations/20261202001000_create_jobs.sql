-- Jobs, their visits, and completions (SPEC §9 "Data"). The Jobber apply functions fill them with
-- the service role; members of the business read them. A completion is the event that starts a
-- review request (SPEC §10), so completions are insert-only and unique per job / per visit: any
-- number of deliveries, reconciliations and reopen/close cycles record one completion.
create table public.jobs (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null references public.businesses (id) on delete cascade,
  external_id text not null check (char_length(external_id) between 1 and 200),
  customer_id uuid references public.customers (id) on delete set null,
  job_number integer,
  title text check (char_length(title) <= 1000),
  -- Jobber's JobStatusTypeEnum and JobTypeTypeEnum, lowercase (requires_invoicing, archived, ...).
  job_status text check (job_status ~ '^[a-z][a-z0-9_]{0,49}$'),
  job_type text check (job_type ~ '^[a-z][a-z0-9_]{0,49}$'),
  total numeric(14, 2),
  completed_at timestamptz,
  property_address text check (char_length(property_address) <= 1000),
  -- IANA zone of the property (null when unknown); the decision engine falls back to the
  -- business's zone when this one is null or not a zone Postgres knows.
  property_time_zone text check (char_length(property_time_zone) <= 64),
  remote_updated_at timestamptz,
  -- A job deleted in Jobber is kept (its completions and decisions are history), only marked.
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint jobs_business_external_id_key unique (business_id, external_id)
);
create index jobs_customer_id_idx on public.jobs (customer_id) where customer_id is not null;
create index jobs_business_completed_idx on public.jobs (business_id, completed_at desc) where completed_at is not null;

create table public.job_visits (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null references public.businesses (id) on delete cascade,
  job_id uuid not null references public.jobs (id) on delete cascade,
  external_id text not null check (char_length(external_id) between 1 and 200),
  title text check (char_length(title) <= 1000),
  start_at timestamptz,
  end_at timestamptz,
  completed_at timestamptz,
  is_last_scheduled_visit boolean not null default false,
  -- The assignees' display names: the {technician} of a review message.
  assigned_to text[] not null default '{}',
  -- Jobber's Visit has no updatedAt: this is its job's updatedAt when fetched (SPEC §9).
  remote_updated_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint job_visits_business_external_id_key unique (business_id, external_id)
);
create index job_visits_job_id_idx on public.job_visits (job_id);

create table public.job_completions (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null references public.businesses (id) on delete cascade,
  -- No cascade from jobs and visits: a completed job or visit is never deleted, only marked, so
  -- its decision stays explainable (deleting the business still removes everything).
  job_id uuid not null references public.jobs (id),
  visit_id uuid references public.job_visits (id),
  customer_id uuid references public.customers (id) on delete set null,
  kind text not null check (kind in ('job_closed', 'visit_completed')),
  completed_at timestamptz not null,
  source text not null check (source in ('webhook', 'reconcile', 'backfill')),
  created_at timestamptz not null default now(),
  constraint job_completions_visit_completed_has_visit check (kind <> 'visit_completed' or visit_id is not null)
);
-- One completion per closed job and per completed visit: writers use `on conflict do nothing`.
create unique index job_completions_one_job_closed_per_job on public.job_completions (job_id)
  where kind = 'job_closed';
create unique index job_completions_one_per_visit on public.job_completions (visit_id)
  where kind = 'visit_completed';
create index job_completions_business_completed_idx on public.job_completions (business_id, completed_at desc);
create index job_completions_customer_id_idx on public.job_completions (customer_id) where customer_id is not null;

create trigger set_updated_at before update on public.jobs
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.job_visits
  for each row execute function private.set_updated_at();

alter table public.jobs enable row level security;
alter table public.job_visits enable row level security;
alter table public.job_completions enable row level security;

create policy "Jobs are visible to members of their business"
  on public.jobs for select to authenticated
  using ((select private.has_business_role(business_id)));

create policy "Job visits are visible to members of their business"
  on public.job_visits for select to authenticated
  using ((select private.has_business_role(business_id)));

create policy "Job completions are visible to members of their business"
  on public.job_completions for select to authenticated
  using ((select private.has_business_role(business_id)));

grant select on public.jobs, public.job_visits, public.job_completions to authenticated;
grant select, insert, update, delete on public.jobs, public.job_visits to service_role;
-- Insert-only, even for the service role: a completion is a fact, and deleting or editing one
-- would let the same job start a second journey. (Rows still go when their business is deleted:
-- foreign-key cascades run with the owner's rights.)
grant select, insert on public.job_completions to service_role;
