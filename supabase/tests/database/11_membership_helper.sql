-- The one membership helper: private.has_business_role answers "is this user a member (or an owner
-- / admin) of this business?" for policies (the signed-in user) and for the privileged functions
-- (the user they were given); private.assert_business_role turns a "no" into BJ001 / BJ002 with
-- the same answer for an unknown business and for someone else's (jobber_assert_role is its old
-- name). No other function reads business_members.
begin;
select plan(16);

select tests.create_tenancy_fixture();

-- Asking for a given user (the privileged functions' way)
select ok(private.has_business_role(tests.id('business_a'), null, tests.id('member_a')),
  'a member of business A is a member');
select ok(not private.has_business_role(tests.id('business_a'), array['owner', 'admin'], tests.id('member_a')),
  'a plain member of business A is not an owner or admin');
select ok(private.has_business_role(tests.id('business_a'), array['owner', 'admin'], tests.id('admin_a')),
  'an admin of business A is an owner or admin');
select ok(not private.has_business_role(tests.id('business_a'), null, tests.id('owner_b')),
  'the owner of business B is not a member of business A');
select ok(not private.has_business_role(gen_random_uuid(), null, tests.id('owner_a')),
  'nobody is a member of a business that does not exist');

-- Asking for the signed-in user (the policies' way)
select tests.sign_in('owner_a');
select ok((select private.has_business_role(tests.id('business_a'), array['owner'])),
  'without a user id the helper answers for the signed-in user');
select ok(not (select private.has_business_role(tests.id('business_b'))),
  'the signed-in owner of A is not a member of B');
reset role;
select set_config('request.jwt.claims', '', true);
select ok(not private.has_business_role(tests.id('business_a')),
  'with no user id and nobody signed in, the answer is no');

-- The error form
select throws_ok(
  $$select private.assert_business_role(gen_random_uuid(), tests.id('owner_a'), array['owner', 'admin'])$$,
  'BJ001', 'You are not a member of this business.',
  'an unknown business is BJ001 not_a_member'
);
select throws_ok(
  $$select private.assert_business_role(tests.id('business_b'), tests.id('owner_a'), array['owner', 'admin'])$$,
  'BJ001', 'You are not a member of this business.',
  'someone else''s business gets exactly the same answer as an unknown one'
);
select throws_ok(
  $$select private.assert_business_role(tests.id('business_a'), tests.id('member_a'), array['owner', 'admin'])$$,
  'BJ002', 'Only an owner or admin of the business can do this.',
  'a member asked to be owner or admin is BJ002 forbidden_role'
);
select lives_ok(
  $$select private.assert_business_role(tests.id('business_a'), tests.id('member_a'))$$,
  'any member passes when no role is asked for'
);
select throws_ok(
  $$select private.jobber_begin_connect(tests.id('member_a'), tests.id('business_a'), repeat('a', 64), 600)$$,
  'BJ002', 'Only an owner or admin of the business can do this.',
  'the privileged functions answer through the helper (begin connect as a member)'
);
select throws_ok(
  $$select * from private.jobber_start_sync_run(tests.id('business_a'), tests.id('owner_b'))$$,
  'BJ001', 'You are not a member of this business.',
  'the privileged functions answer through the helper (a sync for someone else''s business)'
);

-- One place
select is_empty(
  $$select p.oid::regprocedure::text from pg_proc p
     where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
       and p.prosrc ilike '%business_members%'
       and p.oid <> 'private.has_business_role(uuid, text[], uuid)'::regprocedure$$,
  'no function but the helper reads business_members'
);
select throws_ok(
  $$select private.jobber_assert_role(tests.id('business_b'), tests.id('owner_a'), array['owner', 'admin'])$$,
  'BJ001', 'You are not a member of this business.',
  'the old name of the error form answers through the helper too'
);

select * from finish();
rollback;
