-- Settings changed while messages are pending apply to what has not been sent yet: turning the
-- automation off or removing a channel cancels pending messages with the reason, fewer follow-ups
-- cancel the extra ones, and a new delay, follow-up spacing or send window re-times them.
begin;
select plan(17);

select tests.create_review_fixture();
update public.review_settings set follow_ups = 2, follow_up_days = 3 where business_id = tests.id('business_a');
do $$
begin
  perform tests.customer('texter', 'business_a', '+12125550101', null);
  perform tests.customer('mailer', 'business_a', null, 'mailer@example.com');
  perform tests.customer('started', 'business_a', null, 'started@example.com');
  perform tests.job('texter_job', 'business_a', 'texter');
  perform tests.job('mailer_job', 'business_a', 'mailer');
  perform tests.job('started_job', 'business_a', 'started');
  -- Completed in 2027 so every due time is fixed: 2027-05-03 (a Monday) 12:00 New York.
  perform tests.complete('texter_job', '2027-05-03 12:00:00 America/New_York');
  perform tests.complete('mailer_job', '2027-05-03 12:00:00 America/New_York');
  perform tests.complete('started_job', '2027-05-03 12:00:00 America/New_York');
  -- started: its first email already went out.
  perform private.review_message_advance(m.id, 'sending') from public.review_messages m
    join public.review_requests r on r.id = m.request_id where r.job_id = tests.id('started_job') and m.step = 0;
  perform private.review_message_advance(m.id, 'delivered') from public.review_messages m
    join public.review_requests r on r.id = m.request_id where r.job_id = tests.id('started_job') and m.step = 0;
end
$$;

create function pg_temp.schedule(job text) returns table (step integer, status text, scheduled_for timestamptz, cancel_reason text)
language sql as $$
  select m.step, m.status, m.scheduled_for, m.cancel_reason from public.review_messages m
  join public.review_requests r on r.id = m.request_id where r.job_id = tests.id(job) order by m.step
$$;
create function pg_temp.request(job text) returns text language sql as $$
  select r.state || coalesce('/' || r.cancel_reason, '') from public.review_requests r where r.job_id = tests.id(job)
$$;

-- Re-timing: a later window, a longer delay, wider follow-up spacing
update public.review_settings set delay_minutes = 120, follow_up_days = 7, send_window_start = '15:00', send_window_end = '20:00'
where business_id = tests.id('business_a');
select results_eq($$select step, status, scheduled_for from pg_temp.schedule('texter_job')$$,
  $$values (0, 'scheduled'::text, '2027-05-03 15:00:00 America/New_York'::timestamptz),
           (1, 'scheduled', '2027-05-10 15:00:00 America/New_York'::timestamptz),
           (2, 'scheduled', '2027-05-17 15:00:00 America/New_York'::timestamptz)$$,
  'pending messages follow the new delay (due 14:00), the new window (moved to 15:00) and the new spacing (7 days)');
select results_eq($$select step, status, scheduled_for from pg_temp.schedule('started_job')$$,
  $$values (0, 'delivered'::text, '2027-05-03 12:00:00 America/New_York'::timestamptz),
           (1, 'scheduled', '2027-05-10 15:00:00 America/New_York'::timestamptz),
           (2, 'scheduled', '2027-05-17 15:00:00 America/New_York'::timestamptz)$$,
  'a message already sent is left alone; its follow-ups are spaced from when it was due');
update public.review_settings set delay_minutes = 0, follow_up_days = 3, send_window_start = '08:00', send_window_end = '21:00'
where business_id = tests.id('business_a');
select results_eq($$select step, scheduled_for from pg_temp.schedule('texter_job')$$,
  $$values (0, '2027-05-03 12:00:00 America/New_York'::timestamptz), (1, '2027-05-06 12:00:00 America/New_York'::timestamptz),
           (2, '2027-05-09 12:00:00 America/New_York'::timestamptz)$$,
  'changing them back restores the original times');

-- Fewer follow-ups
update public.review_settings set follow_ups = 1 where business_id = tests.id('business_a');
select results_eq($$select step, status, cancel_reason from pg_temp.schedule('texter_job')$$,
  $$values (0, 'scheduled'::text, null::text), (1, 'scheduled', null), (2, 'cancelled', 'follow_ups_reduced')$$,
  'a follow-up past the new count is cancelled with the reason');
update public.review_settings set follow_ups = 3 where business_id = tests.id('business_a');
select is((select count(*)::int from pg_temp.schedule('texter_job')), 3, 'more follow-ups apply to new requests only (no step is added)');
select is((select status from pg_temp.schedule('texter_job') where step = 2), 'cancelled', 'and a cancelled follow-up stays cancelled');

-- A channel removed
update public.review_settings set channels = '{email}' where business_id = tests.id('business_a');
select is((select array_agg(status || '/' || cancel_reason order by step) from pg_temp.schedule('texter_job')),
  array['cancelled/channel_removed', 'cancelled/channel_removed', 'cancelled/follow_ups_reduced'],
  'removing SMS cancels the pending text messages with the reason');
select is(pg_temp.request('texter_job'), 'cancelled/channel_removed', 'a request that sent nothing is cancelled with that reason');
select is(pg_temp.request('mailer_job'), 'scheduled', 'requests by email are untouched');
select tests.job('texter_job2', 'business_a', 'texter');
select tests.complete('texter_job2');
select is(tests.decision('texter_job2'), 'no_contact', 'the cancelled request does not count: the next job is decided afresh (no email, so no_contact)');
update public.review_settings set channels = '{sms,email}' where business_id = tests.id('business_a');
select is(pg_temp.request('texter_job'), 'cancelled/channel_removed', 'adding the channel back does not revive cancelled messages');

-- Automation off
update public.review_settings set enabled = false where business_id = tests.id('business_a');
select is((select array_agg(status || '/' || cancel_reason order by step) from pg_temp.schedule('mailer_job')),
  array['cancelled/automation_off', 'cancelled/automation_off', 'cancelled/follow_ups_reduced'],
  'turning review requests off cancels every pending message with the reason (the earlier cancellation keeps its own)');
select is(pg_temp.request('mailer_job'), 'cancelled/automation_off', 'a request that sent nothing is cancelled');
select results_eq($$select step, status from pg_temp.schedule('started_job')$$,
  $$values (0, 'delivered'::text), (1, 'cancelled'), (2, 'cancelled')$$,
  'a request already under way keeps what was sent; its follow-ups are cancelled');
select is(pg_temp.request('started_job'), 'done', 'and it is done: it still counts as asked');
select is((select count(*)::int from public.review_messages where business_id = tests.id('business_a') and status in ('held', 'scheduled')), 0,
  'nothing is left to send once the automation is off');
update public.review_settings set enabled = true where business_id = tests.id('business_a');
select is(pg_temp.request('mailer_job'), 'cancelled/automation_off', 'turning it back on does not revive what was cancelled');

select * from finish();
rollback;
