-- How review messages and requests change state after they are decided. Providers report out of
-- order and more than once (Twilio's callbacks, Resend's events, the sender's own answer racing
-- its callback), so a message's status only ever moves forward, and a request's state follows
-- from its messages. The sender, the provider webhooks and the owner actions all go through here.

-- The order statuses move in. Terminal states (rank 5) never change again.
create function private.review_message_status_rank(p_status text) returns integer
language sql immutable set search_path = ''
as $$
  select case p_status
    when 'held' then 0
    when 'scheduled' then 1
    when 'sending' then 2
    when 'queued' then 3
    when 'sent' then 4
    when 'delivered' then 5
    when 'failed' then 5
    when 'undelivered' then 5
    when 'suppressed' then 5
    when 'cancelled' then 5
  end
$$;

-- Statuses that mean the provider took the message: the customer may have been asked.
create function private.review_message_was_sent(p_status text, p_sent_at timestamptz) returns boolean
language sql immutable set search_path = ''
as $$
  select p_sent_at is not null or p_status in ('sending', 'queued', 'sent', 'delivered', 'undelivered')
$$;

-- A request's state from its messages. Still something to send: held stays held, and a request
-- is in progress once the provider took one of its messages. Nothing left to send: done if any
-- message went out; otherwise, when p_cancel_reason is given (the rest was cancelled), cancelled
-- with that reason - it was never asked, so it does not count (SPEC §10) - else done.
-- Clicked, done and cancelled requests keep their state.
create function private.review_refresh_request_states(p_request_ids uuid[], p_cancel_reason text default null)
returns void
language sql volatile security definer set search_path = ''
as $$
  update public.review_requests r set state = s.state, cancel_reason = s.cancel_reason
  from (
    select r2.id,
      case
        when bool_or(m.status in ('held', 'scheduled', 'sending')) then
          case
            when r2.state = 'held' then 'held'
            when bool_or(private.review_message_was_sent(m.status, m.sent_at) and m.status <> 'sending') then 'in_progress'
            else r2.state
          end
        when bool_or(private.review_message_was_sent(m.status, m.sent_at)) or p_cancel_reason is null then 'done'
        else 'cancelled'
      end as state,
      case
        when not bool_or(m.status in ('held', 'scheduled', 'sending'))
         and not bool_or(private.review_message_was_sent(m.status, m.sent_at))
         and p_cancel_reason is not null then p_cancel_reason
      end as cancel_reason
    from public.review_requests r2
    join public.review_messages m on m.request_id = r2.id
    where r2.id = any (p_request_ids) and r2.state in ('held', 'scheduled', 'in_progress')
    group by r2.id, r2.state
  ) s
  where r.id = s.id and (r.state, r.cancel_reason) is distinct from (s.state, s.cancel_reason)
$$;

-- Moves one message forward: to a status of higher rank, never out of a terminal one, and to
-- `cancelled` only from held / scheduled (once handed to a provider it may already be out).
-- Duplicates and late arrivals change nothing and return false. Provider ids are recorded even
-- when the status does not move (a callback may beat the sender's own update); sent_at is when the provider first took it, delivered_at when it
-- was delivered, status_at when the status last changed. attempts counts hand-overs (`sending`).
create function private.review_message_advance(
  p_message_id uuid,
  p_status text,
  p_at timestamptz default null,
  p_error_code text default null,
  p_error_message text default null,
  p_provider text default null,
  p_provider_message_id text default null,
  p_cancel_reason text default null
) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_msg public.review_messages;
  v_at timestamptz := coalesce(p_at, now());
  v_moves boolean;
begin
  if private.review_message_status_rank(p_status) is null or p_status = 'held' then
    raise exception using errcode = '22023', message = format('Unknown target status for a review message: %L.', p_status);
  end if;
  if p_status = 'cancelled' and p_cancel_reason is null then
    raise exception using errcode = '22023', message = 'Cancelling a review message needs a reason.';
  end if;

  select m.* into v_msg from public.review_messages m where m.id = p_message_id for update;
  if v_msg.id is null then
    return false;
  end if;

  v_moves := private.review_message_status_rank(v_msg.status) < 5
    and private.review_message_status_rank(p_status) > private.review_message_status_rank(v_msg.status)
    and (p_status <> 'cancelled' or v_msg.status in ('held', 'scheduled'));

  update public.review_messages m set
    status = case when v_moves then p_status else m.status end,
    status_at = case when v_moves then v_at else m.status_at end,
    attempts = m.attempts + case when v_moves and p_status = 'sending' then 1 else 0 end,
    sent_at = case
      when v_moves and p_status in ('queued', 'sent', 'delivered', 'undelivered') then coalesce(m.sent_at, v_at)
      else m.sent_at end,
    delivered_at = case when v_moves and p_status = 'delivered' then v_at else m.delivered_at end,
    -- An error belongs to the status it came with: a success clears an earlier retry's error, a
    -- failure keeps the code it arrived with, and a report that moves nothing records nothing.
    error_code = case when not v_moves then m.error_code
      when p_status in ('queued', 'sent', 'delivered') then p_error_code
      else coalesce(p_error_code, m.error_code) end,
    error_message = case when not v_moves then m.error_message
      when p_status in ('queued', 'sent', 'delivered') then p_error_message
      else coalesce(p_error_message, m.error_message) end,
    cancel_reason = case when v_moves and p_status = 'cancelled' then p_cancel_reason else m.cancel_reason end,
    provider = coalesce(m.provider, p_provider),
    provider_message_id = coalesce(m.provider_message_id, p_provider_message_id)
  where m.id = p_message_id;

  if v_moves then
    perform private.review_refresh_request_states(array[v_msg.request_id],
      case when p_status = 'cancelled' then p_cancel_reason end);
  end if;
  return v_moves;
end
$$;

-- The one way back: a message the provider refused for now (429, 5xx) returns from `sending` to
-- `scheduled` at p_retry_at. From any other status it changes nothing and returns false.
create function private.review_message_retry_later(
  p_message_id uuid, p_retry_at timestamptz, p_error_code text default null, p_error_message text default null
) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
begin
  update public.review_messages m set
    status = 'scheduled',
    status_at = now(),
    scheduled_for = greatest(p_retry_at, now()),
    error_code = p_error_code,
    error_message = p_error_message
  where m.id = p_message_id and m.status = 'sending';
  return found;
end
$$;

-- Cancels requests: their held / scheduled messages become `cancelled` with p_reason, and the
-- requests `cancelled` with p_reason unless they already finished (done, clicked) - a request
-- whose first message went out still counts as asked (SPEC §10 "counts"). Returns how many
-- requests were cancelled.
create function private.review_cancel_requests(p_request_ids uuid[], p_reason text) returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_count integer;
begin
  update public.review_messages m set
    status = 'cancelled', status_at = now(), cancel_reason = p_reason
  where m.request_id = any (p_request_ids) and m.status in ('held', 'scheduled');

  update public.review_requests r set state = 'cancelled', cancel_reason = p_reason
  where r.id = any (p_request_ids) and r.state in ('held', 'scheduled', 'in_progress');
  get diagnostics v_count = row_count;
  -- In-progress requests with a message still in flight (sending / queued) finish by themselves.
  return v_count;
end
$$;

call private.restrict_to_service_role('review\_%');
