-- Test helpers shared by every pgTAP file (basejump's pattern: this file runs first and commits,
-- the others each run in a transaction that rolls back). They live in schema `tests`, which the
-- API does not expose, and exist only in databases the test suite runs against.
--
--   tests.create_tenancy_fixture(): business A (owner, admin, member) and business B (owner,
--     member) with fresh ids, so a test neither depends on nor changes the seed;
--   tests.id('owner_a'): reads a fixture id back (ids live in transaction-local settings);
--   tests.sign_in('owner_a'): becomes that user exactly as PostgREST would (role + JWT claims).
begin;
select plan(1);

create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role;

create or replace function tests.id(name text) returns uuid
language sql stable
set search_path = ''
as $$ select current_setting('fixture.' || name)::uuid $$;

create or replace function tests.sign_in(name text) returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('role', 'authenticated', true);
  perform set_config('request.jwt.claims',
    json_build_object('sub', tests.id(name), 'role', 'authenticated')::text, true);
end
$$;

create or replace function tests.create_tenancy_fixture() returns void
language plpgsql
set search_path = ''
as $$
declare
  name text;
begin
  foreach name in array array['business_a', 'business_b', 'owner_a', 'admin_a', 'member_a', 'owner_b', 'member_b'] loop
    perform set_config('fixture.' || name, gen_random_uuid()::text, true);
  end loop;

  insert into auth.users (id, email, aud, role)
  select tests.id(u), u || '-' || tests.id(u) || '@fixture.test', 'authenticated', 'authenticated'
  from unnest(array['owner_a', 'admin_a', 'member_a', 'owner_b', 'member_b']) u;

  insert into public.businesses (id, name)
  values (tests.id('business_a'), 'Fixture A'), (tests.id('business_b'), 'Fixture B');

  insert into public.business_members (business_id, user_id, role)
  values
    (tests.id('business_a'), tests.id('owner_a'), 'owner'),
    (tests.id('business_a'), tests.id('admin_a'), 'admin'),
    (tests.id('business_a'), tests.id('member_a'), 'member'),
    (tests.id('business_b'), tests.id('owner_b'), 'owner'),
    (tests.id('business_b'), tests.id('member_b'), 'member');
end
$$;

grant execute on function tests.id(text), tests.sign_in(text) to anon, authenticated, service_role;

select has_function('tests', 'create_tenancy_fixture', 'the shared test fixtures are installed');
select * from finish();
commit;
