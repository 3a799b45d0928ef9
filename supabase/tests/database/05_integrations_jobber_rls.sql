-- integrations_jobber: members read their business's connection, but only the non-token columns
-- (the Vault secret ids are not granted to authenticated at all); only the service role writes.
begin;
select plan(29);

-- Fixture: businesses A and B with their people (supabase/tests/database/00_test_helpers.sql).
select tests.create_tenancy_fixture();

-- A is connected (secret ids are stand-ins: no FK to Vault); B is pending.
do $$
begin
  perform set_config('fixture.connection_a', gen_random_uuid()::text, true);
  perform set_config('fixture.access_secret_a', gen_random_uuid()::text, true);
  perform set_config('fixture.refresh_secret_a', gen_random_uuid()::text, true);
  perform set_config('fixture.connection_b', gen_random_uuid()::text, true);
  insert into public.integrations_jobber
    (id, business_id, access_token_secret_id, refresh_token_secret_id, account_id, account_name,
     connection_status, connected_at, token_expires_at)
  values
    (tests.id('connection_a'), tests.id('business_a'), tests.id('access_secret_a'),
     tests.id('refresh_secret_a'), 'acct-' || tests.id('business_a'), 'Acme Jobber', 'connected',
     now(), now() + interval '1 hour');
  insert into public.integrations_jobber (id, business_id, connection_status)
  values (tests.id('connection_b'), tests.id('business_b'), 'pending');
end
$$;

-- Reading the allowed columns
select tests.sign_in('member_a');
select results_eq(
  'select id, business_id, connection_status, account_name, needs_reconnect from public.integrations_jobber',
  $$values (tests.id('connection_a'), tests.id('business_a'), 'connected'::text, 'Acme Jobber'::text, false)$$,
  'a member of business A reads exactly business A''s connection through its non-token columns'
);

select tests.sign_in('member_b');
select is(
  (select count(id)::int from public.integrations_jobber where business_id = tests.id('business_a')),
  0,
  'a member of business B cannot read business A''s connection'
);
select results_eq(
  'select id from public.integrations_jobber',
  $$values (tests.id('connection_b'))$$,
  'a member of business B reads only business B''s connection'
);

-- The token columns are out of reach, whatever the role in the business
select tests.sign_in('member_a');
select throws_ok(
  'select access_token_secret_id from public.integrations_jobber',
  '42501', 'permission denied for table integrations_jobber',
  'a member cannot select the access token secret id'
);
select throws_ok(
  'select refresh_token_secret_id from public.integrations_jobber',
  '42501', 'permission denied for table integrations_jobber',
  'a member cannot select the refresh token secret id'
);
select throws_ok(
  'select * from public.integrations_jobber',
  '42501', 'permission denied for table integrations_jobber',
  'a member cannot select * from integrations_jobber'
);
select tests.sign_in('owner_a');
select throws_ok(
  'select access_token_secret_id, refresh_token_secret_id from public.integrations_jobber',
  '42501', 'permission denied for table integrations_jobber',
  'even the owner cannot select the token secret ids'
);
select throws_ok(
  $$select id from public.integrations_jobber where access_token_secret_id is not null$$,
  '42501', 'permission denied for table integrations_jobber',
  'the owner cannot probe the token secret ids through a where clause'
);

-- Writing, even as owner
select throws_ok(
  $$insert into public.integrations_jobber (business_id) values (tests.id('business_a'))$$,
  '42501', 'permission denied for table integrations_jobber',
  'the owner cannot create a Jobber connection row'
);
select throws_ok(
  $$update public.integrations_jobber set account_name = 'Renamed' where business_id = tests.id('business_a')$$,
  '42501', 'permission denied for table integrations_jobber',
  'the owner cannot edit the Jobber connection'
);
select throws_ok(
  $$update public.integrations_jobber set access_token_secret_id = gen_random_uuid() where business_id = tests.id('business_a')$$,
  '42501', 'permission denied for table integrations_jobber',
  'the owner cannot point the connection at another secret'
);
select throws_ok(
  $$delete from public.integrations_jobber where business_id = tests.id('business_a')$$,
  '42501', 'permission denied for table integrations_jobber',
  'the owner cannot delete the Jobber connection'
);
select tests.sign_in('admin_a');
select throws_ok(
  $$update public.integrations_jobber set needs_reconnect = false where business_id = tests.id('business_a')$$,
  '42501', 'permission denied for table integrations_jobber',
  'an admin cannot edit the Jobber connection'
);

-- Anonymous callers
reset role;
set local role anon;
select throws_ok(
  'select id from public.integrations_jobber',
  '42501', 'permission denied for table integrations_jobber',
  'anon cannot read Jobber connections'
);
select throws_ok(
  $$insert into public.integrations_jobber (business_id) values (tests.id('business_a'))$$,
  '42501', 'permission denied for table integrations_jobber',
  'anon cannot create a Jobber connection row'
);
select throws_ok(
  $$update public.integrations_jobber set account_name = 'Anon'$$,
  '42501', 'permission denied for table integrations_jobber',
  'anon cannot edit Jobber connections'
);
select throws_ok(
  'delete from public.integrations_jobber',
  '42501', 'permission denied for table integrations_jobber',
  'anon cannot delete Jobber connections'
);

reset role;
select results_eq(
  $$select account_name, access_token_secret_id, needs_reconnect from public.integrations_jobber
     where business_id = tests.id('business_a')$$,
  $$values ('Acme Jobber'::text, tests.id('access_secret_a'), false)$$,
  'the refused writes left business A''s connection unchanged'
);

-- Service role
set local role service_role;
select results_eq(
  $$select access_token_secret_id, refresh_token_secret_id from public.integrations_jobber
     where business_id = tests.id('business_a')$$,
  $$values (tests.id('access_secret_a'), tests.id('refresh_secret_a'))$$,
  'the service role reads the token secret ids'
);
select throws_ok(
  $$update public.integrations_jobber
       set connection_status = 'connected', access_token_secret_id = gen_random_uuid(),
           refresh_token_secret_id = gen_random_uuid(), account_id = 'acct-' || tests.id('business_a')
     where business_id = tests.id('business_b')$$,
  '23505', 'duplicate key value violates unique constraint "integrations_jobber_live_account_idx"',
  'a Jobber account connected to business A cannot also be connected to business B'
);
with u as (
  update public.integrations_jobber
     set connection_status = 'disconnected', access_token_secret_id = null, refresh_token_secret_id = null,
         disconnected_at = now()
   where business_id = tests.id('business_a')
  returning 1
)
select is(count(*)::int, 1, 'the service role disconnects business A') from u;
with d as (delete from public.integrations_jobber where business_id = tests.id('business_b') returning 1)
select is(count(*)::int, 1, 'the service role deletes business B''s connection row') from d;
select lives_ok(
  $$insert into public.integrations_jobber (business_id) values (tests.id('business_b'))$$,
  'the service role creates a connection row'
);
select is(
  (select connection_status from public.integrations_jobber where business_id = tests.id('business_b')),
  'pending',
  'a new connection row starts pending'
);

-- Constraints
select throws_ok(
  $$insert into public.integrations_jobber (business_id) values (tests.id('business_a'))$$,
  '23505', 'duplicate key value violates unique constraint "integrations_jobber_business_id_key"',
  'a business has at most one Jobber connection'
);
select throws_ok(
  $$update public.integrations_jobber set connection_status = 'connected' where business_id = tests.id('business_b')$$,
  '23514', 'new row for relation "integrations_jobber" violates check constraint "integrations_jobber_connected_has_tokens"',
  'a connection cannot be connected without tokens and an account'
);
select throws_ok(
  $$update public.integrations_jobber set access_token_secret_id = gen_random_uuid() where business_id = tests.id('business_a')$$,
  '23514', 'new row for relation "integrations_jobber" violates check constraint "integrations_jobber_disconnected_has_no_tokens"',
  'a disconnected connection cannot keep tokens'
);
select lives_ok(
  $$update public.integrations_jobber
       set connection_status = 'connected', access_token_secret_id = gen_random_uuid(),
           refresh_token_secret_id = gen_random_uuid(), account_id = 'acct-' || tests.id('business_a')
     where business_id = tests.id('business_b')$$,
  'once business A disconnected, its former Jobber account can be connected to business B'
);
select throws_ok(
  $$update public.integrations_jobber set connection_status = 'revoked' where business_id = tests.id('business_b')$$,
  '23514', 'new row for relation "integrations_jobber" violates check constraint "integrations_jobber_connection_status_check"',
  'connection_status is pending, connected, disconnected or error'
);

reset role;
select * from finish();
rollback;
