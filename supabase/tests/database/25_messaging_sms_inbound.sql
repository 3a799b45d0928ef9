-- Inbound texts: STOP opts the number out of every business that texted it (they share Twilio's
-- sender, which now refuses them all) and of no other; START lifts those STOPs but not an owner's
-- manual entry; any other text is a reply to the last text the number got, kept for that business
-- only; a text from a number nobody texted is stored nowhere; a MessageSid seen before changes
-- nothing; an opt-out, however recorded, cancels what was still waiting to go to that customer.
begin;
select plan(29);

select tests.create_review_fixture();
do $$
begin
  -- Sam is a customer of both businesses; both texted him (B more recently).
  perform tests.customer('sam', 'business_a', '+12125550150', 'sam@example.com');
  perform tests.customer('sam_b', 'business_b', '+12125550150', 'sam@example.com');
  -- Lee too, but only business A texted him so far.
  perform tests.customer('lee', 'business_a', '+12125550160', null);
  perform tests.customer('lee_b', 'business_b', '+12125550160', null);
  perform tests.customer('pat', 'business_a', null, 'pat@example.com');
  perform tests.job('job_sam', 'business_a', 'sam');
  perform tests.job('job_sam_b', 'business_b', 'sam_b');
  perform tests.job('job_lee', 'business_a', 'lee');
  perform tests.job('job_lee_b', 'business_b', 'lee_b');
  perform tests.job('job_pat', 'business_a', 'pat');
  perform tests.complete(j) from unnest(array['job_sam', 'job_sam_b', 'job_lee', 'job_lee_b', 'job_pat']) j;
  perform set_config('fixture.' || j || s, (
    select m.id::text from public.review_messages m join public.review_requests r on r.id = m.request_id
    where r.job_id = tests.id('job_' || j) and m.step = s), true)
  from unnest(array['sam', 'sam_b', 'lee', 'lee_b', 'pat']) j, generate_series(0, 1) s;
  perform private.review_message_advance(tests.id(m), 'sending') from unnest(array['sam0', 'sam_b0', 'lee0']) m;
  perform private.review_message_advance(tests.id('sam0'), 'delivered', '2026-05-01 10:00:00+00', null, null, 'twilio', 'SMsam0');
  perform private.review_message_advance(tests.id('sam_b0'), 'delivered', '2026-05-01 11:00:00+00', null, null, 'twilio', 'SMsamb0');
  perform private.review_message_advance(tests.id('lee0'), 'delivered', '2026-05-01 12:00:00+00', null, null, 'twilio', 'SMlee0');
end
$$;

select is(has_function_privilege('authenticated', 'private.review_sms_inbound(text,text,text,text,timestamptz)', 'execute'),
  false, 'signed-in users cannot feed inbound texts');
set local role service_role;

-- A reply
select is(private.review_sms_inbound('SMin1', '+12125550150', 'Stop please', 'reply', '2026-05-01 11:05:00+00') ->> 'outcome',
  'reply', '"Stop please" is not a keyword: it is a reply');
select results_eq(
  $$select business_id, customer_id, message_id, channel, from_address, body, received_at from public.review_replies
     where provider_message_id = 'SMin1'$$,
  $$values (tests.id('business_b'), tests.id('sam_b'), tests.id('sam_b0'), 'sms'::text, '+12125550150'::text,
            'Stop please'::text, '2026-05-01 11:05:00+00'::timestamptz)$$,
  'kept for the business, customer and message of the last text that number got');
select is((select count(*)::int from public.contact_opt_outs where address = '+12125550150'), 0, 'a reply opts nobody out');
select is(private.review_sms_inbound('SMin1', '+12125550150', 'Stop please', 'reply') ->> 'outcome', 'duplicate',
  'the same MessageSid again is a duplicate');
select is((select count(*)::int from public.review_replies where from_address = '+12125550150'), 1, 'and stores nothing more');
reset role;
select tests.sign_in('member_a');
select is((select count(*)::int from public.review_replies), 0, 'business A does not read a reply to business B''s text');
reset role;
set local role service_role;

-- STOP
select is(private.review_sms_inbound('SMin2', '+12125550150', 'stop', 'stop'),
  '{"outcome": "opted_out", "businesses": 2}'::jsonb, 'STOP opts the number out of both businesses that texted it');
select results_eq(
  $$select business_id, channel, source from public.contact_opt_outs where address = '+12125550150' order by business_id = tests.id('business_b')$$,
  $$values (tests.id('business_a'), 'sms'::text, 'sms_stop'::text), (tests.id('business_b'), 'sms', 'sms_stop')$$,
  'each with an sms_stop opt-out');
select results_eq(
  $$select id, status, cancel_reason from public.review_messages where id in (tests.id('sam1'), tests.id('sam_b1'))
     order by id = tests.id('sam_b1')$$,
  $$values (tests.id('sam1'), 'cancelled'::text, 'opted_out'::text), (tests.id('sam_b1'), 'cancelled', 'opted_out')$$,
  'the follow-ups still waiting are cancelled at once, in both businesses');
select is(private.review_sms_inbound('SMin3', '+12125550160', 'STOP', 'stop') ->> 'businesses', '1',
  'a STOP from a number only business A texted opts it out of business A only');
select is((select count(*)::int from public.contact_opt_outs where address = '+12125550160' and business_id = tests.id('business_b')), 0,
  'business B, which never texted Lee, records nothing');
select is((select status from public.review_messages where id = tests.id('lee_b0')), 'scheduled',
  'and still has its text to Lee scheduled (if Twilio refuses it, 21610 records the STOP then)');

-- START
reset role;
select tests.sign_in('owner_a');
insert into public.contact_opt_outs (business_id, channel, address, source) values (tests.id('business_a'), 'sms', '+12125550170', 'manual');
reset role;
set local role service_role;
select is(private.review_sms_inbound('SMin4', '+12125550150', 'Start', 'start'),
  '{"outcome": "opted_in", "businesses": 2}'::jsonb, 'START after STOP lifts the STOP in both businesses');
select is((select count(*)::int from public.contact_opt_outs where address = '+12125550150'), 0, 'no opt-out is left for Sam''s number');
select is(private.review_sms_inbound('SMin5', '+12125550170', 'UNSTOP', 'start') ->> 'businesses', '0',
  'START does not remove an opt-out an owner entered by hand');
select is((select source from public.contact_opt_outs where address = '+12125550170'), 'manual', 'the manual opt-out stays');
select is(private.review_sms_inbound('SMin2', '+12125550150', 'stop', 'stop') ->> 'outcome', 'duplicate',
  'Twilio retrying the earlier STOP after the START changes nothing');
select is((select count(*)::int from public.contact_opt_outs where address = '+12125550150'), 0, 'Sam stays opted in');
select is(private.review_sms_inbound('SMin6', '+12125550150', 'QUIT', 'stop') ->> 'outcome', 'opted_out',
  'a new STOP after the START opts the number out again');

-- Numbers nobody texted
select is(private.review_sms_inbound('SMin7', '+12125550199', 'Who is this?', 'reply'),
  '{"outcome": "unattributed", "businesses": 0}'::jsonb, 'a text from a number nobody texted is attributed to no one');
select is((select count(*)::int from public.review_replies where from_address = '+12125550199'), 0, 'and stored nowhere');
select is(private.review_sms_inbound('SMin8', '+12125550198', 'STOP', 'stop') ->> 'outcome', 'unattributed',
  'nor is a STOP from such a number');
select is((select count(*)::int from public.contact_opt_outs where address = '+12125550198'), 0, 'no business gets an opt-out for it');
select throws_ok($$select private.review_sms_inbound('SMin9', '+12125550150', 'HELP', 'help')$$, '22023',
  'Unknown inbound intent: ''help''.', 'an unknown intent is refused');

-- Any opt-out cancels what was waiting, including an owner's manual one
reset role;
select tests.sign_in('owner_a');
select lives_ok(
  $$insert into public.contact_opt_outs (business_id, channel, address, source)
    values (tests.id('business_a'), 'email', 'Pat@Example.com', 'manual')$$,
  'the owner opts Pat''s email out by hand');
reset role;
select results_eq(
  $$select status, cancel_reason from public.review_messages where request_id = (select id from public.review_requests where job_id = tests.id('job_pat')) order by step$$,
  $$values ('cancelled'::text, 'opted_out'::text), ('cancelled', 'opted_out')$$,
  'Pat''s waiting emails are cancelled');
select results_eq(
  $$select state, cancel_reason from public.review_requests where job_id = tests.id('job_pat')$$,
  $$values ('cancelled'::text, 'opted_out'::text)$$,
  'and her request, never sent, is cancelled as opted out (it does not count as asked)');
select is((select status from public.review_messages where id = tests.id('lee_b0')), 'scheduled',
  'another business''s messages are untouched');

select * from finish();
rollback;
