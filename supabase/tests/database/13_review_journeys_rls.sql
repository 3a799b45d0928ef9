-- review_decisions, review_requests, review_messages, contact_opt_outs, review_replies: members
-- read their business's rows; the link and unsubscribe tokens are out of every signed-in user's
-- reach; only the service role (and the SQL functions) write, except manual opt-outs, which
-- owners and admins add and remove.
begin;
select plan(37);

select tests.create_review_fixture();
do $$
begin
  perform tests.customer('jane', 'business_a', '+12125550101', 'jane@example.com');
  perform tests.customer('bob', 'business_b', '+14165550102', 'bob@example.com');
  perform tests.job('job_a', 'business_a', 'jane');
  perform tests.job('job_b', 'business_b', 'bob');
  perform tests.complete('job_a');
  perform tests.complete('job_b');
  perform set_config('fixture.request_a', (select id::text from public.review_requests where job_id = tests.id('job_a')), true);
  perform set_config('fixture.message_a', (select id::text from public.review_messages where request_id = tests.id('request_a') and step = 0), true);
  insert into public.review_replies (business_id, customer_id, message_id, channel, from_address, body, provider_message_id)
  values (tests.id('business_a'), tests.id('jane'), tests.id('message_a'), 'sms', '+12125550101', 'Thanks, will do!', 'SM-reply-a'),
         (tests.id('business_b'), tests.id('bob'), null, 'sms', '+14165550102', 'Who is this?', 'SM-reply-b');
  insert into public.contact_opt_outs (business_id, channel, address, source)
  values (tests.id('business_a'), 'sms', '+12125550199', 'sms_stop'),
         (tests.id('business_b'), 'email', 'bob@example.com', 'email_unsubscribe');
end
$$;

select is((select count(*)::int from public.review_requests where business_id in (tests.id('business_a'), tests.id('business_b'))), 2,
  'the fixture asked both businesses'' customers');

-- Reading
select tests.sign_in('member_a');
select results_eq('select job_id from public.review_decisions', $$values (tests.id('job_a'))$$,
  'a member of business A sees exactly business A''s decisions');
select results_eq('select id from public.review_requests', $$values (tests.id('request_a'))$$,
  'a member of business A sees exactly business A''s requests');
select is((select count(*)::int from public.review_messages), 2,
  'a member of business A sees business A''s two messages (step 0 and the follow-up)');
select results_eq('select body from public.review_replies', $$values ('Thanks, will do!'::text)$$,
  'a member of business A sees exactly business A''s replies');
select results_eq('select address from public.contact_opt_outs', $$values ('+12125550199'::text)$$,
  'a member of business A sees exactly business A''s opt-outs');
select tests.sign_in('member_b');
select is((select count(*)::int from public.review_decisions where business_id = tests.id('business_a'))
        + (select count(*)::int from public.review_requests where business_id = tests.id('business_a'))
        + (select count(*)::int from public.review_messages where business_id = tests.id('business_a'))
        + (select count(*)::int from public.review_replies where business_id = tests.id('business_a'))
        + (select count(*)::int from public.contact_opt_outs where business_id = tests.id('business_a')), 0,
  'a member of business B reads nothing of business A''s journeys');

-- The tokens
select tests.sign_in('owner_a');
select throws_ok('select link_token from public.review_requests', '42501', 'permission denied for table review_requests',
  'even the owner cannot read a request''s link token');
select throws_ok('select unsubscribe_token from public.review_requests', '42501', 'permission denied for table review_requests',
  'even the owner cannot read a request''s unsubscribe token');
select throws_ok('select * from public.review_requests', '42501', 'permission denied for table review_requests',
  'select * from review_requests is refused (it would include the tokens)');
select throws_ok($$select id from public.review_requests where link_token like 'a%'$$, '42501',
  'permission denied for table review_requests', 'the owner cannot probe the tokens through a where clause');
reset role;
select is((select count(*)::int from public.review_requests
            where link_token ~ '^[A-Za-z0-9_-]{22}$' and unsubscribe_token ~ '^[A-Za-z0-9_-]{22}$'
              and link_token <> unsubscribe_token
              and business_id in (tests.id('business_a'), tests.id('business_b'))), 2,
  'each request has two distinct 128-bit URL-safe tokens (22 base64url characters)');
set local role service_role;
select is((select count(*)::int from public.review_requests where id = tests.id('request_a') and link_token is not null), 1,
  'the service role reads the tokens (review-link and review-unsubscribe need them)');
reset role;

-- Writing, even as owner
select tests.sign_in('owner_a');
select throws_ok(
  $$update public.review_decisions set outcome = 'requested' where business_id = tests.id('business_a')$$,
  '42501', 'permission denied for table review_decisions', 'the owner cannot rewrite a decision');
select throws_ok(
  $$update public.review_requests set state = 'cancelled' where id = tests.id('request_a')$$,
  '42501', 'permission denied for table review_requests', 'the owner cannot change a request directly');
select throws_ok(
  $$update public.review_messages set status = 'sent' where request_id = tests.id('request_a')$$,
  '42501', 'permission denied for table review_messages', 'the owner cannot mark a message sent');
select throws_ok(
  $$delete from public.review_messages where request_id = tests.id('request_a')$$,
  '42501', 'permission denied for table review_messages', 'the owner cannot delete messages');
select throws_ok(
  $$insert into public.review_replies (business_id, channel, from_address, body, provider_message_id)
    values (tests.id('business_a'), 'sms', '+1', 'forged', 'SM-forged')$$,
  '42501', 'permission denied for table review_replies', 'the owner cannot forge a reply');

-- Manual opt-outs: owners and admins add and remove them; the webhooks' entries are not theirs
select lives_ok(
  $$insert into public.contact_opt_outs (business_id, channel, address, source)
    values (tests.id('business_a'), 'email', '  Jane@Example.COM ', 'manual')$$,
  'the owner adds a manual email opt-out');
select tests.sign_in('admin_a');
select lives_ok(
  $$insert into public.contact_opt_outs (business_id, channel, address, source)
    values (tests.id('business_a'), 'sms', '(212) 555-0101', 'manual')$$,
  'an admin adds a manual SMS opt-out, typed the way people type numbers');
reset role;
select results_eq(
  $$select channel, address, created_by from public.contact_opt_outs
     where business_id = tests.id('business_a') and source = 'manual' order by channel$$,
  $$values ('email'::text, 'jane@example.com'::text, tests.id('owner_a')), ('sms', '+12125550101', tests.id('admin_a'))$$,
  'manual opt-outs are stored normalised (email lower-cased, phone in E.164 as customers are) with who added them');
select is(private.normalize_phone('+44 20 7946 0958', 'GB'), '+442079460958', 'an international number in + form becomes E.164');
select is(private.normalize_phone('020 7946 0958', 'GB'), '020 7946 0958', 'a number that cannot be read without a phone library is kept as given');
select tests.sign_in('member_a');
select throws_ok(
  $$insert into public.contact_opt_outs (business_id, channel, address, source)
    values (tests.id('business_a'), 'sms', '+12125550177', 'manual')$$,
  '42501', 'new row violates row-level security policy for table "contact_opt_outs"',
  'a member cannot add an opt-out');
select tests.sign_in('owner_a');
select throws_ok(
  $$insert into public.contact_opt_outs (business_id, channel, address, source)
    values (tests.id('business_a'), 'sms', '+12125550177', 'sms_stop')$$,
  '42501', 'new row violates row-level security policy for table "contact_opt_outs"',
  'the owner cannot forge a STOP from a customer');
select throws_ok(
  $$insert into public.contact_opt_outs (business_id, channel, address, source, created_by)
    values (tests.id('business_a'), 'sms', '+12125550178', 'manual', tests.id('member_a'))$$,
  '42501', 'permission denied for table contact_opt_outs',
  'the owner cannot say someone else added the opt-out');
select tests.sign_in('owner_b');
select throws_ok(
  $$insert into public.contact_opt_outs (business_id, channel, address, source)
    values (tests.id('business_a'), 'sms', '+12125550177', 'manual')$$,
  '42501', 'new row violates row-level security policy for table "contact_opt_outs"',
  'the owner of business B cannot add opt-outs to business A');
with d as (delete from public.contact_opt_outs where business_id = tests.id('business_a') returning 1)
select is((select count(*)::int from d), 0, 'the owner of business B cannot remove business A''s opt-outs');
select tests.sign_in('member_a');
with d as (delete from public.contact_opt_outs where business_id = tests.id('business_a') returning 1)
select is((select count(*)::int from d), 0, 'a member cannot remove opt-outs');
select tests.sign_in('owner_a');
with d as (delete from public.contact_opt_outs where business_id = tests.id('business_a') and source = 'sms_stop' returning 1)
select is((select count(*)::int from d), 0, 'the owner cannot remove a customer''s own STOP');
with d as (delete from public.contact_opt_outs where business_id = tests.id('business_a') and channel = 'email' returning 1)
select is((select count(*)::int from d), 1, 'the owner removes a manual opt-out');
select throws_ok(
  $$update public.contact_opt_outs set source = 'manual' where business_id = tests.id('business_a')$$,
  '42501', 'permission denied for table contact_opt_outs', 'nobody signed in can turn a STOP into a manual entry');

-- Anonymous callers
reset role;
set local role anon;
select throws_ok('select id from public.review_decisions', '42501', 'permission denied for table review_decisions',
  'anon cannot read decisions');
select throws_ok('select id from public.review_requests', '42501', 'permission denied for table review_requests',
  'anon cannot read requests');
select throws_ok('select id from public.review_messages', '42501', 'permission denied for table review_messages',
  'anon cannot read messages');
select throws_ok('select address from public.contact_opt_outs', '42501', 'permission denied for table contact_opt_outs',
  'anon cannot read opt-outs');
select throws_ok('select body from public.review_replies', '42501', 'permission denied for table review_replies',
  'anon cannot read replies');
reset role;

select * from finish();
rollback;
