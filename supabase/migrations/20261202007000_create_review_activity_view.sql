-- What the reviews card lists (SPEC §10 "The card"): one row per decision with everything needed
-- to say it in plain words - the job, its customer, the request and each of its messages with its
-- real status, and the customer's replies to those messages - built once, here, as JSON the card
-- parses with one schema (the same pattern as jobber_status). The card filters on business_id and
-- request_state and orders by decided_at, completed_at; the JSON is built only for the rows it asks for.
--
-- security_invoker keeps the caller's RLS and column grants in force: a member sees their
-- business's rows only, and the view names no token column (review_requests' link and unsubscribe
-- tokens are not granted to authenticated, so naming them would fail, not leak).
-- Timestamps are written as JavaScript's toISOString() writes them (UTC, milliseconds, "Z").
create view public.review_activity with (security_invoker = true) as
select
  d.business_id,
  d.id as decision_id,
  d.decided_at,
  c.completed_at,
  r.state as request_state,
  json_build_object(
    'decision_id', d.id,
    'outcome', d.outcome,
    'reason', d.reason,
    'detail', d.detail,
    'decided_at', to_char(d.decided_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'completion', json_build_object(
      'kind', c.kind,
      'source', c.source,
      'completed_at', to_char(c.completed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    ),
    'job', json_build_object(
      'id', j.id,
      'title', j.title,
      'job_number', j.job_number,
      'total', j.total,
      'deleted', j.deleted_at is not null
    ),
    'customer', case when cu.id is not null then json_build_object(
      'id', cu.id, 'name', cu.full_name, 'status', cu.status) end,
    -- "Bob, who shares Jane's phone, was asked 12 days ago" needs the housemate's name.
    'other_customer_name', (
      select o.full_name from public.customers o
      where d.reason = 'household_recently_asked' and o.id = (d.detail ->> 'other_customer_id')::uuid),
    'request', case when r.id is not null then json_build_object(
      'id', r.id,
      'state', r.state,
      'origin', r.origin,
      'cancel_reason', r.cancel_reason,
      'clicked_at', to_char(r.clicked_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'click_count', r.click_count,
      'approved_at', to_char(r.approved_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'messages', coalesce((
        select json_agg(json_build_object(
          'id', m.id,
          'step', m.step,
          'channel', m.channel,
          'to_address', m.to_address,
          'status', m.status,
          'scheduled_for', to_char(m.scheduled_for at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'sent_at', to_char(m.sent_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'delivered_at', to_char(m.delivered_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'status_at', to_char(m.status_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'error_code', m.error_code,
          'cancel_reason', m.cancel_reason
        ) order by m.step)
        from public.review_messages m where m.request_id = r.id), '[]'::json),
      -- Inbound texts the messaging webhooks attributed to one of this request's messages.
      'replies', coalesce((
        select json_agg(json_build_object(
          'id', rp.id,
          'channel', rp.channel,
          'body', rp.body,
          'received_at', to_char(rp.received_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
        ) order by rp.received_at, rp.id)
        from public.review_replies rp
        join public.review_messages rm on rm.id = rp.message_id
        where rm.request_id = r.id), '[]'::json)
    ) end
  ) as activity
from public.review_decisions d
join public.job_completions c on c.id = d.completion_id
join public.jobs j on j.id = d.job_id
left join public.customers cu on cu.id = d.customer_id
left join public.review_requests r on r.completion_id = d.completion_id;

grant select on public.review_activity to authenticated, service_role;

-- Replies are found by the message they answer (the view above, once per listed request).
create index review_replies_message_id_idx on public.review_replies (message_id) where message_id is not null;
