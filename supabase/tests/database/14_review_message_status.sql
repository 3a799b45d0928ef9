-- private.review_message_advance: a message's status only moves forward, whatever order and
-- however often the sender and the providers report; the request's state follows its messages.
begin;
select plan(32);

select tests.create_review_fixture();
do $$
begin
  perform tests.customer('jane', 'business_a', '+12125550101', 'jane@example.com');
  perform tests.customer('kim', 'business_a', '+12125550102', 'kim@example.com');
  perform tests.job('job_jane', 'business_a', 'jane');
  perform tests.job('job_kim', 'business_a', 'kim');
  perform tests.complete('job_jane');
  perform tests.complete('job_kim');
  perform set_config('fixture.request', (select id::text from public.review_requests where job_id = tests.id('job_jane')), true);
  perform set_config('fixture.step0', (select id::text from public.review_messages where request_id = tests.id('request') and step = 0), true);
  perform set_config('fixture.step1', (select id::text from public.review_messages where request_id = tests.id('request') and step = 1), true);
  perform set_config('fixture.kim0', (select m.id::text from public.review_messages m join public.review_requests r on r.id = m.request_id
                                        where r.job_id = tests.id('job_kim') and m.step = 0), true);
end
$$;

select is(has_function_privilege('authenticated', 'private.review_message_advance(uuid,text,timestamptz,text,text,text,text,text)', 'execute'),
  false, 'signed-in users cannot move message statuses');
set local role service_role;

select is(private.review_message_advance(tests.id('step0'), 'sending'), true, 'scheduled -> sending');
select is((select attempts from public.review_messages where id = tests.id('step0')), 1, 'a hand-over to the provider counts an attempt');
select is(private.review_message_advance(tests.id('step0'), 'queued', '2026-05-01 14:00:00+00', null, null, 'twilio', 'SM111'),
  true, 'sending -> queued, with the provider''s id');
select results_eq(
  $$select status, provider, provider_message_id, sent_at from public.review_messages where id = tests.id('step0')$$,
  $$values ('queued'::text, 'twilio'::text, 'SM111'::text, '2026-05-01 14:00:00+00'::timestamptz)$$,
  'queued: sent_at is when the provider took it');
select is((select state from public.review_requests where id = tests.id('request')), 'in_progress',
  'the request is in progress once its first message is with the provider');
select is(private.review_message_advance(tests.id('step0'), 'queued', '2026-05-01 14:00:05+00'), false,
  'the same status again is a no-op');
select is(private.review_message_advance(tests.id('step0'), 'delivered', '2026-05-01 14:00:09+00'), true,
  'queued -> delivered (the sent callback was lost or is late)');
select is(private.review_message_advance(tests.id('step0'), 'sent', '2026-05-01 14:00:07+00'), false,
  'a late sent callback after delivered changes nothing');
select is(private.review_message_advance(tests.id('step0'), 'failed', '2026-05-01 14:00:10+00', '30003', 'Unreachable'), false,
  'nothing moves a delivered message');
select results_eq(
  $$select status, sent_at, delivered_at, status_at, error_code from public.review_messages where id = tests.id('step0')$$,
  $$values ('delivered'::text, '2026-05-01 14:00:00+00'::timestamptz, '2026-05-01 14:00:09+00'::timestamptz,
            '2026-05-01 14:00:09+00'::timestamptz, null::text)$$,
  'delivered keeps the first sent_at and records delivered_at and status_at; the refused late failure left no error');
select is((select state from public.review_requests where id = tests.id('request')), 'in_progress',
  'with the follow-up still scheduled, the request stays in progress');

-- Duplicates and out-of-order callbacks for the follow-up
select is(private.review_message_advance(tests.id('step1'), 'sending'), true, 'the follow-up is handed over');
select is(private.review_message_advance(tests.id('step1'), 'sent', '2026-05-04 14:00:02+00', null, null, 'twilio', 'SM222'), true,
  'sending -> sent: the callback beat the sender''s own queued update');
select is(private.review_message_advance(tests.id('step1'), 'queued', '2026-05-04 14:00:01+00', null, null, 'twilio', 'SM222'), false,
  'the sender''s queued update arriving after sent is ignored');
select is(private.review_message_advance(tests.id('step1'), 'undelivered', '2026-05-04 14:00:20+00', '30005', 'Unknown destination handset'),
  true, 'sent -> undelivered keeps the carrier''s error code');
select is(private.review_message_advance(tests.id('step1'), 'undelivered', '2026-05-04 14:00:25+00', '30006', 'Landline'), false,
  'a duplicate undelivered callback is a no-op');
select results_eq(
  $$select status, error_code, error_message, sent_at from public.review_messages where id = tests.id('step1')$$,
  $$values ('undelivered'::text, '30005'::text, 'Unknown destination handset'::text, '2026-05-04 14:00:02+00'::timestamptz)$$,
  'the first error is kept and sent_at is when it was sent');
select is((select state from public.review_requests where id = tests.id('request')), 'done',
  'with nothing left to send, the request is done');

-- Refusals, retries and cancellation
select is(private.review_message_advance(tests.id('kim0'), 'sending'), true, 'Kim''s first message is handed over');
select is(private.review_message_retry_later(tests.id('kim0'), now() + interval '10 minutes', '20429', 'Too many requests'), true,
  'a 429 sends it back to scheduled for later');
select results_eq(
  $$select status, scheduled_for > now(), error_code from public.review_messages where id = tests.id('kim0')$$,
  $$values ('scheduled'::text, true, '20429'::text)$$,
  'the retry is scheduled later with the provider''s code');
select is(private.review_message_retry_later(tests.id('step0'), now()), false, 'retry_later never touches a message that is not sending');
select is(private.review_message_advance(tests.id('kim0'), 'sending'), true, 'handed over again');
select is((select attempts from public.review_messages where id = tests.id('kim0')), 2, 'two attempts');
select is(private.review_message_advance(tests.id('kim0'), 'cancelled', null, null, null, null, null, 'job_reopened'), false,
  'a message already with the provider cannot be cancelled');
select is(private.review_message_advance(tests.id('kim0'), 'failed', null, '21211', 'Invalid To number'), true,
  'sending -> failed: the provider refused it');
select results_eq(
  $$select status, sent_at, error_code from public.review_messages where id = tests.id('kim0')$$,
  $$values ('failed'::text, null::timestamptz, '21211'::text)$$,
  'a refused message never gets a sent_at');
select is(private.review_message_advance(
    (select id from public.review_messages where request_id = (select request_id from public.review_messages where id = tests.id('kim0')) and step = 1),
    'cancelled', null, null, null, null, null, 'contact_unusable'), true,
  'a scheduled follow-up can be cancelled with a reason');
select results_eq(
  $$select state, cancel_reason from public.review_requests where job_id = tests.id('job_kim')$$,
  $$values ('cancelled'::text, 'contact_unusable'::text)$$,
  'a request nothing of which went out ends cancelled with the reason (it does not count as asked)');
select throws_ok($$select private.review_message_advance(tests.id('step1'), 'cancelled')$$, '22023',
  'Cancelling a review message needs a reason.', 'cancelling without a reason is refused');
select throws_ok($$select private.review_message_advance(tests.id('step1'), 'read')$$, '22023',
  'Unknown target status for a review message: ''read''.', 'an unknown status is refused');

reset role;
select * from finish();
rollback;
