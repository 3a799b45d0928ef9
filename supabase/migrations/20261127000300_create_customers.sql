-- Customers: the people Blipp may ask for reviews. Rows synced from Jobber (source = 'jobber')
-- are written by the service role only, so a dashboard user can never forge or edit a Jobber link.
create table public.customers (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null references public.businesses (id) on delete cascade,
  source text not null default 'manual' check (source ~ '^[a-z][a-z_]{0,30}$'),
  external_id text,
  full_name text not null default '' check (char_length(full_name) <= 500),
  email text check (char_length(email) <= 320),
  phone text check (char_length(phone) <= 64),
  address text check (char_length(address) <= 1000),
  status text not null default 'active' check (status in ('active', 'lead', 'archived', 'removed')),
  email_usable boolean not null default true,
  phone_usable boolean not null default true,
  remote_updated_at timestamptz,
  last_synced_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint customers_source_external_id_key unique (business_id, source, external_id),
  constraint customers_jobber_rows_have_an_id check (source <> 'jobber' or external_id is not null),
  -- Only rows that came from Jobber can be marked removed (they vanished from Jobber).
  constraint customers_only_jobber_rows_are_removed check (status <> 'removed' or source = 'jobber')
);
-- Matching an unknown Jobber client to an existing customer goes by normalised email, then phone.
create index customers_business_email_idx on public.customers (business_id, lower(email)) where email is not null;
create index customers_business_phone_idx on public.customers (business_id, phone) where phone is not null;

create trigger set_updated_at before update on public.customers
  for each row execute function private.set_updated_at();

alter table public.customers enable row level security;

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

grant select, insert, update, delete on public.customers to authenticated;
grant select, insert, update, delete on public.customers to service_role;
