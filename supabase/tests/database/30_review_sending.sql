-- The review sender's SQL (SPEC §10 "Sending"): claims under the worker lease with SKIP LOCKED and
-- the one lease guard, the send-time checks in their order, `sending` with the content handed
-- over, the provider's answers forward only, the tracked link's click, and the wake when a
-- message falls due within a minute.
begin;
select plan(42);

-- What reaches pg_net is recorded instead (the transaction rolls the stand-in back).
create temporary table posted (id bigserial, fn text, body jsonb);
create or replace function private.invoke_edge_function(p_name text, p_body jsonb, p_timeout_ms integer default 5000)
returns bigint language sql as $$ insert into pg_temp.posted (fn, body) values (p_name, p_body) returning id $$;

select tests.create_review_fixture();
update private.worker_tasks set wake_pending_since = null where task = 'send_review_messages';
do $$
begin
  perform tests.customer('jane', 'business_a', '+12125550101', 'jane@example.com');
  perform tests.customer('kim', 'business_a', '+12125550102', null);
  perform tests.job('job_jane', 'business_a', 'jane');
  perform tests.job('job_kim', 'business_a', 'kim');
  insert into public.job_visits (business_id, job_id, external_id, completed_at, assigned_to)
  values (tests.id('business_a'), tests.id('job_jane'), 'visit-jane', now() - interval '1 hour', '{Sam Lee,Alex Kim}');
  -- Due at 15:00 New York (inside the window) whatever the time of the test run.
  perform set_config('fixture.t0', (date_trunc('day', now() at time zone 'America/New_York') + interval '15 hours')::text, true);
end
$$;
-- Both decided in one statement: one wake, however many messages fall due. Decided inside an
-- all-day window, so "due now" holds at any hour of the run; the usual window is back below.
update public.review_settings set send_window_start = '00:00', send_window_end = '23:59'
where business_id = tests.id('business_a');
insert into public.job_completions (business_id, job_id, customer_id, kind, completed_at, source)
select j.business_id, j.id, j.customer_id, 'job_closed', now(), 'webhook' from public.jobs j
where j.id in (tests.id('job_jane'), tests.id('job_kim'));
do $$
begin
  perform set_config('fixture.req_jane', (select id::text from public.review_requests where job_id = tests.id('job_jane')), true);
  perform set_config('fixture.req_kim', (select id::text from public.review_requests where job_id = tests.id('job_kim')), true);
  perform set_config('fixture.jane0', (select id::text from public.review_messages where request_id = tests.id('req_jane') and step = 0), true);
  perform set_config('fixture.jane1', (select id::text from public.review_messages where request_id = tests.id('req_jane') and step = 1), true);
  perform set_config('fixture.kim0', (select id::text from public.review_messages where request_id = tests.id('req_kim') and step = 0), true);
end
$$;

-- Waking
select is((select count(*)::int from pg_temp.posted where body = '{"task": "send_review_messages"}'), 1,
  'messages decided due now wake the sender once per statement');
update private.worker_tasks set wake_pending_since = null where task = 'send_review_messages';
update public.review_messages set status = 'held' where id = tests.id('jane1');
update public.review_messages set status = 'scheduled', scheduled_for = now() + interval '30 days' where id = tests.id('jane1');
select is((select count(*)::int from pg_temp.posted where body = '{"task": "send_review_messages"}'), 1,
  'a message approved for later does not wake it');
update public.review_messages set status = 'held' where id = tests.id('jane1');
update public.review_messages set status = 'scheduled', scheduled_for = now() + interval '20 seconds' where id = tests.id('jane1');
select is((select count(*)::int from pg_temp.posted where body = '{"task": "send_review_messages"}'), 2,
  'one falling due within a minute does');
update public.review_messages set scheduled_for = now() + interval '3 days' where id = tests.id('jane1');
update public.review_settings set send_window_start = '08:00', send_window_end = '21:00'
where business_id = tests.id('business_a');
-- The worker's clock from here on: 15:00 in New York today, inside the window, whatever the hour
-- the tests run; the step-0 messages are due then.
select (current_setting('fixture.t0')::timestamp at time zone 'America/New_York') as clock \gset
update public.review_messages set scheduled_for = :'clock' where id in (tests.id('jane0'), tests.id('kim0'));

-- Grants
select is(has_function_privilege('authenticated', 'private.review_send_claim(text,timestamptz,integer,integer)', 'execute'), false,
  'signed-in users cannot claim messages');
select is(has_function_privilege('anon', 'private.review_record_click(text,timestamptz)', 'execute'), false,
  'anonymous callers cannot record clicks (review-link does, with the service role)');
select is(has_table_privilege('authenticated', 'private.review_message_contents', 'select'), false,
  'the content handed to a provider (it carries the link token) is not readable by users');

set local role service_role;
select private.worker_lease_take('send_review_messages', 60000) as a \gset owner_
select private.worker_lease_take('send_review_messages', 60000) as b \gset owner_

-- Claims
select set_eq(
  format($$select message_id from private.review_send_claim(%L, %L::timestamptz + interval '1 minute', 10)$$,
         :'owner_a', :'clock'::timestamptz),
  format('values (%L::uuid), (%L::uuid)', tests.id('jane0'), tests.id('kim0')),
  'a claim takes the due messages, not the follow-up days ahead');
select is((select lease_owner from public.review_messages where id = tests.id('jane0')), :'owner_a', 'and names its holder');
select is(
  (select count(*)::int from private.review_send_claim(:'owner_b', :'clock'::timestamptz + interval '30 days', 10) c
    where c.message_id in (tests.id('jane0'), tests.id('kim0'))),
  0, 'messages held under a live lease are not claimed by another worker');
select throws_ok(
  format($$select private.review_send_prepare(%L, %L, %L, '{sms,email}')$$, tests.id('jane0'), :'owner_b', :'clock'),
  'BJ007', null, 'only the holder may write a claimed message (the one lease guard)');

-- The send-time checks
select is(private.review_send_verdict(tests.id('jane0'), :'clock'::timestamptz, '{sms,email}') ->> 'action',
  'send', 'a due message that passes every check is sent');
select results_eq(
  format($$select v ->> 'channel', v ->> 'to_address', v -> 'render' ->> 'first_name', v -> 'render' -> 'technicians', v -> 'render' ->> 'business_name'
           from private.review_send_verdict(%L, %L, '{sms,email}') v$$,
         tests.id('jane0'), :'clock'::timestamptz),
  $$values ('sms', '+12125550101', 'Jane', '["Sam Lee", "Alex Kim"]'::jsonb, 'Fixture A')$$,
  'to the customer''s phone, rendered with her first name and the visit''s technicians');
select results_eq(
  format($$select v ->> 'action', v ->> 'channel', v ->> 'to_address' from private.review_send_verdict(%L, %L, '{email}') v$$,
         tests.id('jane0'), :'clock'::timestamptz),
  $$values ('send', 'email', 'jane@example.com')$$,
  'SMS not configured: the next channel in the settings'' order with a usable contact');
select results_eq(
  format($$select v ->> 'action', v ->> 'reason' from private.review_send_verdict(%L, %L, '{}') v$$,
         tests.id('jane0'), :'clock'::timestamptz),
  $$values ('fail', 'channel_unavailable')$$,
  'no channel configured that she can receive: channel_unavailable');
select results_eq(
  format($$select v ->> 'action', v ->> 'retry_at' from private.review_send_verdict(%L, %L, '{sms,email}') v$$,
         tests.id('jane0'), (current_setting('fixture.t0')::timestamp + interval '7 hours') at time zone 'America/New_York'),
  format($$values ('retime', %L)$$, to_jsonb((current_setting('fixture.t0')::timestamp + interval '17 hours') at time zone 'America/New_York') #>> '{}'),
  'at 22:00 in her zone: re-timed to 08:00 the next morning, not sent');
update public.customers set phone = null where id = tests.id('kim');
select results_eq(
  format($$select v ->> 'action', v ->> 'reason' from private.review_send_verdict(%L, %L, '{sms,email}') v$$, tests.id('kim0'), :'clock'),
  $$values ('cancel_message', 'no_contact')$$,
  'no usable contact left on any channel: this message is cancelled (no_contact)');
update public.customers set phone = '+12125550102' where id = tests.id('kim');
update public.integrations_jobber set connection_status = 'error', needs_reconnect = true where business_id = tests.id('business_a');
select results_eq(
  format($$select v ->> 'action', v ->> 'reason' from private.review_send_verdict(%L, %L, '{sms,email}') v$$, tests.id('kim0'), :'clock'),
  $$values ('cancel_request', 'not_connected')$$,
  'the business lost its Jobber connection: the request is cancelled (not_connected)');
update public.integrations_jobber set connection_status = 'connected', needs_reconnect = false where business_id = tests.id('business_a');
-- An opt-out cancels waiting requests the moment it is recorded (the opt-out trigger); the sender
-- checks again at send time all the same, shown here with that trigger off.
reset role;
alter table public.contact_opt_outs disable trigger cancel_pending_requests;
set local role service_role;
insert into public.contact_opt_outs (business_id, channel, address, source) values (tests.id('business_a'), 'email', 'Jane@Example.com', 'manual');
select results_eq(
  format($$select v ->> 'action', v ->> 'reason' from private.review_send_verdict(%L, %L, '{sms,email}') v$$, tests.id('jane0'), :'clock'),
  $$values ('cancel_request', 'opted_out')$$,
  'any of her contacts opted out, on any channel: the request is cancelled (opted_out)');
delete from public.contact_opt_outs where business_id = tests.id('business_a');
reset role;
alter table public.contact_opt_outs enable trigger cancel_pending_requests;
set local role service_role;

-- Marking sending, then the provider's answers
select results_eq(
  format($$select v ->> 'action' from private.review_send_start(%L, %L, %L, '{sms,email}', 'sms', '+12125550101',
                                                              '{"channel": "sms", "body": "Hi Jane"}') v$$,
         tests.id('jane0'), :'owner_a', :'clock'::timestamptz),
  $$values ('sending')$$, 'the checks pass again under the lock: sending');
select results_eq(
  format('select status, attempts, status_at from public.review_messages where id = %L', tests.id('jane0')),
  format($$values ('sending'::text, 1, %L::timestamptz)$$, :'clock'::timestamptz),
  'one attempt, at the worker''s clock');
reset role;
select is((select content ->> 'body' from private.review_message_contents where message_id = tests.id('jane0')), 'Hi Jane',
  'exactly what goes to the provider is kept for a crash lookup');
set local role service_role;
select results_eq(
  format($$select v ->> 'action', v ->> 'reason' from private.review_send_start(%L, %L, %L, '{sms,email}', 'email', 'kim@example.com', '{}') v$$,
         tests.id('kim0'), :'owner_a', :'clock'),
  $$values ('skip', 'contact_changed')$$,
  'a send on another channel or address than the checks chose is refused');
select is((select status from public.review_messages where id = tests.id('kim0')), 'scheduled', '... and the message stays scheduled');

select is(private.review_send_record(tests.id('jane0'), :'owner_a', :'clock'::timestamptz, 'accepted', 'twilio', 'SM' || repeat('c', 32)), true,
  'the provider took it');
select results_eq(
  format('select status, provider, provider_message_id, lease_owner from public.review_messages where id = %L', tests.id('jane0')),
  format($$values ('queued'::text, 'twilio'::text, %L::text, null::text)$$, 'SM' || repeat('c', 32)),
  'queued (never sent: the provider only took it), with its id, and let go');
reset role;
select is((select count(*)::int from private.review_message_contents where message_id = tests.id('jane0')), 0,
  'the content is forgotten once answered');
set local role service_role;
select is((select state from public.review_requests where id = tests.id('req_jane')), 'in_progress',
  'a step sent, a follow-up to come: in progress');

-- A 429 puts it back; a lost answer keeps it sending to be resolved.
select private.worker_lease_take('send_review_messages', 60000) as c \gset owner_
select is((select count(*)::int from private.review_send_claim(:'owner_c', :'clock'::timestamptz + interval '1 minute', 10) c
            where c.message_id = tests.id('kim0')), 1,
  'a message let go unsent is claimable again');
select private.review_send_start(tests.id('kim0'), :'owner_c', :'clock'::timestamptz, '{sms,email}', 'sms', '+12125550102', '{"channel": "sms", "body": "Hi Kim"}');
select is(private.review_send_record(tests.id('kim0'), :'owner_c', :'clock'::timestamptz, 'retry', null, null, 'provider_unavailable', '429', null, :'clock'::timestamptz + interval '10 minutes'),
  true, 'a 429');
select results_eq(
  format('select status, scheduled_for > %L::timestamptz + interval ''9 minutes'', error_code from public.review_messages where id = %L',
         :'clock', tests.id('kim0')),
  $$values ('scheduled'::text, true, 'provider_unavailable'::text)$$,
  'is back to scheduled at the retry time');
select private.review_send_claim(:'owner_c', :'clock'::timestamptz + interval '11 minutes', 10);
select private.review_send_start(tests.id('kim0'), :'owner_c', :'clock'::timestamptz + interval '11 minutes', '{sms,email}', 'sms', '+12125550102', '{"channel": "sms", "body": "Hi Kim"}');
select private.review_send_record(tests.id('kim0'), :'owner_c', :'clock'::timestamptz, 'unknown', null, null, 'provider_unavailable', 'timeout', null, :'clock'::timestamptz + interval '20 minutes');
select results_eq(
  format('select status, attempts, lease_owner from public.review_messages where id = %L', tests.id('kim0')),
  $$values ('sending'::text, 2, null::text)$$,
  'an answer that may hide an accepted message keeps it sending, let go');
select is((select count(*)::int from private.review_send_claim(:'owner_c', :'clock'::timestamptz + interval '15 minutes', 10) c where c.message_id = tests.id('kim0')), 0,
  'not asked about again before its time');
select results_eq(
  format($$select status, content ->> 'body' from private.review_send_claim(%L, %L::timestamptz + interval '21 minutes', 10) c where c.message_id = %L$$,
         :'owner_c', :'clock', tests.id('kim0')),
  $$values ('sending'::text, 'Hi Kim'::text)$$,
  'then claimed as sending, with what was handed over, to ask the provider');
select is(private.review_send_record(tests.id('kim0'), :'owner_c', :'clock'::timestamptz, 'refused', 'twilio', null, '21610', 'STOP', 'opted_out'), true,
  '21610: the recipient had replied STOP');
select results_eq(
  format('select m.status, m.error_code, r.state, r.cancel_reason from public.review_messages m join public.review_requests r on r.id = m.request_id where m.id = %L', tests.id('kim0')),
  $$values ('failed'::text, '21610'::text, 'cancelled'::text, 'opted_out'::text)$$,
  'failed with Twilio''s code, the request cancelled');
select is((select source from public.contact_opt_outs where business_id = tests.id('business_a') and channel = 'sms' and address = '+12125550102'),
  'sms_stop', 'and the number opted out');

-- The tracked link
select is((select count(*)::int from private.review_record_click('AAAAAAAAAAAAAAAAAAAAAA')), 0, 'an unknown token records nothing');
select is((select review_url from private.review_link_target((select link_token from public.review_requests where id = tests.id('req_jane')))),
  'https://example.com/review', 'a preview learns where the link goes');
select is((select click_count from public.review_requests where id = tests.id('req_jane')), 0, '... without a click');
select results_eq(
  format('select review_url, first_click from private.review_record_click(%L, %L)',
         (select link_token from public.review_requests where id = tests.id('req_jane')), '2026-06-01 12:00:00+00'),
  $$values ('https://example.com/review'::text, true)$$,
  'a click says where to send the customer');
select results_eq(
  format('select state, click_count, clicked_at from public.review_requests where id = %L', tests.id('req_jane')),
  $$values ('clicked'::text, 1, '2026-06-01 12:00:00+00'::timestamptz)$$,
  'the request is clicked, counted, timed');
select results_eq(
  format('select status, cancel_reason from public.review_messages where id = %L', tests.id('jane1')),
  $$values ('cancelled'::text, 'clicked'::text)$$,
  'and its waiting follow-up is cancelled');

select * from finish();
rollback;
