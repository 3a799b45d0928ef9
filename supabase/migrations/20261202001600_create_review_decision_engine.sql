-- The review decision engine (SPEC §10 "Deciding, in SQL" and "When"). Every completion gets
-- exactly one decision with the first of these reasons that applies, in this order:
--    1 automation_off   2 not_connected   3 historical   4 trigger_mismatch   5 stale
--    6 already_requested   7 below_min_total   8 no_customer   9 no_contact   10 opted_out
--   11 recently_asked   12 household_recently_asked        otherwise requested / held.
-- A requested or held decision creates the request and one message per step, timed in SQL.
--
-- private.review_decide is the one implementation. The trigger on job_completions calls it for
-- the new rows ('new'); "Ask recent customers" calls it to re-decide historical decisions in place
-- ('ask_recent', rules 3 and 5 not applied, paced) and to preview that ('preview', writes
-- nothing). Nothing else creates review requests.

-- Whether Postgres knows a zone name (IANA names, abbreviations, POSIX strings). Called once per
-- distinct zone in a batch, not per row; an unknown name is never an error.
create function private.review_is_known_time_zone(p_zone text) returns boolean
language plpgsql stable set search_path = ''
as $$
begin
  if p_zone is null or btrim(p_zone) = '' then
    return false;
  end if;
  perform now() at time zone p_zone;
  return true;
exception when others then
  return false;
end
$$;

-- p_due moved forward to the next send-window start when it falls outside [start, end) in the
-- recipient's zone. Local wall-clock arithmetic, converted back with AT TIME ZONE, so it is right
-- across DST changes.
create function private.review_in_send_window(p_due timestamptz, p_zone text, p_start time, p_end time)
returns timestamptz
language sql stable set search_path = ''
as $$
  select case
    when l::time >= p_start and l::time < p_end then p_due
    when l::time < p_start then (l::date + p_start) at time zone p_zone
    else (l::date + 1 + p_start) at time zone p_zone
  end
  from (select p_due at time zone p_zone as l) x
$$;

-- Step n of a journey is due n * p_days calendar days (in the recipient's zone) after step 0.
create function private.review_step_due(p_step0_due timestamptz, p_step integer, p_days integer, p_zone text)
returns timestamptz
language sql stable set search_path = ''
as $$
  select case when p_step = 0 then p_step0_due
    else ((p_step0_due at time zone p_zone) + make_interval(days => p_step * p_days)) at time zone p_zone end
$$;

-- One row of a batch being decided (private.review_decide's working set).
create type private.review_candidate as (
  ord integer,
  completion_id uuid,
  business_id uuid,
  job_id uuid,
  customer_id uuid,
  completed_at timestamptz,
  -- household keys: the customer's phone as stored and lower-cased email, scoped to the business
  phone_key text,
  email_key text,
  channel text,
  to_address text,
  zone text,
  -- first failing rule among 1-5 and 6 against earlier requests (final whatever else happens)
  early_reason text,
  early_detail jsonb,
  -- first failing rule among 7-10 (final unless an earlier row of the batch was asked for this job)
  mid_reason text,
  mid_detail jsonb,
  -- 11 or 12 against earlier requests
  late_reason text,
  late_detail jsonb,
  -- no rule failed: asked, unless an earlier row of this batch that is asked shares a key
  potential boolean,
  -- shares a job, customer, phone or email with another potential row of the batch
  involved boolean,
  due0 timestamptz,
  require_approval boolean,
  follow_ups integer,
  follow_up_days integer,
  window_start time,
  window_end time
);

-- Decides the completions p_completion_ids, set-based, in completed_at then id order, each row
-- seeing the rows before it. Decisions for one business are serialised by a transaction-scoped
-- advisory lock, taken before anything is read, so two concurrent batches never both ask one
-- customer or household (under READ COMMITTED each statement below sees what the previous lock
-- holder committed).
--   p_mode 'new':        insert the decisions, requests and messages (the trigger);
--   p_mode 'ask_recent': only completions whose decision is still `historical`; rules 3 and 5 are
--                        not applied; decisions updated in place (detail.previous_reason); step 0
--                        paced at most backfill_per_hour per hour within send windows;
--   p_mode 'preview':    as ask_recent, but writes nothing and takes no lock.
-- Returns one row per decided completion.
create function private.review_decide(p_completion_ids uuid[], p_mode text)
returns table (
  completion_id uuid, outcome text, reason text, request_id uuid, channel text, scheduled_for timestamptz
)
language plpgsql volatile security definer set search_path = ''
set jit = off
as $$
declare
  v_now timestamptz := now();
  v_recheck boolean := p_mode in ('ask_recent', 'preview');
  v_rows private.review_candidate[];
  v_row private.review_candidate;
  v_rejected integer[] := '{}'::integer[];
  v_acc_jobs uuid[] := '{}'::uuid[];
  v_acc_customers uuid[] := '{}'::uuid[];
  v_acc_phones text[] := '{}'::text[];
  v_acc_emails text[] := '{}'::text[];
  v_business uuid;
  -- pacing (ask_recent / preview)
  v_slot_ords integer[] := '{}'::integer[];
  v_slot_times timestamptz[] := '{}'::timestamptz[];
  v_per_hour integer;
  v_spacing interval;
  v_start timestamptz;
  v_used integer[] := '{}'::integer[];
  v_zone_names text[] := '{}'::text[];
  v_zone_next integer[] := '{}'::integer[];
  v_zi integer;
  v_k integer;
  v_t timestamptz;
  v_in_window timestamptz;
begin
  if p_mode not in ('new', 'ask_recent', 'preview') then
    raise exception using errcode = '22023', message = format('Unknown decision mode %L.', p_mode);
  end if;

  if p_mode <> 'preview' then
    for v_business in
      select distinct c.business_id from public.job_completions c where c.id = any (p_completion_ids)
      order by c.business_id
    loop
      -- 0x52455651 ("REVQ") namespaces these locks from any other advisory lock.
      perform pg_advisory_xact_lock(1380275793, hashtext(v_business::text));
    end loop;
  end if;

  -- Stage 1: every rule that does not depend on other rows of this batch.
  v_rows := array(
    with input as (
      select c.*, (row_number() over (order by c.completed_at, c.id))::integer as ord
      from public.job_completions c
      where c.id = any (p_completion_ids)
        and (not v_recheck or exists (
          select 1 from public.review_decisions d where d.completion_id = c.id and d.reason = 'historical'))
    ),
    zone_names as (
      select distinct z.name
      from input i
      join public.jobs j on j.id = i.job_id
      join public.businesses b on b.id = i.business_id
      cross join lateral (values (j.property_time_zone), (b.timezone)) z(name)
      where z.name is not null
    ),
    known_zones as (
      select zn.name from zone_names zn where private.review_is_known_time_zone(zn.name)
    ),
    base as (
      select
        i.ord, i.id as completion_id, i.business_id, i.job_id, i.customer_id, i.completed_at, i.kind, i.source,
        j.total, s.enabled, s.trigger, s.delay_minutes, s.channels, s.follow_ups, s.follow_up_days, s.reask_days,
        s.send_window_start, s.send_window_end, s.min_job_total, s.require_approval,
        ij.connection_status,
        cu.id as cu_id, cu.status as cu_status, cu.phone, lower(cu.email) as email, cu.email as raw_email,
        cu.phone is not null and cu.phone_usable as phone_ok,
        cu.email is not null and cu.email_usable as email_ok,
        case
          when j.property_time_zone in (select k.name from known_zones k) then j.property_time_zone
          when b.timezone in (select k.name from known_zones k) then b.timezone
          else 'UTC'
        end as zone,
        v_now - make_interval(days => s.reask_days) as reask_since
      from input i
      join public.jobs j on j.id = i.job_id
      join public.businesses b on b.id = i.business_id
      -- Every business has settings (a trigger makes them); a missing row still gets a decision.
      left join public.review_settings s on s.business_id = i.business_id
      left join public.integrations_jobber ij on ij.business_id = i.business_id
      left join public.customers cu on cu.id = i.customer_id
    ),
    ruled as (
      select bs.*,
        (select u.ch from unnest(bs.channels) with ordinality u(ch, n)
          where (u.ch = 'sms' and bs.phone_ok) or (u.ch = 'email' and bs.email_ok)
          order by u.n limit 1) as channel,
        case
          when not coalesce(bs.enabled, false) then 'automation_off'
          when bs.connection_status is distinct from 'connected' then 'not_connected'
          when not v_recheck and bs.source = 'backfill' then 'historical'
          when bs.kind <> bs.trigger then 'trigger_mismatch'
          when not v_recheck and bs.completed_at < v_now - interval '3 days' then 'stale'
        end as rule_1_5
      from base bs
    ),
    looked_up as (
      select r.*, pj.id as pj_id, pj.created_at as pj_at, oo.channel as oo_channel, oo.created_at as oo_at,
             oo.source as oo_source, pc.id as pc_id, pc.created_at as pc_at,
             ph.id as ph_id, ph.created_at as ph_at, ph.other_customer_id, ph.shared
      from ruled r
      -- 6: the latest request of this job that counts (not cancelled before anything was sent)
      left join lateral (
        select rq.id, rq.created_at from public.review_requests rq
        where r.rule_1_5 is null and rq.job_id = r.job_id and rq.created_at > r.reask_since
          and (rq.state <> 'cancelled' or exists (
            select 1 from public.review_messages m
            where m.request_id = rq.id and private.review_message_was_sent(m.status, m.sent_at)))
        order by rq.created_at desc limit 1
      ) pj on true
      -- 10: any of the customer's contacts opted out, on any channel
      left join lateral (
        select o.channel, o.created_at, o.source from public.contact_opt_outs o
        where r.rule_1_5 is null and r.cu_id is not null and o.business_id = r.business_id
          and ((o.channel = 'sms' and o.address = r.phone) or (o.channel = 'email' and o.address = r.email))
        order by o.created_at limit 1
      ) oo on true
      -- 11: the latest request of this customer that counts
      left join lateral (
        select rq.id, rq.created_at from public.review_requests rq
        where r.rule_1_5 is null and r.cu_id is not null and rq.customer_id = r.cu_id and rq.created_at > r.reask_since
          and (rq.state <> 'cancelled' or exists (
            select 1 from public.review_messages m
            where m.request_id = rq.id and private.review_message_was_sent(m.status, m.sent_at)))
        order by rq.created_at desc limit 1
      ) pc on true
      -- 12: the latest counting request of another customer sharing the phone or the email
      left join lateral (
        select rq.id, rq.created_at, o.id as other_customer_id,
               case when r.phone is not null and o.phone = r.phone then 'phone' else 'email' end as shared
        from public.customers o
        join public.review_requests rq on rq.customer_id = o.id
        where r.rule_1_5 is null and r.cu_id is not null and o.business_id = r.business_id and o.id <> r.cu_id
          and ((r.phone is not null and o.phone = r.phone) or (r.email is not null and lower(o.email) = r.email))
          and rq.created_at > r.reask_since
          and (rq.state <> 'cancelled' or exists (
            select 1 from public.review_messages m
            where m.request_id = rq.id and private.review_message_was_sent(m.status, m.sent_at)))
        order by rq.created_at desc limit 1
      ) ph on true
    ),
    reasoned as (
      select l.*,
        coalesce(l.rule_1_5, case when l.pj_id is not null then 'already_requested' end) as early_reason,
        case
          when l.min_job_total is not null and l.total < l.min_job_total then 'below_min_total'
          when l.cu_id is null or l.cu_status = 'removed' then 'no_customer'
          when l.channel is null then 'no_contact'
          when l.oo_channel is not null then 'opted_out'
        end as mid_reason,
        case
          when l.pc_id is not null then 'recently_asked'
          when l.ph_id is not null then 'household_recently_asked'
        end as late_reason
      from looked_up l
    ),
    flagged as (
      select rs.*,
        rs.early_reason is null and rs.mid_reason is null and rs.late_reason is null as potential,
        case when rs.phone is not null then rs.business_id::text || ' ' || rs.phone end as phone_key,
        case when rs.email is not null then rs.business_id::text || ' ' || rs.email end as email_key
      from reasoned rs
    )
    select row(
      f.ord, f.completion_id, f.business_id, f.job_id, f.customer_id, f.completed_at,
      f.phone_key, f.email_key, f.channel,
      case f.channel when 'sms' then f.phone when 'email' then f.raw_email end,
      f.zone,
      f.early_reason,
      case f.early_reason
        when 'automation_off' then '{}'::jsonb
        when 'not_connected' then jsonb_build_object('connection_status', coalesce(f.connection_status, 'disconnected'))
        when 'historical' then jsonb_build_object('source', f.source, 'completed_at', f.completed_at)
        when 'trigger_mismatch' then jsonb_build_object('kind', f.kind, 'trigger', f.trigger)
        when 'stale' then jsonb_build_object('completed_at', f.completed_at, 'stale_after_days', 3)
        when 'already_requested' then jsonb_build_object('previous_request_id', f.pj_id, 'previous_asked_at', f.pj_at)
      end,
      f.mid_reason,
      case f.mid_reason
        when 'below_min_total' then jsonb_build_object('total', f.total, 'min_job_total', f.min_job_total)
        when 'no_customer' then jsonb_build_object('customer_id', f.cu_id, 'customer_status', f.cu_status)
        when 'no_contact' then jsonb_build_object(
          'channels', to_jsonb(f.channels),
          'phone', case when f.phone is null then 'missing' when f.phone_ok then 'usable' else 'unusable' end,
          'email', case when f.email is null then 'missing' when f.email_ok then 'usable' else 'unusable' end)
        when 'opted_out' then jsonb_build_object('channel', f.oo_channel, 'opted_out_at', f.oo_at, 'source', f.oo_source)
      end,
      f.late_reason,
      case f.late_reason
        when 'recently_asked' then jsonb_build_object('previous_request_id', f.pc_id, 'previous_asked_at', f.pc_at)
        when 'household_recently_asked' then jsonb_build_object(
          'other_customer_id', f.other_customer_id, 'shared', f.shared,
          'previous_request_id', f.ph_id, 'previous_asked_at', f.ph_at)
      end,
      f.potential,
      f.potential and (
        count(*) filter (where f.potential) over (partition by f.job_id) > 1
        or (f.customer_id is not null and count(*) filter (where f.potential) over (partition by f.customer_id) > 1)
        or (f.phone_key is not null and count(*) filter (where f.potential) over (partition by f.phone_key) > 1)
        or (f.email_key is not null and count(*) filter (where f.potential) over (partition by f.email_key) > 1)
      ),
      greatest(f.completed_at + make_interval(mins => f.delay_minutes), v_now),
      f.require_approval, f.follow_ups, f.follow_up_days, f.send_window_start, f.send_window_end
    )::private.review_candidate
    from flagged f
    order by f.ord
  );

  -- Stage 2: rows that could be asked but share a job, customer, phone or email with another such
  -- row, in order: the first is asked, a later one only if no row asked before it shares a key.
  -- Usually none; a loop over just these keeps the rest set-based.
  for v_row in select x.* from unnest(v_rows) x where x.involved order by x.ord loop
    if v_row.job_id = any (v_acc_jobs)
       or v_row.customer_id = any (v_acc_customers)
       or v_row.phone_key = any (v_acc_phones)
       or v_row.email_key = any (v_acc_emails) then
      v_rejected := v_rejected || v_row.ord;
    else
      v_acc_jobs := v_acc_jobs || v_row.job_id;
      v_acc_customers := v_acc_customers || v_row.customer_id;
      if v_row.phone_key is not null then v_acc_phones := v_acc_phones || v_row.phone_key; end if;
      if v_row.email_key is not null then v_acc_emails := v_acc_emails || v_row.email_key; end if;
    end if;
  end loop;

  -- Stage 3 (ask_recent / preview): pace the first messages, at most backfill_per_hour an hour,
  -- each on the earliest free slot inside its recipient's send window. One business per call.
  if v_recheck then
    select s.backfill_per_hour into v_per_hour
    from public.review_settings s
    where s.business_id = (select c.business_id from public.job_completions c where c.id = any (p_completion_ids) limit 1);
    v_spacing := make_interval(secs => 3600.0 / coalesce(v_per_hour, 1));
    -- After the slots an earlier "Ask recent customers" still has pending, so two batches do not
    -- double the rate.
    select greatest(v_now, max(m.due_at) + v_spacing) into v_start
    from public.review_messages m
    join public.review_requests r on r.id = m.request_id
    where r.origin = 'ask_recent' and m.step = 0 and m.status in ('held', 'scheduled')
      and r.business_id = (select c.business_id from public.job_completions c where c.id = any (p_completion_ids) limit 1);
    v_start := coalesce(v_start, v_now);

    for v_row in
      select x.* from unnest(v_rows) x where x.potential and not (x.ord = any (v_rejected)) order by x.ord
    loop
      v_zi := array_position(v_zone_names, v_row.zone);
      if v_zi is null then
        v_zone_names := v_zone_names || v_row.zone;
        v_zone_next := v_zone_next || 0;
        v_zi := cardinality(v_zone_names);
      end if;
      v_k := v_zone_next[v_zi];
      loop
        v_t := v_start + v_spacing * v_k;
        v_in_window := private.review_in_send_window(v_t, v_row.zone, v_row.window_start, v_row.window_end);
        if v_in_window > v_t then
          -- Outside the window: jump to the first slot at or after the window opens.
          v_k := greatest(v_k + 1,
            ceil(extract(epoch from v_in_window - v_start) / extract(epoch from v_spacing))::integer);
        elsif v_k = any (v_used) then
          v_k := v_k + 1;
        else
          exit;
        end if;
      end loop;
      v_used := v_used || v_k;
      v_zone_next[v_zi] := v_k + 1;
      v_slot_ords := v_slot_ords || v_row.ord;
      v_slot_times := v_slot_times || (v_start + v_spacing * v_k);
    end loop;
  end if;

  -- Stage 4: final reasons and details, then the writes, in one statement.
  return query
  with rows as materialized (
    select x.*, x.potential and not (x.ord = any (v_rejected)) as accepted
    from unnest(v_rows) x
  ),
  asked as materialized (
    select r.*, gen_random_uuid() as request_id, coalesce(sl.t, r.due0) as step0_due, sl.t is not null as paced
    from rows r
    left join unnest(v_slot_ords, v_slot_times) sl(ord, t) on sl.ord = r.ord
    where r.accepted
  ),
  schedule as materialized (
    select a.ord, a.request_id, a.business_id, a.channel, a.to_address, a.zone, st.step, st.due_at,
           private.review_in_send_window(st.due_at, a.zone, a.window_start, a.window_end) as scheduled_for,
           case when a.require_approval then 'held' else 'scheduled' end as status
    from asked a
    cross join lateral (
      select n as step, private.review_step_due(a.step0_due, n, a.follow_up_days, a.zone) as due_at
      from generate_series(0, a.follow_ups) n
    ) st
  ),
  -- Rules 6, 11 and 12 against rows asked earlier in this batch.
  batch_job as (
    select distinct on (r.ord) r.ord, a.request_id
    from rows r join asked a on a.job_id = r.job_id and a.ord < r.ord
    where r.early_reason is null and not r.accepted
    order by r.ord, a.ord desc
  ),
  batch_customer as (
    select distinct on (r.ord) r.ord, a.request_id
    from rows r join asked a on a.customer_id = r.customer_id and a.ord < r.ord
    where r.early_reason is null and r.mid_reason is null and not r.accepted
      and r.late_reason is distinct from 'recently_asked'
    order by r.ord, a.ord desc
  ),
  batch_household as (
    select distinct on (h.ord) h.ord, h.request_id, h.other_customer_id, h.shared
    from (
      select r.ord, a.ord as a_ord, a.request_id, a.customer_id as other_customer_id, 'phone' as shared
      from rows r join asked a on a.phone_key = r.phone_key and a.ord < r.ord and a.customer_id <> r.customer_id
      where r.early_reason is null and r.mid_reason is null and r.late_reason is null and not r.accepted
      union all
      select r.ord, a.ord, a.request_id, a.customer_id, 'email'
      from rows r join asked a on a.email_key = r.email_key and a.ord < r.ord and a.customer_id <> r.customer_id
      where r.early_reason is null and r.mid_reason is null and r.late_reason is null and not r.accepted
    ) h
    order by h.ord, h.a_ord desc, h.shared desc
  ),
  decided as materialized (
    select r.ord, r.completion_id, r.business_id, r.job_id, r.customer_id, a.request_id,
      case
        when r.accepted and r.require_approval then 'held'
        when r.accepted then 'requested'
        when r.early_reason is not null then r.early_reason
        when bj.ord is not null then 'already_requested'
        when r.mid_reason is not null then r.mid_reason
        when r.late_reason = 'recently_asked' or bc.ord is not null then 'recently_asked'
        when r.late_reason is not null or bh.ord is not null then 'household_recently_asked'
      end as reason,
      case
        when r.accepted then jsonb_build_object(
          'channel', a.channel, 'scheduled_for', s0.scheduled_for,
          'moved_for_send_window', s0.scheduled_for <> s0.due_at, 'time_zone', a.zone)
          || case when a.paced then jsonb_build_object('paced', true) else '{}'::jsonb end
        when r.early_reason is not null then r.early_detail
        when bj.ord is not null then jsonb_build_object('previous_request_id', bj.request_id, 'previous_asked_at', v_now)
        when r.mid_reason is not null then r.mid_detail
        when r.late_reason = 'recently_asked' then r.late_detail
        when bc.ord is not null then jsonb_build_object('previous_request_id', bc.request_id, 'previous_asked_at', v_now)
        when r.late_reason is not null then r.late_detail
        else jsonb_build_object('other_customer_id', bh.other_customer_id, 'shared', bh.shared,
          'previous_request_id', bh.request_id, 'previous_asked_at', v_now)
      end
      || case when v_recheck then jsonb_build_object('previous_reason', 'historical') else '{}'::jsonb end as detail,
      a.channel, s0.scheduled_for
    from rows r
    left join asked a on a.ord = r.ord
    left join schedule s0 on s0.ord = r.ord and s0.step = 0
    left join batch_job bj on bj.ord = r.ord
    left join batch_customer bc on bc.ord = r.ord
    left join batch_household bh on bh.ord = r.ord
  ),
  new_decisions as (
    insert into public.review_decisions (completion_id, business_id, job_id, customer_id, outcome, reason, detail, decided_at)
    select d.completion_id, d.business_id, d.job_id, d.customer_id,
           case when d.reason in ('requested', 'held') then d.reason else 'skipped' end, d.reason, d.detail, v_now
    from decided d
    where p_mode = 'new'
    on conflict on constraint review_decisions_completion_id_key do nothing
    returning 1
  ),
  redecided as (
    update public.review_decisions rd set
      outcome = case when d.reason in ('requested', 'held') then d.reason else 'skipped' end,
      reason = d.reason,
      detail = d.detail,
      decided_at = v_now
    from decided d
    where p_mode = 'ask_recent' and rd.completion_id = d.completion_id
    returning 1
  ),
  new_requests as (
    insert into public.review_requests (id, business_id, completion_id, job_id, customer_id, state, origin,
                                        time_zone, link_token, unsubscribe_token)
    select a.request_id, a.business_id, a.completion_id, a.job_id, a.customer_id,
           case when a.require_approval then 'held' else 'scheduled' end,
           case when v_recheck then 'ask_recent' else 'automatic' end,
           a.zone,
           translate(encode(extensions.gen_random_bytes(16), 'base64'), '+/=', '-_'),
           translate(encode(extensions.gen_random_bytes(16), 'base64'), '+/=', '-_')
    from asked a
    where p_mode <> 'preview'
    returning 1
  ),
  new_messages as (
    insert into public.review_messages (request_id, business_id, step, channel, to_address, due_at, scheduled_for, status)
    select s.request_id, s.business_id, s.step, s.channel, s.to_address, s.due_at, s.scheduled_for, s.status
    from schedule s
    where p_mode <> 'preview'
    returning 1
  )
  select d.completion_id,
         case when d.reason in ('requested', 'held') then d.reason else 'skipped' end,
         d.reason, d.request_id, d.channel, d.scheduled_for
  from decided d
  order by d.ord;
end
$$;

-- The trigger: one statement-level call per INSERT on job_completions, however many rows.
create function private.review_decide_new_completions() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform count(*) from private.review_decide(array(select n.id from new_completions n), 'new');
  return null;
end
$$;

create trigger review_decide after insert on public.job_completions
  referencing new table as new_completions
  for each statement execute function private.review_decide_new_completions();

call private.restrict_to_service_role('review\_%');
revoke all on function private.review_decide_new_completions() from public, anon, authenticated;
