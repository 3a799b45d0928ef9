-- Provider reports (Twilio status callbacks, Resend events) about review messages: they move a
-- message forward only, however often and in whatever order they come; one that arrives before the
-- sender recorded the provider's id waits and is applied then; unknown ids change nothing; what a
-- report says about the contact (landline, bounce, complaint) reaches that business's customers only.
begin;
select plan(43);

select tests.create_review_fixture();
do $$
begin
  perform tests.customer('jane', 'business_a', '+12125550101', 'jane@example.com');
  -- Jane's household shares her landline; the same person is also a customer of business B.
  perform tests.customer('jane_home', 'business_a', '+12125550101', 'home@example.com');
  perform tests.customer('jane_b', 'business_b', '+12125550101', 'jane@example.com');
  perform tests.customer('erin', 'business_a', '+12125550104', 'erin@example.com');
  perform tests.customer('mia', 'business_a', null, 'Mia@Example.com');
  perform tests.customer('mia_b', 'business_b', null, 'mia@example.com');
  perform tests.customer('nora', 'business_a', null, 'nora@example.com');
  perform tests.job('job_jane', 'business_a', 'jane');
  perform tests.job('job_erin', 'business_a', 'erin');
  perform tests.job('job_mia', 'business_a', 'mia');
  perform tests.job('job_nora', 'business_a', 'nora');
  perform tests.complete('job_jane');
  perform tests.complete('job_erin');
  perform tests.complete('job_mia');
  perform tests.complete('job_nora');
  perform set_config('fixture.' || j || s, (
    select m.id::text from public.review_messages m join public.review_requests r on r.id = m.request_id
    where r.job_id = tests.id('job_' || j) and m.step = s), true)
  from unnest(array['jane', 'erin', 'mia', 'nora']) j, generate_series(0, 1) s;
end
$$;

select is(has_function_privilege('authenticated',
  'private.review_message_report(text,text,text,timestamptz,text,text,text,text)', 'execute'), false,
  'signed-in users cannot report a message''s status');
select is(has_function_privilege('authenticated',
  'private.review_email_event(text,text,text,timestamptz,text,text,text,text)', 'execute'), false,
  'signed-in users cannot feed email events');
select is(has_function_privilege('authenticated', 'private.review_contact_effect(uuid,text,text)', 'execute'), false,
  'signed-in users cannot mark contacts');

select is_empty(
  $$select p.oid::regprocedure::text from pg_proc p
     where p.pronamespace = 'private'::regnamespace and p.proname like 'review\_%'
       and (has_function_privilege('authenticated', p.oid, 'execute') or has_function_privilege('anon', p.oid, 'execute'))$$,
  'no private review_ function (the webhooks'' among them) can be called by API roles');

set local role service_role;

-- Unknown ids
select is(private.review_message_report('twilio', 'SM00000000000000000000000000000999', 'delivered'), 'parked',
  'a report about an id nobody recorded is parked');
select is((select count(*)::int from public.review_messages
            where business_id in (tests.id('business_a'), tests.id('business_b')) and status <> 'scheduled'), 0,
  'and changes no message');

-- A report before the sender recorded the id
select is(private.review_message_report('twilio', 'SMjane0', 'sent', '2026-05-01 14:00:02+00'), 'parked',
  'Twilio''s "sent" beats the sender''s write of the id: parked');
select is(private.review_message_report('twilio', 'SMjane0', 'delivered', '2026-05-01 14:00:09+00'), 'parked',
  'so does "delivered"');
select is(private.review_message_advance(tests.id('jane0'), 'sending', '2026-05-01 14:00:00+00'), true, 'the sender hands Jane''s text over');
select is(private.review_message_advance(tests.id('jane0'), 'queued', '2026-05-01 14:00:01+00', null, null, 'twilio', 'SMjane0'), true,
  'the sender records Twilio''s id');
select results_eq(
  $$select status, sent_at, delivered_at from public.review_messages where id = tests.id('jane0')$$,
  $$values ('delivered'::text, '2026-05-01 14:00:01+00'::timestamptz, '2026-05-01 14:00:09+00'::timestamptz)$$,
  'the parked reports are applied the moment the id is recorded');
reset role;
select is((select count(*)::int from private.review_message_early_reports where provider_message_id = 'SMjane0'), 0,
  'and forgotten');
set local role service_role;

-- Out of order, and the same callback over and over
select private.review_message_advance(tests.id('erin0'), 'sending');
select private.review_message_advance(tests.id('erin0'), 'queued', '2026-05-01 15:00:00+00', null, null, 'twilio', 'SMerin0');
select is(private.review_message_report('twilio', 'SMerin0', 'delivered', '2026-05-01 15:00:08+00'), 'moved',
  '"delivered" before "sent" moves the message to delivered');
select is(private.review_message_report('twilio', 'SMerin0', 'sent', '2026-05-01 15:00:02+00'), 'unchanged',
  'the late "sent" changes nothing');
select results_eq(
  $$select status, delivered_at from public.review_messages where id = tests.id('erin0')$$,
  $$values ('delivered'::text, '2026-05-01 15:00:08+00'::timestamptz)$$,
  'Erin''s text stays delivered');
select private.review_message_advance(tests.id('erin1'), 'sending');
select private.review_message_advance(tests.id('erin1'), 'queued', '2026-05-04 15:00:00+00', null, null, 'twilio', 'SMerin1');
select results_eq(
  $$select x.r, count(*)::int
      from (select private.review_message_report('twilio', 'SMerin1', 'sent', '2026-05-04 15:00:02+00') as r
              from generate_series(1, 10)) x
     group by x.r order by x.r$$,
  $$values ('moved'::text, 1), ('unchanged', 9)$$,
  'the same callback ten times moves the message once');
select results_eq(
  $$select status, attempts from public.review_messages where id = tests.id('erin1')$$,
  $$values ('sent'::text, 1)$$,
  'and leaves it sent, with one hand-over');

-- A landline found by the carrier (30006)
select private.review_message_advance(tests.id('jane1'), 'sending');
select private.review_message_advance(tests.id('jane1'), 'queued', '2026-05-04 14:00:00+00', null, null, 'twilio', 'SMjane1');
select is(private.review_message_report('twilio', 'SMjane1', 'undelivered', '2026-05-04 14:00:20+00', '30006',
  'Landline or unreachable carrier', 'phone_unusable'), 'moved', 'undelivered 30006 moves the follow-up');
select results_eq(
  $$select status, error_code, error_message from public.review_messages where id = tests.id('jane1')$$,
  $$values ('undelivered'::text, '30006'::text, 'Landline or unreachable carrier'::text)$$,
  'the error code is kept');
select results_eq(
  $$select full_name, phone_usable from public.customers
     where id in (tests.id('jane'), tests.id('jane_home'), tests.id('jane_b')) order by full_name$$,
  $$values ('Jane'::text, false), ('Jane_B', true), ('Jane_Home', false)$$,
  'the landline is unusable for every customer of that business stored with it, and for no other business');
select is(private.review_message_report('twilio', 'SMjane1', 'delivered', '2026-05-04 14:00:30+00'), 'unchanged',
  'a delivered after undelivered changes nothing');
select is((select error_code from public.review_messages where id = tests.id('jane1')), '30006',
  'and keeps the error code');

-- Resend events
select private.review_message_advance(tests.id('mia0'), 'sending');
select private.review_message_advance(tests.id('mia0'), 'queued', '2026-05-01 16:00:00+00', null, null, 'resend', 'em-mia0');
select is(private.review_email_event('msg_mia_1', 'em-mia0', 'sent', '2026-05-01 16:00:01+00'), 'moved',
  'email.sent moves the email to sent');
select is(private.review_email_event('msg_mia_1', 'em-mia0', 'delivered', '2026-05-01 16:00:05+00'), 'duplicate',
  'a delivery with a svix-id seen before changes nothing, whatever it says');
select is((select status from public.review_messages where id = tests.id('mia0')), 'sent', 'the email is still sent');
select is(private.review_email_event('msg_mia_2', 'em-mia0', null, '2026-05-01 16:00:06+00'), 'ignored',
  'an event that says nothing about delivery (email.opened) is only recorded');
select is(private.review_email_event('msg_mia_3', 'em-mia0', 'undelivered', '2026-05-01 16:00:07+00', 'email_bounced',
  'The recipient''s mail server permanently rejected the email.', 'email_unusable'), 'moved',
  'email.bounced moves the email to undelivered');
select results_eq(
  $$select status, error_code from public.review_messages where id = tests.id('mia0')$$,
  $$values ('undelivered'::text, 'email_bounced'::text)$$,
  'with the bounce as its error');
select results_eq(
  $$select full_name, email_usable from public.customers where id in (tests.id('mia'), tests.id('mia_b')) order by full_name$$,
  $$values ('Mia'::text, false), ('Mia_B', true)$$,
  'the bounced address is unusable for that business''s customer (compared case-insensitively), not for business B''s');
select is(private.review_email_event('msg_early', 'em-unknown', 'delivered'), 'parked',
  'an event for an email nobody recorded is parked');

select private.review_message_advance(tests.id('nora0'), 'sending');
select private.review_message_advance(tests.id('nora0'), 'queued', '2026-05-01 17:00:00+00', null, null, 'resend', 'em-nora0');
select is(private.review_email_event('msg_nora_1', 'em-nora0', 'delivered', '2026-05-01 17:00:05+00', null, null,
  'opted_out', 'email_complaint'), 'moved', 'email.complained counts as delivered');
select results_eq(
  $$select channel, address, source from public.contact_opt_outs where business_id = tests.id('business_a')$$,
  $$values ('email'::text, 'nora@example.com'::text, 'email_complaint'::text)$$,
  'and opts the address out as a complaint');
select results_eq(
  $$select status, cancel_reason from public.review_messages where id = tests.id('nora1')$$,
  $$values ('cancelled'::text, 'opted_out'::text)$$,
  'Nora''s follow-up is cancelled at once');
select is((select state from public.review_requests where job_id = tests.id('job_nora')), 'cancelled',
  'her request ends, as asked (its first email went out)');

-- 21610 at send time
select is(private.review_contact_effect(tests.id('erin0'), 'opted_out'), 1,
  'a 21610 refusal records the STOP Twilio remembered');
select results_eq(
  $$select address, source from public.contact_opt_outs where business_id = tests.id('business_a') and channel = 'sms'$$,
  $$values ('+12125550104'::text, 'sms_stop'::text)$$,
  'as an sms_stop opt-out');
select is(private.review_contact_effect(tests.id('erin0'), 'opted_out'), 0, 'recording it again changes nothing');

-- Bookkeeping is forgotten as new deliveries arrive: receipts after three days, parked reports after two
reset role;
insert into private.provider_webhook_receipts (provider, receipt_id, received_at)
values ('resend', 'msg_expired', now() - interval '4 days'), ('resend', 'msg_recent', now() - interval '1 day');
insert into private.review_message_early_reports (provider, provider_message_id, status, reported_at, received_at)
values ('twilio', 'SMexpired', 'sent', now() - interval '3 days', now() - interval '3 days');
set local role service_role;
select is(private.review_email_event('msg_new', 'em-mia0', 'delivered'), 'unchanged', 'a new delivery is handled');
select is(private.review_message_report('twilio', 'SMnobody', 'sent'), 'parked', 'a new early report is parked');
reset role;
select results_eq(
  $$select receipt_id from private.provider_webhook_receipts where receipt_id in ('msg_expired', 'msg_recent', 'msg_new') order by 1$$,
  $$values ('msg_new'::text), ('msg_recent')$$,
  'receipts older than three days are gone; younger ones stay, so a retry within them is still a duplicate');
select is((select count(*)::int from private.review_message_early_reports where provider_message_id = 'SMexpired'), 0,
  'a report parked for an id nobody recorded in two days is gone');
set local role service_role;

-- Bad input
select throws_ok($$select private.review_contact_effect(tests.id('erin0'), 'lost')$$, '22023',
  'Unknown contact effect: ''lost''.', 'an unknown contact effect is refused');
select throws_ok($$select private.review_message_report('twilio', 'SMerin0', 'held')$$, '22023',
  'A provider cannot report status ''held''.', 'a provider cannot put a message back on hold');

select * from finish();
rollback;
