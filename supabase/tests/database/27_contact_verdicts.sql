-- A provider's verdict on a contact (a landline, a bounced address) survives the customer sync
-- rewriting the client from Jobber's data, until the number or address itself changes; an owner
-- editing a manual customer may still set it back.
begin;
select plan(7);

select tests.create_review_fixture();
do $$
begin
  perform tests.customer('zoe', 'business_a', '+12125550190', 'zoe@example.com');
  perform tests.job('job_zoe', 'business_a', 'zoe');
  perform tests.complete('job_zoe');
  perform set_config('fixture.zoe0', (select m.id::text from public.review_messages m join public.review_requests r on r.id = m.request_id
                                       where r.job_id = tests.id('job_zoe') and m.step = 0), true);
  perform private.review_message_advance(tests.id('zoe0'), 'sending');
  perform private.review_message_advance(tests.id('zoe0'), 'sent', now(), null, null, 'twilio', 'SMzoe0');
  perform private.review_message_report('twilio', 'SMzoe0', 'undelivered', now(), '30005', 'Unknown destination handset', 'phone_unusable');
  update public.customers set email_usable = false where id = tests.id('zoe');
end
$$;

create function pg_temp.sync(phone text, email text, updated_at text) returns text language sql as $$
  select format('updated=%s', updated)
  from private.jobber_apply_client_page(tests.id('business_a'), jsonb_build_array(jsonb_build_object(
    'external_id', 'client-zoe', 'full_name', 'Zoe Zed', 'email', email, 'phone', phone, 'address', '1 Main St',
    'status', 'active', 'email_usable', true, 'phone_usable', true, 'remote_updated_at', updated_at)), now())
$$;
-- Functions are not executable by default (PUBLIC has no EXECUTE): the helper runs as service_role, as the sync does.
grant execute on function pg_temp.sync(text, text, text) to service_role;

set local role service_role;
select is(pg_temp.sync('+12125550190', 'ZOE@example.com', '2030-01-01T00:00:00Z'), 'updated=1',
  'Jobber sends the client again (her address changed), with her numbers as before');
reset role;
select results_eq($$select full_name, phone_usable, email_usable from public.customers where id = tests.id('zoe')$$,
  $$values ('Zoe Zed'::text, false, false)$$,
  'the sync takes Jobber''s values but not its word that the unknown handset and the bounced address now work');
set local role service_role;
select is(pg_temp.sync('+12125550191', 'ZOE@example.com', '2030-01-02T00:00:00Z'), 'updated=1', 'then her number changes in Jobber');
reset role;
select results_eq($$select phone, phone_usable, email_usable from public.customers where id = tests.id('zoe')$$,
  $$values ('+12125550191'::text, true, false)$$, 'a new number starts afresh; the unchanged address keeps its verdict');

insert into public.customers (id, business_id, source, full_name, phone, phone_usable)
values ('00000000-0000-4000-8000-000000000024', tests.id('business_a'), 'manual', 'Manual Max', '+12125550192', false);
set local role service_role;
update public.customers set phone_usable = true where id = '00000000-0000-4000-8000-000000000024';
reset role;
select is((select phone_usable from public.customers where id = '00000000-0000-4000-8000-000000000024'), false,
  'no background job marks an unusable number usable again');
select tests.sign_in('owner_a');
select lives_ok($$update public.customers set phone_usable = true where id = '00000000-0000-4000-8000-000000000024'$$,
  'the owner says the number works after all');
reset role;
select is((select phone_usable from public.customers where id = '00000000-0000-4000-8000-000000000024'), true,
  'and an owner''s word is kept');

select * from finish();
rollback;
