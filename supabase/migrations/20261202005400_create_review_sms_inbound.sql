-- An inbound text, as sms-webhook hands it over after checking Twilio's signature (SPEC §10, §11).
-- p_intent is 'stop' or 'start' (Twilio's opt-out keywords as the whole message, or its Advanced
-- Opt-Out `OptOutType`), else 'reply'.
--
-- Attribution. Every business texts from this deployment's one Twilio sender, so a number several
-- businesses texted is one conversation on the person's phone. A STOP opts the number out of every
-- business that texted it (private.review_sms_opt_out: Twilio now refuses them all) and a START
-- lifts those STOPs (private.review_sms_opt_in). Any other text is a reply to the last text that
-- number was sent - the one the person is most likely answering - and is kept for that message's
-- business and customer only, so no other business reads it. A text from a number nobody here
-- texted is attributed to no one and stored nowhere (Twilio still remembers its STOP: a later send
-- answers 21610 and records it then).
--
-- A MessageSid handled before changes nothing: Twilio retries a failed delivery, and a retried STOP
-- must not undo the START the person sent after it.
-- Returns {"outcome": "duplicate" | "opted_out" | "opted_in" | "reply" | "unattributed",
--          "businesses": n, "business_id": …, "reply_id": …}.
create function private.review_sms_inbound(
  p_message_sid text, p_from text, p_body text, p_intent text, p_received_at timestamptz default null
) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_count integer;
  v_message_id uuid;
  v_business_id uuid;
  v_customer_id uuid;
  v_reply_id uuid;
begin
  if p_intent is null or p_intent not in ('stop', 'start', 'reply') then
    raise exception using errcode = '22023', message = format('Unknown inbound intent: %L.', p_intent);
  end if;
  if not private.review_webhook_first_receipt('twilio', p_message_sid) then
    return jsonb_build_object('outcome', 'duplicate', 'businesses', 0);
  end if;

  if p_intent = 'stop' then
    v_count := private.review_sms_opt_out(p_from);
    return jsonb_build_object('outcome', case when v_count > 0 then 'opted_out' else 'unattributed' end,
                              'businesses', v_count);
  elsif p_intent = 'start' then
    v_count := private.review_sms_opt_in(p_from);
    return jsonb_build_object('outcome', 'opted_in', 'businesses', v_count);
  end if;

  select m.id, m.business_id, r.customer_id into v_message_id, v_business_id, v_customer_id
  from public.review_messages m
  join public.review_requests r on r.id = m.request_id
  where m.channel = 'sms' and m.provider = 'twilio' and m.to_address = p_from and m.sent_at is not null
  order by m.sent_at desc, m.id
  limit 1;
  if v_message_id is null then
    return jsonb_build_object('outcome', 'unattributed', 'businesses', 0);
  end if;

  insert into public.review_replies (business_id, customer_id, message_id, channel, from_address, body,
                                     provider_message_id, received_at)
  values (v_business_id, v_customer_id, v_message_id, 'sms', p_from, left(coalesce(p_body, ''), 5000), p_message_sid,
          coalesce(p_received_at, now()))
  on conflict (provider_message_id) do nothing
  returning id into v_reply_id;
  return jsonb_build_object('outcome', 'reply', 'businesses', 1, 'business_id', v_business_id, 'reply_id', v_reply_id);
end
$$;

call private.restrict_to_service_role('review\_sms\_inbound');
