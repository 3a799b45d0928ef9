-- The reviews card's chart (SPEC §10 "The card"): for each of the last p_days days, in the
-- business's own time zone, how many review requests were sent, delivered and clicked. Counted
-- per request, each on the day it first got there, so the three lines read as a funnel (a request
-- whose step 0 and follow-up were both delivered counts once). "Sent" means the provider said it
-- sent the message (sent, delivered or undelivered): a message it only accepted (queued) or then
-- failed is not sent (SPEC §10: never "sent" for what the provider only accepted).
--
-- The card calls it with supabase.rpc as the signed-in user; any member may read it. Security
-- definer so the aggregate can use the indexes below without RLS's per-row check; the membership
-- check is the first thing it does (BJ001 for a non-member and for an unknown business alike).

-- The chart's reads: a business's sent messages and clicked requests by time.
create index review_messages_business_sent_idx on public.review_messages (business_id, sent_at)
  where sent_at is not null;
create index review_requests_business_clicked_idx on public.review_requests (business_id, clicked_at)
  where clicked_at is not null;

create function public.review_chart(p_business_id uuid, p_days integer default 30)
returns table (day date, sent integer, delivered integer, clicked integer)
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_zone text;
  v_today date;
  v_from timestamptz;
begin
  perform private.assert_business_role(p_business_id, auth.uid());
  if p_days is null or p_days not between 1 and 90 then
    raise exception using errcode = '22023', message = 'days must be between 1 and 90.';
  end if;
  select case when private.review_is_known_time_zone(b.timezone) then b.timezone else 'UTC' end
  into v_zone from public.businesses b where b.id = p_business_id;
  v_today := (now() at time zone v_zone)::date;
  v_from := (v_today - (p_days - 1))::timestamp at time zone v_zone;

  return query
  with firsts as (
    -- A journey lasts at most 3 follow-ups x 30 days (plus delays and pacing): messages sent more
    -- than 100 days before the window cannot hold a request's first send or delivery within it.
    select m.request_id,
      min(m.sent_at) filter (where m.status in ('sent', 'delivered', 'undelivered')) as sent_at,
      min(m.delivered_at) as delivered_at
    from public.review_messages m
    where m.business_id = p_business_id and m.sent_at is not null
      and m.sent_at >= v_from - interval '100 days'
    group by m.request_id
  ),
  events as (
    select 'sent' as kind, (f.sent_at at time zone v_zone)::date as on_day from firsts f where f.sent_at >= v_from
    union all
    select 'delivered', (f.delivered_at at time zone v_zone)::date from firsts f where f.delivered_at >= v_from
    union all
    select 'clicked', (r.clicked_at at time zone v_zone)::date
    from public.review_requests r
    where r.business_id = p_business_id and r.clicked_at >= v_from
  )
  select g.on_day::date,
    (count(e.kind) filter (where e.kind = 'sent'))::integer,
    (count(e.kind) filter (where e.kind = 'delivered'))::integer,
    (count(e.kind) filter (where e.kind = 'clicked'))::integer
  from generate_series(v_today - (p_days - 1), v_today, interval '1 day') g(on_day)
  left join events e on e.on_day = g.on_day::date
  group by g.on_day
  order by g.on_day;
end
$$;

revoke all on function public.review_chart(uuid, integer) from public, anon;
grant execute on function public.review_chart(uuid, integer) to authenticated, service_role;
