-- What a provider's verdict on one message means for the people behind its address (SPEC §10,
-- §11): the phone cannot receive texts (Twilio 21211 / 21614 when the message is created, 30005 /
-- 30006 on delivery), the email address bounced or was refused, or the recipient opted out (21610
-- "replied STOP to this sender", a STOP or START keyword, a spam complaint). The sender, sms-webhook
-- and email-webhook all record verdicts through these functions.

-- Texts to a number that replied STOP are blocked by Twilio for the sender -> recipient pair, and
-- every business here texts from the one sender this deployment is configured with. So a STOP
-- (inbound, or learnt from a 21610 refusal) is recorded as an `sms_stop` opt-out for every business
-- that has texted that number through Twilio - the STOP could be answering any of their texts, which
-- look alike on the phone, and Twilio now refuses all of them - plus p_business_id when given (the
-- business whose send was refused). Businesses that never texted the number learn of the block only
-- if they try (21610, recorded then): a business that only emails its customer is not told about,
-- nor stopped by, a STOP sent to somebody else's text. Returns how many opt-outs were added.
create function private.review_sms_opt_out(p_address text, p_business_id uuid default null) returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_count integer;
begin
  insert into public.contact_opt_outs (business_id, channel, address, source)
  select b.business_id, 'sms', p_address, 'sms_stop'
  from (
    select m.business_id from public.review_messages m
    where m.channel = 'sms' and m.provider = 'twilio' and m.to_address = p_address and m.sent_at is not null
    union
    select p_business_id where p_business_id is not null
  ) b
  on conflict (business_id, channel, address) do nothing;
  get diagnostics v_count = row_count;
  return v_count;
end
$$;

-- START lifts Twilio's block for the pair, for every business sharing the sender, so it removes
-- every `sms_stop` opt-out of that number. Opt-outs an owner entered by hand, and email ones, stay.
-- Returns how many opt-outs were removed.
create function private.review_sms_opt_in(p_address text) returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_count integer;
begin
  delete from public.contact_opt_outs o
  where o.channel = 'sms' and o.address = p_address and o.source = 'sms_stop';
  get diagnostics v_count = row_count;
  return v_count;
end
$$;

-- Applies a verdict about message p_message_id's address (p_effect: phone_unusable, email_unusable
-- or opted_out; p_source names the opt-out's source, by default sms_stop for texts and
-- email_unsubscribe for email). An unusable contact is marked on every customer of the message's
-- business stored with that address - a household sharing a landline shares the verdict - and never
-- on another business's customers. Returns how many rows changed; 0 for an unknown message.
create function private.review_contact_effect(p_message_id uuid, p_effect text, p_source text default null)
returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_business_id uuid;
  v_channel text;
  v_address text;
  v_count integer := 0;
begin
  if p_effect is null or p_effect not in ('phone_unusable', 'email_unusable', 'opted_out') then
    raise exception using errcode = '22023', message = format('Unknown contact effect: %L.', p_effect);
  end if;
  select m.business_id, m.channel, m.to_address into v_business_id, v_channel, v_address
  from public.review_messages m where m.id = p_message_id;
  if v_business_id is null then
    return 0;
  end if;

  if p_effect = 'phone_unusable' and v_channel = 'sms' then
    update public.customers c set phone_usable = false
    where c.business_id = v_business_id and c.phone = v_address and c.phone_usable;
    get diagnostics v_count = row_count;
  elsif p_effect = 'email_unusable' and v_channel = 'email' then
    update public.customers c set email_usable = false
    where c.business_id = v_business_id and lower(c.email) = lower(btrim(v_address)) and c.email_usable;
    get diagnostics v_count = row_count;
  elsif p_effect = 'opted_out' and v_channel = 'sms' and coalesce(p_source, 'sms_stop') = 'sms_stop' then
    v_count := private.review_sms_opt_out(v_address, v_business_id);
  elsif p_effect = 'opted_out' then
    insert into public.contact_opt_outs (business_id, channel, address, source)
    values (v_business_id, v_channel, v_address,
            coalesce(p_source, case v_channel when 'sms' then 'sms_stop' else 'email_unsubscribe' end))
    on conflict (business_id, channel, address) do nothing;
    get diagnostics v_count = row_count;
  end if;
  return v_count;
end
$$;

-- Who texted a number, and the latest text it got: inbound texts and STOPs look messages up by
-- recipient, newest first.
create index review_messages_sms_recipient_idx on public.review_messages (to_address, sent_at desc)
  where channel = 'sms' and sent_at is not null;
-- START removes a number's STOPs across businesses.
create index contact_opt_outs_address_idx on public.contact_opt_outs (channel, address);

call private.restrict_to_service_role('review\_sms\_opt\_%');
call private.restrict_to_service_role('review\_contact\_effect');
