-- businesses: members read their own business; owners and admins update name, country and
-- timezone of it; nobody but the service role inserts or deletes; anon has no access at all.
begin;
select plan(24);

-- Fixture: businesses A and B with their people (supabase/tests/database/00_test_helpers.sql).
select tests.create_tenancy_fixture();

-- Reading
select tests.sign_in('member_a');
select results_eq(
  'select id from public.businesses',
  $$values (tests.id('business_a'))$$,
  'a member of business A sees exactly business A'
);
select is(
  (select count(*)::int from public.businesses where id = tests.id('business_b')),
  0,
  'a member of business A cannot read business B'
);

select tests.sign_in('member_b');
select results_eq(
  'select id from public.businesses',
  $$values (tests.id('business_b'))$$,
  'a member of business B sees exactly business B'
);

-- Updating
select tests.sign_in('member_a');
with u as (update public.businesses set name = 'Renamed by member' where id = tests.id('business_a') returning 1)
select is(count(*)::int, 0, 'a plain member cannot rename their business (0 rows updated)') from u;

select tests.sign_in('owner_a');
with u as (update public.businesses set name = 'Renamed by owner', country = 'CA' where id = tests.id('business_a') returning 1)
select is(count(*)::int, 1, 'the owner of business A can update its name and country') from u;
select results_eq(
  $$select name, country from public.businesses where id = tests.id('business_a')$$,
  $$values ('Renamed by owner'::text, 'CA'::text)$$,
  'the owner''s update of business A is stored'
);

select tests.sign_in('admin_a');
with u as (update public.businesses set timezone = 'America/Chicago' where id = tests.id('business_a') returning 1)
select is(count(*)::int, 1, 'an admin of business A can update its timezone') from u;

select tests.sign_in('owner_a');
with u as (update public.businesses set name = 'Hijacked' where id = tests.id('business_b') returning 1)
select is(count(*)::int, 0, 'the owner of business A cannot update business B (0 rows updated)') from u;

select throws_ok(
  $$update public.businesses set created_at = now() - interval '1 year' where id = tests.id('business_a')$$,
  '42501', 'permission denied for table businesses',
  'the owner cannot update columns other than name, country and timezone'
);
select throws_ok(
  $$update public.businesses set id = gen_random_uuid() where id = tests.id('business_a')$$,
  '42501', 'permission denied for table businesses',
  'the owner cannot change a business id'
);

reset role;
select results_eq(
  $$select name from public.businesses where id in (tests.id('business_a'), tests.id('business_b')) order by name$$,
  $$values ('Fixture B'::text), ('Renamed by owner'::text)$$,
  'business B kept its name and business A kept the owner''s name, not the member''s'
);

-- Inserting and deleting
select tests.sign_in('owner_a');
select throws_ok(
  $$insert into public.businesses (name) values ('Created by a user')$$,
  '42501', 'permission denied for table businesses',
  'an authenticated user cannot create a business'
);
select throws_ok(
  $$delete from public.businesses where id = tests.id('business_a')$$,
  '42501', 'permission denied for table businesses',
  'the owner cannot delete their business'
);

-- Anonymous callers
reset role;
set local role anon;
select throws_ok(
  'select id from public.businesses',
  '42501', 'permission denied for table businesses',
  'anon cannot read businesses'
);
select throws_ok(
  $$insert into public.businesses (name) values ('Anon business')$$,
  '42501', 'permission denied for table businesses',
  'anon cannot create a business'
);
select throws_ok(
  $$update public.businesses set name = 'Anon was here'$$,
  '42501', 'permission denied for table businesses',
  'anon cannot update businesses'
);
select throws_ok(
  'delete from public.businesses',
  '42501', 'permission denied for table businesses',
  'anon cannot delete businesses'
);

-- Service role
reset role;
do $$ begin perform set_config('fixture.business_new', gen_random_uuid()::text, true); end $$;
set local role service_role;
select is(
  (select count(*)::int from public.businesses where id in (tests.id('business_a'), tests.id('business_b'))),
  2,
  'the service role reads every business'
);
select lives_ok(
  $$insert into public.businesses (id, name) values (tests.id('business_new'), 'Service business')$$,
  'the service role creates a business'
);
select results_eq(
  $$select country, timezone from public.businesses where id = tests.id('business_new')$$,
  $$values ('US'::text, 'America/New_York'::text)$$,
  'a new business defaults to country US and timezone America/New_York'
);
with u as (update public.businesses set name = 'Service renamed' where id = tests.id('business_b') returning 1)
select is(count(*)::int, 1, 'the service role updates any business') from u;
with d as (delete from public.businesses where id = tests.id('business_new') returning 1)
select is(count(*)::int, 1, 'the service role deletes a business') from d;

-- Checks
select throws_ok(
  $$update public.businesses set country = 'usa' where id = tests.id('business_a')$$,
  '23514', 'new row for relation "businesses" violates check constraint "businesses_country_check"',
  'country must be a two-letter upper-case code'
);
select throws_ok(
  $$update public.businesses set name = '' where id = tests.id('business_a')$$,
  '23514', 'new row for relation "businesses" violates check constraint "businesses_name_check"',
  'a business name cannot be empty'
);

reset role;
select * from finish();
rollback;
