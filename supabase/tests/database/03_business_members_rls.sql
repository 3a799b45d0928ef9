-- business_members: members read their own business's member list; only the service role writes
-- it (Blipp owns invitations), so even an owner gets "permission denied" on any write.
begin;
select plan(16);

-- Fixture: businesses A and B with their people (supabase/tests/database/00_test_helpers.sql).
select tests.create_tenancy_fixture();

-- Reading
select tests.sign_in('member_a');
select set_eq(
  'select user_id, role from public.business_members',
  $$values (tests.id('owner_a'), 'owner'::text), (tests.id('admin_a'), 'admin'), (tests.id('member_a'), 'member')$$,
  'a member of business A sees exactly the three members of business A'
);
select is(
  (select count(*)::int from public.business_members where business_id = tests.id('business_b')),
  0,
  'a member of business A cannot see who belongs to business B'
);

select tests.sign_in('member_b');
select set_eq(
  'select user_id from public.business_members',
  $$values (tests.id('owner_b')), (tests.id('member_b'))$$,
  'a member of business B sees exactly the members of business B'
);

-- Writing, even as owner
select tests.sign_in('owner_a');
select throws_ok(
  $$insert into public.business_members (business_id, user_id, role)
    values (tests.id('business_a'), tests.id('member_b'), 'member')$$,
  '42501', 'permission denied for table business_members',
  'the owner of business A cannot add a member'
);
select throws_ok(
  $$update public.business_members set role = 'admin'
     where business_id = tests.id('business_a') and user_id = tests.id('member_a')$$,
  '42501', 'permission denied for table business_members',
  'the owner of business A cannot change a member''s role'
);
select throws_ok(
  $$delete from public.business_members
     where business_id = tests.id('business_a') and user_id = tests.id('member_a')$$,
  '42501', 'permission denied for table business_members',
  'the owner of business A cannot remove a member'
);

select tests.sign_in('member_a');
select throws_ok(
  $$update public.business_members set role = 'owner'
     where business_id = tests.id('business_a') and user_id = tests.id('member_a')$$,
  '42501', 'permission denied for table business_members',
  'a member cannot promote themselves to owner'
);

select tests.sign_in('member_b');
select throws_ok(
  $$insert into public.business_members (business_id, user_id, role)
    values (tests.id('business_a'), tests.id('member_b'), 'owner')$$,
  '42501', 'permission denied for table business_members',
  'a member of business B cannot make themselves owner of business A'
);

-- Anonymous callers
reset role;
set local role anon;
select throws_ok(
  'select user_id from public.business_members',
  '42501', 'permission denied for table business_members',
  'anon cannot read business members'
);
select throws_ok(
  $$insert into public.business_members (business_id, user_id, role)
    values (tests.id('business_a'), tests.id('member_b'), 'owner')$$,
  '42501', 'permission denied for table business_members',
  'anon cannot add a member'
);

-- Service role
reset role;
set local role service_role;
select lives_ok(
  $$insert into public.business_members (business_id, user_id, role)
    values (tests.id('business_a'), tests.id('member_b'), 'member')$$,
  'the service role adds a member of business B to business A'
);

select tests.sign_in('member_b');
select set_eq(
  'select id from public.businesses',
  $$values (tests.id('business_a')), (tests.id('business_b'))$$,
  'once added, the new member reads business A as well as business B'
);

reset role;
set local role service_role;
with u as (
  update public.business_members set role = 'admin'
   where business_id = tests.id('business_a') and user_id = tests.id('member_b')
  returning 1
)
select is(count(*)::int, 1, 'the service role changes a member''s role') from u;
with d as (
  delete from public.business_members
   where business_id = tests.id('business_a') and user_id = tests.id('member_b')
  returning 1
)
select is(count(*)::int, 1, 'the service role removes a member') from d;
select throws_ok(
  $$insert into public.business_members (business_id, user_id, role)
    values (tests.id('business_a'), tests.id('member_b'), 'manager')$$,
  '23514', 'new row for relation "business_members" violates check constraint "business_members_role_check"',
  'a member''s role is owner, admin or member'
);

select tests.sign_in('member_b');
select is(
  (select count(*)::int from public.businesses where id = tests.id('business_a')),
  0,
  'once removed, the former member no longer reads business A'
);

reset role;
select * from finish();
rollback;
