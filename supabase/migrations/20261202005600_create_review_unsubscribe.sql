-- One-click email unsubscribe (SPEC §10 "Opt-outs" and "The link"; RFC 8058). A request's
-- unsubscribe token grants nothing but this: naming the business the email came from, and opting
-- out the address that request's emails went to. Nobody learns the address from the token.

-- What a token names: the business (as its emails sign: the sender name, else the business's
-- name), the address its latest email went to (the customer's email when none went out yet), and
-- whether that address is already opted out. No row for an unknown token, or for a request
-- with no email address at all.
create function private.review_unsubscribe_subject(p_token text)
returns table (business_id uuid, business_name text, address text, unsubscribed boolean)
language sql stable security definer set search_path = ''
as $$
  select r.business_id,
         coalesce(nullif(btrim(s.sender_name), ''), b.name),
         a.address,
         exists (select 1 from public.contact_opt_outs o
                 where o.business_id = r.business_id and o.channel = 'email' and o.address = a.address)
  from public.review_requests r
  join public.businesses b on b.id = r.business_id
  left join public.review_settings s on s.business_id = r.business_id
  cross join lateral (
    select nullif(lower(btrim(coalesce(
      (select m.to_address from public.review_messages m
        where m.request_id = r.id and m.channel = 'email'
        order by m.sent_at desc nulls last, m.step desc
        limit 1),
      (select c.email from public.customers c where c.id = r.customer_id)
    ))), '') as address
  ) a
  where r.unsubscribe_token = p_token and a.address is not null
$$;

-- Records the `email_unsubscribe` opt-out for the token's address (pending messages are then
-- cancelled by the opt-out trigger). Using the link again, or for an address already opted out
-- any other way, changes nothing. Returns the business's name, or no row for an unknown token.
create function private.review_unsubscribe(p_token text)
returns table (business_name text, newly_unsubscribed boolean)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_subject record;
  v_count integer;
begin
  select x.business_id, x.business_name, x.address into v_subject
  from private.review_unsubscribe_subject(p_token) x;
  if v_subject.business_id is null then
    return;
  end if;
  insert into public.contact_opt_outs (business_id, channel, address, source)
  values (v_subject.business_id, 'email', v_subject.address, 'email_unsubscribe')
  on conflict (business_id, channel, address) do nothing;
  get diagnostics v_count = row_count;
  business_name := v_subject.business_name;
  newly_unsubscribed := v_count > 0;
  return next;
end
$$;

call private.restrict_to_service_role('review\_unsubscribe%');
