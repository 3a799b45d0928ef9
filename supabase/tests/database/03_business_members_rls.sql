-- business_members: members read their own business's member list; only the service role writes
-- it (Blipp owns invitations), so even an owner gets "permission denied" on any write.
begin;
select plan(16);

-- Fixture: business A (owner, admin, member) and business B (owner, member) with fresh ids, so the
-- test neither depends on nor changes the seed. pg_temp.id('name') reads an id back;
-- pg_temp.sign_in('name') becomes that user exactly as PostgREST would (role + JWT claims).
create function pg_temp.id(name text) returns uuid
language sql stable
as $$ select current_setting('fixture.' || name)::uuid $$;

create function pg_temp.sign_in(name text) returns void
language plpgsql
as $$
begin
  perform set_config('role', 'authenticated', true);
  perform set_config('request.jwt.claims',
    json_build_object('sub', pg_temp.id(name), 'role', 'authenticated')::text, true);
end
$$;

do $$
declare
  name text;
begin
  foreach name in array array['business_a', 'business_b', 'owner_a', 'admin_a', 'member_a', 'owner_b', 'member_b'] loop
    perform set_config('fixture.' || name, gen_random_uuid()::text, true);
  end loop;

  insert into auth.users (id, email, aud, role)
  select pg_temp.id(u), u || '-' || pg_temp.id(u) || '@fixture.test', 'authenticated', 'authenticated'
  from unnest(array['owner_a', 'admin_a', 'member_a', 'owner_b', 'member_b']) u;

  insert into public.businesses (id, name)
  values (pg_temp.id('business_a'), 'Fixture A'), (pg_temp.id('business_b'), 'Fixture B');

  insert into public.business_members (business_id, user_id, role)
  values
    (pg_temp.id('business_a'), pg_temp.id('owner_a'), 'owner'),
    (pg_temp.id('business_a'), pg_temp.id('admin_a'), 'admin'),
    (pg_temp.id('business_a'), pg_temp.id('member_a'), 'member'),
    (pg_temp.id('business_b'), pg_temp.id('owner_b'), 'owner'),
    (pg_temp.id('business_b'), pg_temp.id('member_b'), 'member');
end
$$;

-- Reading
select pg_temp.sign_in('member_a');
select set_eq(
  'select user_id, role from public.business_members',
  $$values (pg_temp.id('owner_a'), 'owner'::text), (pg_temp.id('admin_a'), 'admin'), (pg_temp.id('member_a'), 'member')$$,
  'a member of business A sees exactly the three members of business A'
);
select is(
  (select count(*)::int from public.business_members where business_id = pg_temp.id('business_b')),
  0,
  'a member of business A cannot see who belongs to business B'
);

select pg_temp.sign_in('member_b');
select set_eq(
  'select user_id from public.business_members',
  $$values (pg_temp.id('owner_b')), (pg_temp.id('member_b'))$$,
  'a member of business B sees exactly the members of business B'
);

-- Writing, even as owner
select pg_temp.sign_in('owner_a');
select throws_ok(
  $$insert into public.business_members (business_id, user_id, role)
    values (pg_temp.id('business_a'), pg_temp.id('member_b'), 'member')$$,
  '42501', 'permission denied for table business_members',
  'the owner of business A cannot add a member'
);
select throws_ok(
  $$update public.business_members set role = 'admin'
     where business_id = pg_temp.id('business_a') and user_id = pg_temp.id('member_a')$$,
  '42501', 'permission denied for table business_members',
  'the owner of business A cannot change a member''s role'
);
select throws_ok(
  $$delete from public.business_members
     where business_id = pg_temp.id('business_a') and user_id = pg_temp.id('member_a')$$,
  '42501', 'permission denied for table business_members',
  'the owner of business A cannot remove a member'
);

select pg_temp.sign_in('member_a');
select throws_ok(
  $$update public.business_members set role = 'owner'
     where business_id = pg_temp.id('business_a') and user_id = pg_temp.id('member_a')$$,
  '42501', 'permission denied for table business_members',
  'a member cannot promote themselves to owner'
);

select pg_temp.sign_in('member_b');
select throws_ok(
  $$insert into public.business_members (business_id, user_id, role)
    values (pg_temp.id('business_a'), pg_temp.id('member_b'), 'owner')$$,
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
    values (pg_temp.id('business_a'), pg_temp.id('member_b'), 'owner')$$,
  '42501', 'permission denied for table business_members',
  'anon cannot add a member'
);

-- Service role
reset role;
set local role service_role;
select lives_ok(
  $$insert into public.business_members (business_id, user_id, role)
    values (pg_temp.id('business_a'), pg_temp.id('member_b'), 'member')$$,
  'the service role adds a member of business B to business A'
);

select pg_temp.sign_in('member_b');
select set_eq(
  'select id from public.businesses',
  $$values (pg_temp.id('business_a')), (pg_temp.id('business_b'))$$,
  'once added, the new member reads business A as well as business B'
);

reset role;
set local role service_role;
with u as (
  update public.business_members set role = 'admin'
   where business_id = pg_temp.id('business_a') and user_id = pg_temp.id('member_b')
  returning 1
)
select is(count(*)::int, 1, 'the service role changes a member''s role') from u;
with d as (
  delete from public.business_members
   where business_id = pg_temp.id('business_a') and user_id = pg_temp.id('member_b')
  returning 1
)
select is(count(*)::int, 1, 'the service role removes a member') from d;
select throws_ok(
  $$insert into public.business_members (business_id, user_id, role)
    values (pg_temp.id('business_a'), pg_temp.id('member_b'), 'manager')$$,
  '23514', 'new row for relation "business_members" violates check constraint "business_members_role_check"',
  'a member''s role is owner, admin or member'
);

select pg_temp.sign_in('member_b');
select is(
  (select count(*)::int from public.businesses where id = pg_temp.id('business_a')),
  0,
  'once removed, the former member no longer reads business A'
);

reset role;
select * from finish();
rollback;
