-- One-click email unsubscribe by a request's token: it names the business and opts out the address
-- the request's emails went to (whatever the customer's email is now), at once and only there;
-- using it twice is harmless; an unknown token, or a request that never had an email address,
-- changes nothing.
begin;
select plan(16);

select tests.create_review_fixture();
update public.review_settings set channels = '{email}' where business_id = tests.id('business_a');
do $$
begin
  perform tests.customer('ivy', 'business_a', '+12125550180', 'Ivy@Example.com');
  perform tests.customer('ivy_b', 'business_b', null, 'ivy@example.com');
  perform tests.customer('joe', 'business_a', null, 'joe@old.example');
  perform tests.job('job_ivy', 'business_a', 'ivy');
  perform tests.job('job_joe', 'business_a', 'joe');
  perform tests.complete('job_ivy');
  perform tests.complete('job_joe');
  perform tests.customer('kai', 'business_b', '+12125550181', null);
  perform tests.job('job_kai', 'business_b', 'kai');
  perform tests.complete('job_kai');
  perform set_config('fixture.token_' || j, (select unsubscribe_token from public.review_requests where job_id = tests.id('job_' || j)), true)
  from unnest(array['ivy', 'joe', 'kai']) j;
  perform set_config('fixture.ivy1', (select m.id::text from public.review_messages m join public.review_requests r on r.id = m.request_id
                                       where r.job_id = tests.id('job_ivy') and m.step = 1), true);
  perform private.review_message_advance(m.id, 'sending') from public.review_messages m join public.review_requests r on r.id = m.request_id
    where r.job_id in (tests.id('job_ivy'), tests.id('job_joe')) and m.step = 0;
  perform private.review_message_advance(m.id, 'sent', '2026-05-01 14:00:00+00', null, null, 'resend', gen_random_uuid()::text)
    from public.review_messages m join public.review_requests r on r.id = m.request_id
    where r.job_id in (tests.id('job_ivy'), tests.id('job_joe')) and m.step = 0;
end
$$;
create function pg_temp.token(name text) returns text language sql as $$ select current_setting('fixture.token_' || name) $$;
-- Functions are not executable by default (PUBLIC has no EXECUTE): the helper is called as service_role.
grant execute on function pg_temp.token(text) to service_role;

select is(has_function_privilege('authenticated', 'private.review_unsubscribe(text)', 'execute'), false,
  'signed-in users cannot unsubscribe anyone through SQL');
select is(has_function_privilege('anon', 'private.review_unsubscribe_subject(text)', 'execute'), false,
  'nor can anonymous callers look a token up');

set local role service_role;
select results_eq(
  $$select business_id, business_name, address, unsubscribed from private.review_unsubscribe_subject(pg_temp.token('ivy'))$$,
  $$values (tests.id('business_a'), 'Fixture A'::text, 'ivy@example.com'::text, false)$$,
  'the token names the business and the address its email went to');
reset role;
update public.review_settings set sender_name = 'Fixture A Cleaning' where business_id = tests.id('business_a');
set local role service_role;
select is((select business_name from private.review_unsubscribe_subject(pg_temp.token('ivy'))), 'Fixture A Cleaning',
  'the business is named as its emails sign (the sender name)');
select is_empty($$select * from private.review_unsubscribe_subject('AAAAAAAAAAAAAAAAAAAAAA')$$, 'an unknown token names nothing');

select results_eq($$select * from private.review_unsubscribe(pg_temp.token('ivy'))$$,
  $$values ('Fixture A Cleaning'::text, true)$$, 'the one-click unsubscribe records the opt-out');
select results_eq(
  $$select business_id, channel, address, source from public.contact_opt_outs where address = 'ivy@example.com'$$,
  $$values (tests.id('business_a'), 'email'::text, 'ivy@example.com'::text, 'email_unsubscribe'::text)$$,
  'for that business and address only (business B, which also emails Ivy, is not told)');
select results_eq(
  $$select status, cancel_reason from public.review_messages where id = tests.id('ivy1')$$,
  $$values ('cancelled'::text, 'opted_out'::text)$$,
  'the follow-up still waiting is cancelled at once');
select results_eq($$select * from private.review_unsubscribe(pg_temp.token('ivy'))$$,
  $$values ('Fixture A Cleaning'::text, false)$$, 'using the link twice is harmless');
select is((select count(*)::int from public.contact_opt_outs where address = 'ivy@example.com'), 1, 'one opt-out, still');
select is((select unsubscribed from private.review_unsubscribe_subject(pg_temp.token('ivy'))), true,
  'the token now reports the address unsubscribed');

reset role;
update public.customers set email = 'joe@new.example' where id = tests.id('joe');
set local role service_role;
select results_eq($$select * from private.review_unsubscribe(pg_temp.token('joe'))$$,
  $$values ('Fixture A Cleaning'::text, true)$$, 'Joe unsubscribes after changing his email');
select is((select address from public.contact_opt_outs where business_id = tests.id('business_a') and address like 'joe@%'),
  'joe@old.example', 'the address opted out is the one the email went to');

select is_empty($$select * from private.review_unsubscribe('AAAAAAAAAAAAAAAAAAAAAA')$$, 'an unknown token unsubscribes nothing');
select is_empty($$select * from private.review_unsubscribe(pg_temp.token('kai'))$$,
  'a request that never had an email address has nothing to unsubscribe');
select is((select count(*)::int from public.contact_opt_outs where business_id in (tests.id('business_a'), tests.id('business_b'))), 2,
  'and neither changed anything');

select * from finish();
rollback;
