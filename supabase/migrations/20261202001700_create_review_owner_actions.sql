-- What owners and admins do with review requests from the card: approve or skip a held request,
-- and "Ask recent customers" (preview, then confirm). The card calls these through PostgREST RPC
-- (supabase.rpc) with the user's JWT: each is a security definer function in public that checks
-- the caller's role in the request's business itself, and is executable by authenticated only
-- (and the service role). Errors carry SQLSTATEs of class BJ, as the Jobber functions do:
--   BJ001 not_a_member (unknown business or not a member: the same answer), BJ002 forbidden_role,
--   BJ006 not_found (unknown request, or one of a business the caller does not belong to),
--   BJ008 request_not_held (approve / skip of a request that is no longer waiting for approval).

-- The request, locked, if the signed-in user is an owner or admin of its business.
create function private.review_request_for_owner(p_request_id uuid) returns public.review_requests
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_request public.review_requests;
begin
  select r.* into v_request from public.review_requests r where r.id = p_request_id for update;
  if v_request.id is null or not private.has_business_role(v_request.business_id) then
    raise exception using errcode = 'BJ006', message = 'There is no such review request in your business.';
  end if;
  perform private.jobber_assert_role(v_request.business_id, auth.uid(), array['owner', 'admin']);
  return v_request;
end
$$;

-- What the card shows after an action: the request's state and each message's channel and time.
create function private.review_request_summary(p_request_id uuid) returns jsonb
language sql stable security definer set search_path = ''
as $$
  select jsonb_build_object(
    'request_id', r.id,
    'state', r.state,
    'cancel_reason', r.cancel_reason,
    'approved_at', r.approved_at,
    'messages', coalesce((
      select jsonb_agg(jsonb_build_object('step', m.step, 'channel', m.channel, 'status', m.status,
                                          'scheduled_for', m.scheduled_for) order by m.step)
      from public.review_messages m where m.request_id = r.id), '[]'::jsonb))
  from public.review_requests r where r.id = p_request_id
$$;

-- Approve: the held messages become scheduled, re-timed from now - the whole journey moves so
-- step 0 is due at greatest(its due time, now) and follow-ups keep their spacing - then the send
-- window rule. Approving twice is harmless.
create function public.review_approve_request(p_request_id uuid) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_request public.review_requests := private.review_request_for_owner(p_request_id);
  v_settings public.review_settings;
  v_step0_due timestamptz;
begin
  if v_request.state <> 'held' and v_request.approved_at is null then
    raise exception using errcode = 'BJ008',
      message = format('This review request is not waiting for approval (it is %s).', v_request.state);
  end if;
  if v_request.state = 'held' then
    select s.* into v_settings from public.review_settings s where s.business_id = v_request.business_id;
    select greatest(m.due_at, now()) into v_step0_due
    from public.review_messages m where m.request_id = v_request.id and m.step = 0;

    update public.review_messages m set
      status = 'scheduled',
      status_at = now(),
      due_at = x.due_at,
      scheduled_for = private.review_in_send_window(x.due_at, v_request.time_zone,
        v_settings.send_window_start, v_settings.send_window_end)
    from (
      select m2.id, private.review_step_due(v_step0_due, m2.step, v_settings.follow_up_days, v_request.time_zone) as due_at
      from public.review_messages m2 where m2.request_id = v_request.id and m2.status = 'held'
    ) x
    where m.id = x.id;

    update public.review_requests r set state = 'scheduled', approved_at = now(), approved_by = auth.uid()
    where r.id = v_request.id
    returning r.* into v_request;
  end if;
  return private.review_request_summary(v_request.id);
end
$$;

-- Skip: the request is cancelled (cancel_reason 'skipped', messages cancelled). A skipped request
-- never counts as asked. Skipping twice is harmless.
create function public.review_skip_request(p_request_id uuid) returns jsonb
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_request public.review_requests := private.review_request_for_owner(p_request_id);
begin
  if v_request.state = 'cancelled' and v_request.cancel_reason = 'skipped' then
    return private.review_request_summary(v_request.id);
  end if;
  if v_request.state <> 'held' then
    raise exception using errcode = 'BJ008',
      message = format('This review request is not waiting for approval (it is %s).', v_request.state);
  end if;
  perform private.review_cancel_requests(array[v_request.id], 'skipped');
  return private.review_request_summary(v_request.id);
end
$$;

-- The historical completions "Ask recent customers" works on: decided `historical`, completed
-- within p_within_days, optionally only those the owner picked.
create function private.review_ask_recent_candidates(p_business_id uuid, p_completion_ids uuid[], p_within_days integer)
returns uuid[]
language plpgsql stable security definer set search_path = ''
as $$
begin
  perform private.jobber_assert_role(p_business_id, auth.uid(), array['owner', 'admin']);
  if p_within_days is null or p_within_days not between 1 and 90 then
    raise exception using errcode = '22023', message = 'within_days must be between 1 and 90.';
  end if;
  return array(
    select c.id
    from public.review_decisions d
    join public.job_completions c on c.id = d.completion_id
    where d.business_id = p_business_id and d.reason = 'historical'
      and c.completed_at > now() - make_interval(days => p_within_days)
      and (p_completion_ids is null or c.id = any (p_completion_ids))
  );
end
$$;

-- Decides the candidates in 'preview' or 'ask_recent' mode (private.review_decide, the same code
-- the trigger runs) and sums it up for the card: how many are (or would be) asked, how many of
-- those held for approval, how many excluded and why, and when the paced first messages go out.
create function private.review_ask_recent(p_business_id uuid, p_completion_ids uuid[], p_mode text)
returns jsonb
language sql volatile security definer set search_path = ''
as $$
  with d as materialized (
    select * from private.review_decide(p_completion_ids, p_mode)
  )
  select jsonb_build_object(
    'candidates', (select count(*) from d),
    'asked', (select count(*) from d where d.outcome in ('requested', 'held')),
    'held', (select count(*) from d where d.outcome = 'held'),
    'excluded', coalesce((
      select jsonb_object_agg(e.reason, e.n)
      from (select d.reason, count(*) as n from d where d.outcome = 'skipped' group by d.reason) e), '{}'::jsonb),
    'per_hour', (select s.backfill_per_hour from public.review_settings s where s.business_id = p_business_id),
    'first_send_at', (select min(d.scheduled_for) from d),
    'last_send_at', (select max(d.scheduled_for) from d)
  )
$$;

-- Nothing is written: what confirming would do now.
create function public.review_ask_recent_preview(
  p_business_id uuid, p_completion_ids uuid[] default null, p_within_days integer default 30
) returns jsonb
language sql volatile security definer set search_path = ''
as $$
  select private.review_ask_recent(p_business_id,
    private.review_ask_recent_candidates(p_business_id, p_completion_ids, p_within_days), 'preview')
$$;

-- Re-decides the candidates in place and schedules the asked ones, paced.
create function public.review_ask_recent_confirm(
  p_business_id uuid, p_completion_ids uuid[] default null, p_within_days integer default 30
) returns jsonb
language sql volatile security definer set search_path = ''
as $$
  select private.review_ask_recent(p_business_id,
    private.review_ask_recent_candidates(p_business_id, p_completion_ids, p_within_days), 'ask_recent')
$$;

call private.restrict_to_service_role('review\_%');

revoke all on function public.review_approve_request(uuid), public.review_skip_request(uuid),
  public.review_ask_recent_preview(uuid, uuid[], integer), public.review_ask_recent_confirm(uuid, uuid[], integer)
  from public, anon;
grant execute on function public.review_approve_request(uuid), public.review_skip_request(uuid),
  public.review_ask_recent_preview(uuid, uuid[], integer), public.review_ask_recent_confirm(uuid, uuid[], integer)
  to authenticated, service_role;
