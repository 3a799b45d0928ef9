-- The sender's side of review messages (SPEC §10 "Sending", §11): the send_review_messages worker
-- task claims due messages under its lease, re-validates each at send time, marks it `sending`
-- before calling the provider, and records the provider's answer - every step through these
-- functions, each guarded by private.worker_lease_guard under the message's row lock, so a worker
-- whose lease lapsed can never write over the worker that took its messages over.
--
-- The order of one message's life here:
--   review_send_claim     -> held by this worker (due `scheduled` ones, and `sending` ones whose
--                            worker died or whose provider answer was lost: those are resolved
--                            with the provider, never blindly re-sent)
--   review_send_prepare   -> the database-side checks; anything but "send" is applied at once
--   (the worker asks Jobber whether the job is still done: review_send_cancel_request when not,
--    review_send_postpone when Jobber cannot say)
--   review_send_start     -> the same checks again under the row lock, then `sending` with the
--                            exact content handed to the provider
--   review_send_record    -> the provider's answer: queued / failed / back to scheduled / still
--                            sending to resolve later

-- Takes up to p_limit messages for p_owner: first `sending` ones nobody holds whose resolution is
-- due (a crash between marking and the answer, or a lost answer), then `scheduled` ones due by
-- p_now (the worker's clock, so tests inject one), oldest first. Rows another worker is claiming
-- right now are skipped. A `sending` message is asked about only once p_settle_ms have passed
-- since its attempt: a provider request cut off by a crash may still be creating the message, and
-- a lookup before it has finished would find nothing and send it a second time.
create function private.review_send_claim(p_owner text, p_now timestamptz, p_limit integer, p_settle_ms integer default 30000)
returns table (
  message_id uuid,
  request_id uuid,
  business_id uuid,
  step integer,
  channel text,
  to_address text,
  status text,
  -- when the message was marked `sending` (the provider lookup's time bound); null when scheduled
  attempted_at timestamptz,
  completion_kind text,
  job_external_id text,
  visit_external_id text,
  job_deleted boolean,
  -- what was handed to the provider, for a `sending` message
  content jsonb
)
language plpgsql volatile security definer set search_path = ''
as $$
begin
  return query
  with unresolved as (
    select m.id from public.review_messages m
    where m.status = 'sending'
      and greatest(coalesce(m.resolve_after, '-infinity'::timestamptz), m.status_at + make_interval(secs => p_settle_ms / 1000.0)) <= p_now
      and (m.lease_owner is null or not private.worker_lease_live(m.lease_owner))
    order by m.status_at
    limit p_limit
    for update skip locked
  ),
  due as (
    select m.id from public.review_messages m
    where m.status = 'scheduled' and m.scheduled_for <= p_now
      and (m.lease_owner is null or not private.worker_lease_live(m.lease_owner))
    order by m.scheduled_for, m.id
    limit p_limit
    for update skip locked
  ),
  picked as (
    select x.id from (
      select u.id, 0 as k from unresolved u
      union all
      select d.id, 1 from due d
    ) x
    order by x.k
    limit p_limit
  ),
  claimed as (
    update public.review_messages m set lease_owner = p_owner
    from picked p
    where m.id = p.id
    returning m.*
  )
  select c.id, c.request_id, c.business_id, c.step, c.channel, c.to_address, c.status,
         case when c.status = 'sending' then c.status_at end,
         jc.kind, j.external_id, v.external_id, j.deleted_at is not null, mc.content
  from claimed c
  join public.review_requests r on r.id = c.request_id
  join public.job_completions jc on jc.id = r.completion_id
  join public.jobs j on j.id = r.job_id
  left join public.job_visits v on v.id = jc.visit_id
  left join private.review_message_contents mc on mc.message_id = c.id
  order by c.status desc, c.scheduled_for, c.id;
end
$$;

-- The message, locked, if p_owner still holds it (BJ007 otherwise).
create function private.review_send_hold(p_message_id uuid, p_owner text)
returns public.review_messages
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_message public.review_messages;
begin
  select m.* into v_message from public.review_messages m where m.id = p_message_id for update;
  perform private.worker_lease_guard(v_message.lease_owner, p_owner);
  return v_message;
end
$$;

-- What to do with a scheduled message now (read-only). The checks, in order:
--   not scheduled any more                          -> skip (cancelled or taken meanwhile)
--   its request was clicked                         -> cancel this message: 'clicked'
--   its request was cancelled                       -> cancel this message with the request's reason
--   review requests turned off                      -> cancel the request: 'automation_off'
--   the business is not connected to Jobber         -> cancel the request: 'not_connected'
--   a follow-up past the settings' count            -> cancel this message: 'follow_ups_reduced'
--   its channel no longer in the settings           -> cancel this message: 'channel_removed'
--   the customer was removed in Jobber              -> cancel the request: 'no_customer'
--   any of the customer's contacts opted out        -> cancel the request: 'opted_out'
--   the channel: its own if configured (p_available) and the customer's contact on it is usable,
--   else the next channel in the settings' order that is; none configured with a usable contact
--   -> fail: 'channel_unavailable'; no usable contact at all -> cancel this message: 'no_contact'
--   outside the send window in the recipient's zone -> re-time to the window's next start
--   otherwise send, to the customer's current address on that channel.
-- Returns {action, reason?, channel?, to_address?, retry_at?, render?}; render carries what the
-- message is rendered from (names, technicians, templates, the request's tokens, the review URL).
create function private.review_send_verdict(p_message_id uuid, p_now timestamptz, p_available text[])
returns jsonb
language plpgsql stable security definer set search_path = ''
as $$
declare
  v record;
  v_channel text;
  v_to text;
  v_unconfigured boolean := false;
  v_candidate text;
  v_contact text;
  v_usable boolean;
  v_window_at timestamptz;
  v_technicians text[];
begin
  select m.id, m.status, m.step, m.channel, m.to_address, m.request_id,
         r.state, r.cancel_reason, r.time_zone, r.clicked_at, r.link_token, r.unsubscribe_token, r.job_id,
         s.enabled, s.channels, s.follow_ups, s.send_window_start, s.send_window_end, s.review_url, s.sender_name,
         s.sms_template, s.email_subject, s.email_template,
         b.name as business_name, b.country, ij.connection_status,
         cu.status as customer_status, cu.full_name, cu.phone, cu.phone_usable, cu.email, cu.email_usable,
         jc.kind, jc.visit_id
  into v
  from public.review_messages m
  join public.review_requests r on r.id = m.request_id
  join public.businesses b on b.id = m.business_id
  join public.job_completions jc on jc.id = r.completion_id
  join public.customers cu on cu.id = r.customer_id
  left join public.review_settings s on s.business_id = m.business_id
  left join public.integrations_jobber ij on ij.business_id = m.business_id
  where m.id = p_message_id;

  if v.id is null or v.status <> 'scheduled' then
    return jsonb_build_object('action', 'skip', 'reason', 'not_scheduled');
  elsif v.state = 'clicked' or v.clicked_at is not null then
    return jsonb_build_object('action', 'cancel_message', 'reason', 'clicked');
  elsif v.state = 'cancelled' then
    return jsonb_build_object('action', 'cancel_message', 'reason', v.cancel_reason);
  elsif not coalesce(v.enabled, false) then
    return jsonb_build_object('action', 'cancel_request', 'reason', 'automation_off');
  elsif v.connection_status is distinct from 'connected' then
    return jsonb_build_object('action', 'cancel_request', 'reason', 'not_connected');
  elsif v.step > v.follow_ups then
    return jsonb_build_object('action', 'cancel_message', 'reason', 'follow_ups_reduced');
  elsif not (v.channel = any (v.channels)) then
    return jsonb_build_object('action', 'cancel_message', 'reason', 'channel_removed');
  elsif v.customer_status = 'removed' then
    return jsonb_build_object('action', 'cancel_request', 'reason', 'no_customer');
  end if;

  -- Any contact of the customer, any channel - and the address this message was meant for.
  if exists (
    select 1 from public.contact_opt_outs o
    where o.business_id = (select m.business_id from public.review_messages m where m.id = p_message_id)
      and ((o.channel = 'sms' and o.address in (v.phone, private.normalize_phone(v.phone, v.country),
                                                case when v.channel = 'sms' then v.to_address end))
        or (o.channel = 'email' and o.address in (lower(btrim(v.email)),
                                                  case when v.channel = 'email' then lower(btrim(v.to_address)) end)))
  ) then
    return jsonb_build_object('action', 'cancel_request', 'reason', 'opted_out');
  end if;

  for v_candidate in
    select c.ch from unnest(array[v.channel] || array_remove(v.channels, v.channel)) with ordinality c(ch, n) order by c.n
  loop
    v_contact := case v_candidate when 'sms' then nullif(btrim(v.phone), '') else nullif(btrim(v.email), '') end;
    v_usable := v_contact is not null and case v_candidate when 'sms' then v.phone_usable else v.email_usable end;
    if v_usable and v_candidate = any (p_available) then
      v_channel := v_candidate;
      v_to := case v_candidate when 'sms' then v.phone else v.email end;
      exit;
    elsif v_usable then
      v_unconfigured := true;
    end if;
  end loop;
  if v_channel is null and v_unconfigured then
    return jsonb_build_object('action', 'fail', 'reason', 'channel_unavailable',
      'message', 'No channel the customer can receive is configured for sending.');
  elsif v_channel is null then
    return jsonb_build_object('action', 'cancel_message', 'reason', 'no_contact');
  end if;

  v_window_at := private.review_in_send_window(p_now, v.time_zone, v.send_window_start, v.send_window_end);
  if v_window_at > p_now then
    return jsonb_build_object('action', 'retime', 'reason', 'outside_send_window', 'retry_at', v_window_at);
  end if;

  -- {technician}: who worked the completed visit; for a closed job, its last completed visit.
  select vi.assigned_to into v_technicians
  from public.job_visits vi
  where (v.visit_id is not null and vi.id = v.visit_id)
     or (v.visit_id is null and vi.job_id = v.job_id and vi.completed_at is not null)
  order by vi.completed_at desc nulls last
  limit 1;

  return jsonb_build_object(
    'action', 'send',
    'channel', v_channel,
    'to_address', v_to,
    'render', jsonb_build_object(
      'step', v.step,
      'first_name', nullif(split_part(btrim(coalesce(v.full_name, '')), ' ', 1), ''),
      'business_name', coalesce(nullif(btrim(v.sender_name), ''), v.business_name),
      'technicians', to_jsonb(coalesce(v_technicians, '{}'::text[])),
      'review_url', v.review_url,
      'sms_template', v.sms_template,
      'email_subject', v.email_subject,
      'email_template', v.email_template,
      'link_token', v.link_token,
      'unsubscribe_token', v.unsubscribe_token));
end
$$;

-- Applies a verdict that is not "send" to a held message and lets go of it.
create function private.review_send_apply(p_message public.review_messages, p_verdict jsonb, p_now timestamptz)
returns void
language plpgsql volatile security definer set search_path = ''
as $$
begin
  case p_verdict ->> 'action'
    when 'cancel_message' then
      perform private.review_message_advance(p_message.id, 'cancelled', p_now, null, null, null, null,
                                             p_verdict ->> 'reason');
    when 'cancel_request' then
      perform private.review_cancel_requests(array[p_message.request_id], p_verdict ->> 'reason');
    when 'fail' then
      perform private.review_message_advance(p_message.id, 'failed', p_now, p_verdict ->> 'reason',
                                             p_verdict ->> 'message');
    when 'retime' then
      update public.review_messages m set scheduled_for = (p_verdict ->> 'retry_at')::timestamptz
      where m.id = p_message.id and m.status = 'scheduled';
    else
      null;
  end case;
  update public.review_messages m set lease_owner = null where m.id = p_message.id;
end
$$;

-- The database-side checks before the worker asks Jobber: the verdict, applied when it is not
-- "send" (then the message is let go).
create function private.review_send_prepare(p_message_id uuid, p_owner text, p_now timestamptz, p_available text[])
returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_message public.review_messages := private.review_send_hold(p_message_id, p_owner);
  v_verdict jsonb := private.review_send_verdict(p_message_id, p_now, p_available);
begin
  if v_verdict ->> 'action' <> 'send' then
    perform private.review_send_apply(v_message, v_verdict, p_now);
  end if;
  return v_verdict;
end
$$;

-- Jobber says the job is no longer done (p_reason 'job_reopened' / 'job_deleted'), or the
-- connection is gone ('not_connected'): the whole request is cancelled.
create function private.review_send_cancel_request(p_message_id uuid, p_owner text, p_reason text)
returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_message public.review_messages := private.review_send_hold(p_message_id, p_owner);
begin
  perform private.review_cancel_requests(array[v_message.request_id], p_reason);
  update public.review_messages m set lease_owner = null where m.id = p_message_id;
end
$$;

-- Jobber could not say whether the job is still done: nothing is sent without knowing, so the
-- message waits until p_until, with the reason kept for the card.
create function private.review_send_postpone(
  p_message_id uuid, p_owner text, p_until timestamptz, p_error_code text, p_error_message text
) returns void
language plpgsql volatile security definer set search_path = ''
as $$
begin
  perform private.review_send_hold(p_message_id, p_owner);
  update public.review_messages m set
    scheduled_for = greatest(m.scheduled_for, p_until),
    error_code = p_error_code,
    error_message = left(p_error_message, 1000),
    lease_owner = null
  where m.id = p_message_id and m.status = 'scheduled';
  update public.review_messages m set lease_owner = null where m.id = p_message_id;
end
$$;

-- The last word before the provider call: the same checks again, under the row lock (a STOP, a
-- click or a settings change may have landed while Jobber answered), and only if they still say
-- "send" on p_channel to p_to_address is the message marked `sending` (attempts + 1, status_at =
-- the attempt time), its channel and address set to what is sent, and p_content - exactly what
-- the provider gets - kept for a crash lookup. Returns the verdict; action 'sending' when marked.
create function private.review_send_start(
  p_message_id uuid, p_owner text, p_now timestamptz, p_available text[],
  p_channel text, p_to_address text, p_content jsonb
) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_message public.review_messages := private.review_send_hold(p_message_id, p_owner);
  v_verdict jsonb := private.review_send_verdict(p_message_id, p_now, p_available);
begin
  if v_verdict ->> 'action' <> 'send' then
    perform private.review_send_apply(v_message, v_verdict, p_now);
    return v_verdict - 'render';
  end if;
  if v_verdict ->> 'channel' <> p_channel or v_verdict ->> 'to_address' <> p_to_address then
    -- The contact changed while Jobber answered: let go; the next pass renders it afresh.
    update public.review_messages m set lease_owner = null where m.id = p_message_id;
    return jsonb_build_object('action', 'skip', 'reason', 'contact_changed');
  end if;
  update public.review_messages m set channel = p_channel, to_address = p_to_address, resolve_after = null
  where m.id = p_message_id;
  perform private.review_message_advance(p_message_id, 'sending', p_now);
  insert into private.review_message_contents (message_id, channel, to_address, content)
  values (p_message_id, p_channel, p_to_address, p_content)
  on conflict (message_id) do update set channel = excluded.channel, to_address = excluded.to_address,
    content = excluded.content, created_at = now();
  return jsonb_build_object('action', 'sending', 'channel', p_channel, 'to_address', p_to_address);
end
$$;

-- The provider's answer for a held message, then the message is let go:
--   accepted       -> `queued` with the provider and its message id (never `sent`: the provider
--                     only took it; its callbacks move it on)
--   refused        -> the contact effect (private.review_contact_effect), then `failed` with
--                     the provider's code; an opt-out also cancels the rest of the request
--                     ('opted_out'; the opt-out trigger does too, for every request to that customer)
--   unavailable    -> `failed`, 'channel_unavailable' (credentials refused)
--   undeterminable -> `failed`, 'delivery_unconfirmed': the provider cannot say whether it took
--                     the message, and it is never sent again on a guess
--   retry          -> back to `scheduled` at p_retry_at (429s, errors that sent nothing)
--   not_sent       -> a crash lookup found nothing: back to `scheduled` now, re-validated in full
--   unknown        -> the provider may have taken it: stays `sending`, asked again at p_retry_at
create function private.review_send_record(
  p_message_id uuid,
  p_owner text,
  p_at timestamptz,
  p_kind text,
  p_provider text default null,
  p_provider_message_id text default null,
  p_code text default null,
  p_reason text default null,
  p_contact_effect text default null,
  p_retry_at timestamptz default null
) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_message public.review_messages := private.review_send_hold(p_message_id, p_owner);
  v_moved boolean := false;
begin
  if v_message.status <> 'sending' then
    -- Moved on meanwhile (a provider callback may already have reported it): record the
    -- provider's id if it is new, change nothing else.
    if p_kind = 'accepted' then
      perform private.review_message_advance(p_message_id, 'queued', p_at, null, null, p_provider, p_provider_message_id);
    end if;
  elsif p_kind = 'accepted' then
    v_moved := private.review_message_advance(p_message_id, 'queued', p_at, null, null, p_provider, p_provider_message_id);
  elsif p_kind = 'refused' then
    -- What the refusal says about the people behind the address, recorded exactly as the
    -- provider webhooks record verdicts (21211 / 21614: the phone unusable for this business's
    -- customers with it; 21610: an sms_stop opt-out; a 422: the email unusable).
    if p_contact_effect is not null then
      perform private.review_contact_effect(p_message_id, p_contact_effect);
    end if;
    v_moved := private.review_message_advance(p_message_id, 'failed', p_at, left(p_code, 100), left(p_reason, 1000), p_provider);
    if p_contact_effect = 'opted_out' then
      perform private.review_cancel_requests(array[v_message.request_id], 'opted_out');
    end if;
  elsif p_kind = 'unavailable' then
    v_moved := private.review_message_advance(p_message_id, 'failed', p_at, 'channel_unavailable', left(p_reason, 1000));
  elsif p_kind = 'undeterminable' then
    v_moved := private.review_message_advance(p_message_id, 'failed', p_at, 'delivery_unconfirmed', left(p_reason, 1000));
  elsif p_kind in ('retry', 'not_sent') then
    v_moved := private.review_message_retry_later(p_message_id, coalesce(p_retry_at, p_at), left(p_code, 100),
                                                  left(p_reason, 1000));
  elsif p_kind = 'unknown' then
    update public.review_messages m set
      resolve_after = coalesce(p_retry_at, p_at),
      error_code = left(p_code, 100),
      error_message = left(p_reason, 1000)
    where m.id = p_message_id;
    v_moved := true;
  else
    raise exception using errcode = '22023', message = format('Unknown send outcome %L.', p_kind);
  end if;

  if p_kind <> 'unknown' then
    delete from private.review_message_contents c where c.message_id = p_message_id;
  end if;
  update public.review_messages m set lease_owner = null where m.id = p_message_id;
  return v_moved;
end
$$;

-- The earliest time after p_now, and no later than p_until, that a message nobody holds becomes
-- claimable: a scheduled one falling due, or a `sending` one whose resolution comes due (see
-- review_send_claim). The worker waits for it instead of leaving it to the next minute's sweep.
create function private.review_send_next_due(p_now timestamptz, p_until timestamptz, p_settle_ms integer default 30000)
returns timestamptz
language sql stable security definer set search_path = ''
as $$
  select min(x.at) from (
    select m.scheduled_for as at from public.review_messages m
    where m.status = 'scheduled' and m.scheduled_for > p_now and m.scheduled_for <= p_until and m.lease_owner is null
    union all
    select greatest(coalesce(m.resolve_after, '-infinity'::timestamptz), m.status_at + make_interval(secs => p_settle_ms / 1000.0))
    from public.review_messages m
    where m.status = 'sending' and (m.lease_owner is null or not private.worker_lease_live(m.lease_owner))
  ) x
  where x.at > p_now and x.at <= p_until
$$;

call private.restrict_to_service_role('review\_send\_%');
