-- Tenancy: a business and the people who work in it. Blipp owns invitations, so members are
-- written by the service role only; people read their own business and its member list.
create table public.businesses (
  id uuid primary key default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 200),
  country text not null default 'US' check (country ~ '^[A-Z]{2}$'),
  timezone text not null default 'America/New_York',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.business_members (
  business_id uuid not null references public.businesses (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null check (role in ('owner', 'admin', 'member')),
  created_at timestamptz not null default now(),
  primary key (business_id, user_id)
);
create index business_members_user_id_idx on public.business_members (user_id);

create trigger set_updated_at before update on public.businesses
  for each row execute function private.set_updated_at();

-- The one membership helper every policy calls. Security definer so policies on
-- business_members itself do not recurse; fixed search_path so it cannot be hijacked.
create function private.has_business_role(target_business_id uuid, allowed_roles text[] default null)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1
    from public.business_members m
    where m.business_id = target_business_id
      and m.user_id = (select auth.uid())
      and (allowed_roles is null or m.role = any (allowed_roles))
  )
$$;
revoke all on function private.has_business_role(uuid, text[]) from public, anon;
grant execute on function private.has_business_role(uuid, text[]) to authenticated, service_role;

alter table public.businesses enable row level security;
alter table public.business_members enable row level security;

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

grant select on public.businesses to authenticated;
grant update (name, country, timezone) on public.businesses to authenticated;
grant select on public.business_members to authenticated;
grant select, insert, update, delete on public.businesses, public.business_members to service_role;
