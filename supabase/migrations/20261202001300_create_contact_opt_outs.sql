-- Opt-outs (SPEC §10 "Opt-outs"): an address that said stop gets no review message from this
-- business again, on any channel. SMS STOP / START, email unsubscribes and complaints are written
-- by the service role (the webhooks); owners and admins add and remove manual entries only.
-- Addresses are stored normalised the way customers store them, so the decision engine compares
-- them with plain equality: phones in E.164 when parseable, emails trimmed and lower-cased.

-- E.164 for what can be read as one without a phone library: "+" followed by digits (punctuation
-- dropped), or a 10-digit / 1-prefixed 11-digit number in a North American Numbering Plan country.
-- Anything else is kept as given (trimmed), as the customer sync keeps numbers it cannot parse.
create function private.normalize_phone(p_phone text, p_country text) returns text
language sql immutable set search_path = ''
as $$
  select case
    when d is null or d = '' then nullif(btrim(p_phone), '')
    when btrim(p_phone) like '+%' and char_length(d) between 8 and 15 then '+' || d
    when p_country in ('US', 'CA', 'PR', 'VI', 'GU', 'AS', 'MP') and char_length(d) = 10 and d ~ '^[2-9]' then '+1' || d
    when p_country in ('US', 'CA', 'PR', 'VI', 'GU', 'AS', 'MP') and char_length(d) = 11 and d ~ '^1[2-9]' then '+' || d
    else nullif(btrim(p_phone), '')
  end
  from (
    select case when btrim(p_phone) ~ '^\+?[0-9 ().\-]+$' then regexp_replace(p_phone, '[^0-9]', '', 'g') end as d
  ) x
$$;
revoke all on function private.normalize_phone(text, text) from public, anon, authenticated;
grant execute on function private.normalize_phone(text, text) to service_role;

create table public.contact_opt_outs (
  business_id uuid not null references public.businesses (id) on delete cascade,
  channel text not null check (channel in ('sms', 'email')),
  address text not null check (char_length(address) between 1 and 320),
  source text not null check (source in ('sms_stop', 'email_unsubscribe', 'email_complaint', 'manual')),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  primary key (business_id, channel, address)
);

create function private.normalize_opt_out_address() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if new.channel = 'email' then
    new.address := lower(btrim(new.address));
  else
    new.address := private.normalize_phone(
      new.address, (select b.country from public.businesses b where b.id = new.business_id));
  end if;
  -- Who added a manual entry is the signed-in user, whatever the request claimed.
  if new.source = 'manual' and auth.uid() is not null then
    new.created_by := auth.uid();
  end if;
  return new;
end
$$;
revoke all on function private.normalize_opt_out_address() from public, anon, authenticated;

create trigger normalize_address before insert or update on public.contact_opt_outs
  for each row execute function private.normalize_opt_out_address();

alter table public.contact_opt_outs enable row level security;

create policy "Opt-outs are visible to members of their business"
  on public.contact_opt_outs for select to authenticated
  using ((select private.has_business_role(business_id)));

create policy "Owners and admins can add manual opt-outs"
  on public.contact_opt_outs for insert to authenticated
  with check (source = 'manual' and (select private.has_business_role(business_id, array['owner', 'admin'])));

create policy "Owners and admins can remove manual opt-outs"
  on public.contact_opt_outs for delete to authenticated
  using (source = 'manual' and (select private.has_business_role(business_id, array['owner', 'admin'])));

grant select, delete on public.contact_opt_outs to authenticated;
grant insert (business_id, channel, address, source) on public.contact_opt_outs to authenticated;
grant select, insert, update, delete on public.contact_opt_outs to service_role;
