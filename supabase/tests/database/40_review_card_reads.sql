-- What the reviews card reads: review_activity (one row per decision, its job, customer, request,
-- messages and replies as JSON, under the caller's RLS and column grants) and review_chart (sent,
-- delivered and clicked requests per day, for members only).
begin;
select plan(24);

select tests.create_review_fixture();
update public.businesses set timezone = 'America/Chicago' where id = tests.id('business_a');
do $$
begin
  perform tests.customer('jane', 'business_a', '+12125550101', 'jane@example.com');
  perform tests.customer('bob', 'business_a', '+12125550101', 'bob@example.com');
  perform tests.customer('carl', 'business_b', '+14165550102', 'carl@example.com');
  perform tests.job('jane_job', 'business_a', 'jane', 120);
  perform tests.job('bob_job', 'business_a', 'bob');
  perform tests.job('carl_job', 'business_b', 'carl');
  perform tests.complete('jane_job', now() - interval '1 hour');
  perform tests.complete('bob_job', now() - interval '30 minutes');
  perform tests.complete('carl_job');
  perform set_config('fixture.jane_request', (select id::text from public.review_requests where job_id = tests.id('jane_job')), true);
  perform set_config('fixture.jane_step0', (select id::text from public.review_messages
                                            where request_id = tests.id('jane_request') and step = 0), true);
  insert into public.review_replies (business_id, customer_id, message_id, channel, from_address, body, provider_message_id)
  values (tests.id('business_a'), tests.id('jane'), tests.id('jane_step0'), 'sms', '+12125550101', 'Done, thank you!', 'SM-card-1');
end
$$;

select is(tests.decision('bob_job'), 'household_recently_asked', 'Bob shares Jane''s phone: not asked');

-- Reading as a member
select tests.sign_in('member_a');
select results_eq(
  $$select (activity ->> 'reason') from public.review_activity order by decided_at desc, completed_at desc$$,
  $$values ('household_recently_asked'::text), ('requested'::text)$$,
  'a member of business A sees exactly business A''s two decisions, newest first');
select is((select count(*)::int from public.review_activity where business_id = tests.id('business_b')), 0,
  'and nothing of business B''s');
select is((select activity -> 'customer' ->> 'name' from public.review_activity where (activity ->> 'reason') = 'requested'),
  'Jane', 'the decision names its customer');
select is((select activity ->> 'other_customer_name' from public.review_activity where (activity ->> 'reason') = 'household_recently_asked'),
  'Jane', 'a household skip names the housemate who was asked');
select is((select (activity -> 'job' ->> 'total')::numeric from public.review_activity where (activity ->> 'reason') = 'requested'),
  120::numeric, 'the job''s total is there');
select is((select request_state from public.review_activity where (activity ->> 'reason') = 'requested'), 'scheduled',
  'request_state is a column the card can filter on');
select is((select json_array_length(activity -> 'request' -> 'messages') from public.review_activity where (activity ->> 'reason') = 'requested'),
  2, 'the request carries its two messages (step 0 and the follow-up)');
select is((select activity -> 'request' -> 'messages' -> 0 ->> 'status' from public.review_activity where (activity ->> 'reason') = 'requested'),
  'scheduled', 'each message with its real status');
select is((select activity -> 'request' -> 'replies' -> 0 ->> 'body' from public.review_activity where (activity ->> 'reason') = 'requested'),
  'Done, thank you!', 'the reply to the request''s message is shown with it');
select matches((select activity ->> 'decided_at' from public.review_activity where (activity ->> 'reason') = 'requested'),
  '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$', 'times are written as toISOString() writes them');
select ok((select not ((activity -> 'request')::jsonb ?| array['link_token', 'unsubscribe_token'])
             from public.review_activity where (activity ->> 'reason') = 'requested')
          and (select count(*) from public.review_activity where activity::text ~ '"[A-Za-z0-9_-]{22}"') = 0,
  'no token reaches the card: neither key nor value');
select ok((select json_typeof(activity -> 'request') = 'null' from public.review_activity where (activity ->> 'reason') = 'household_recently_asked'),
  'a skipped decision has no request');

select tests.sign_in('member_b');
select is((select count(*)::int from public.review_activity where business_id = tests.id('business_a')), 0,
  'a member of business B reads nothing of business A through the view');
reset role;
set local role anon;
select throws_ok('select * from public.review_activity', '42501', null, 'anon cannot read the view');
reset role;

-- The chart: Jane's request sent yesterday (local), delivered today, clicked today.
do $$
begin
  perform private.review_message_advance(tests.id('jane_step0'), 'sending');
  perform private.review_message_advance(tests.id('jane_step0'), 'queued',
    ((now() at time zone 'America/Chicago')::date - 1 + time '12:00') at time zone 'America/Chicago', null, null, 'twilio', 'SM-jane');
  perform private.review_message_advance(tests.id('jane_step0'), 'sent',
    ((now() at time zone 'America/Chicago')::date - 1 + time '12:01') at time zone 'America/Chicago');
  perform private.review_message_advance(tests.id('jane_step0'), 'delivered', now());
  update public.review_requests set clicked_at = now(), click_count = 1, state = 'clicked' where id = tests.id('jane_request');
end
$$;

select tests.sign_in('member_a');
select is((select count(*)::int from public.review_chart(tests.id('business_a'))), 30, '30 days, one row each');
select results_eq(
  $$select day, sent, delivered, clicked from public.review_chart(tests.id('business_a'), 2)$$,
  $$values ((now() at time zone 'America/Chicago')::date - 1, 1, 0, 0), ((now() at time zone 'America/Chicago')::date, 0, 1, 1)$$,
  'sent on the business''s yesterday, delivered and clicked on its today');
select is((select max(day) from public.review_chart(tests.id('business_a'))), (now() at time zone 'America/Chicago')::date,
  'days are the business''s own (America/Chicago)');
reset role;

-- A message the provider only accepted is not sent.
do $$
begin
  perform tests.customer('dora', 'business_a', '+12125550177', 'dora@example.com');
  perform tests.job('dora_job', 'business_a', 'dora');
  perform tests.complete('dora_job');
  perform private.review_message_advance(m.id, 'sending') from public.review_messages m
    join public.review_requests r on r.id = m.request_id where r.job_id = tests.id('dora_job') and m.step = 0;
  perform private.review_message_advance(m.id, 'queued', now(), null, null, 'twilio', 'SM-dora') from public.review_messages m
    join public.review_requests r on r.id = m.request_id where r.job_id = tests.id('dora_job') and m.step = 0;
end
$$;
select tests.sign_in('owner_a');
select is((select sum(sent)::int from public.review_chart(tests.id('business_a'))), 1,
  'a message the provider only accepted (queued) is not counted as sent');

-- Who may read the chart
select tests.sign_in('member_b');
select throws_ok($$select * from public.review_chart(tests.id('business_a'))$$, 'BJ001', 'You are not a member of this business.',
  'another business''s member gets not_a_member');
select throws_ok($$select * from public.review_chart(gen_random_uuid())$$, 'BJ001', 'You are not a member of this business.',
  'an unknown business gets the same answer');
select tests.sign_in('member_a');
select throws_ok($$select * from public.review_chart(tests.id('business_a'), 91)$$, '22023', 'days must be between 1 and 90.',
  'at most 90 days');
reset role;
set local role anon;
select throws_ok($$select * from public.review_chart(tests.id('business_a'))$$, '42501', null, 'anon cannot call the chart');
reset role;

select ok(exists (select 1 from pg_indexes where indexname = 'review_replies_message_id_idx'),
  'replies are indexed by the message they answer');

select * from finish();
rollback;
