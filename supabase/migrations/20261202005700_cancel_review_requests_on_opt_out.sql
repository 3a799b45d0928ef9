-- An opt-out takes effect at once (SPEC §10: a customer any of whose contacts is opted out gets no
-- review messages, on any channel). Whatever records it - a STOP, a 21610, an unsubscribe, a
-- complaint, an owner's manual entry - the business's requests still waiting to send to that
-- customer, or to that address, are cancelled with reason `opted_out`; messages already with a
-- provider finish on their own. The sender re-checks opt-outs at send time as well; this makes the
-- card show the truth before then.
create function private.review_cancel_for_opt_out() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  v_country text;
  v_request_ids uuid[];
begin
  select b.country into v_country from public.businesses b where b.id = new.business_id;
  select array_agg(distinct r.id) into v_request_ids
  from public.review_requests r
  join public.customers c on c.id = r.customer_id
  where r.business_id = new.business_id
    and r.state in ('held', 'scheduled', 'in_progress')
    and (
      (new.channel = 'sms' and private.normalize_phone(c.phone, v_country) = new.address)
      or (new.channel = 'email' and lower(btrim(c.email)) = new.address)
      or exists (
        select 1 from public.review_messages m
        where m.request_id = r.id and m.channel = new.channel and m.status in ('held', 'scheduled')
          and case when new.channel = 'sms' then private.normalize_phone(m.to_address, v_country)
                   else lower(btrim(m.to_address)) end = new.address)
    );
  if v_request_ids is not null then
    perform private.review_cancel_requests(v_request_ids, 'opted_out');
  end if;
  return null;
end
$$;
revoke all on function private.review_cancel_for_opt_out() from public, anon, authenticated;

create trigger cancel_pending_requests after insert on public.contact_opt_outs
  for each row execute function private.review_cancel_for_opt_out();
