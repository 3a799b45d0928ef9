-- Inbound texts that are not STOP / START keywords, kept for the card (SPEC §11).
create table public.review_replies (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null references public.businesses (id) on delete cascade,
  customer_id uuid references public.customers (id) on delete set null,
  message_id uuid references public.review_messages (id) on delete set null,
  channel text not null check (channel in ('sms', 'email')),
  from_address text not null check (char_length(from_address) between 1 and 320),
  body text not null check (char_length(body) <= 5000),
  provider_message_id text not null unique check (char_length(provider_message_id) between 1 and 200),
  received_at timestamptz not null default now(),
  created_at timestamptz not null default now()
);
create index review_replies_business_received_idx on public.review_replies (business_id, received_at desc);
create index review_replies_customer_idx on public.review_replies (customer_id) where customer_id is not null;

alter table public.review_replies enable row level security;

create policy "Replies are visible to members of their business"
  on public.review_replies for select to authenticated
  using ((select private.has_business_role(business_id)));

grant select on public.review_replies to authenticated;
grant select, insert, update, delete on public.review_replies to service_role;
