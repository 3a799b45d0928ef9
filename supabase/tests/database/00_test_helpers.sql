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

-- Review journeys (SPEC §10). tests.create_review_fixture(): the tenancy fixture with both
-- businesses connected to Jobber and review requests on (no delay, sms then email, one follow-up
-- after 3 days, re-ask after 180 days, window 08:00-21:00, New York). Then, by fixture name:
--   tests.customer('jane', 'business_a', '+12125550101', 'jane@example.com')
--   tests.job('job1', 'business_a', 'jane', total, property_time_zone)
--   tests.complete('job1', completed_at [, kind, source, visit]) -> the completion's id
--   tests.decision('job1') -> the reason of the job's (latest) decision
create or replace function tests.create_review_fixture() returns void
language plpgsql
set search_path = ''
as $$
begin
  perform tests.create_tenancy_fixture();
  insert into public.integrations_jobber (business_id, access_token_secret_id, refresh_token_secret_id, account_id,
                                          account_name, connection_status, connected_at)
  select tests.id(b), gen_random_uuid(), gen_random_uuid(), 'acct-' || tests.id(b), 'Fixture Jobber', 'connected', now()
  from unnest(array['business_a', 'business_b']) b;
  update public.review_settings set enabled = true, review_url = 'https://example.com/review', delay_minutes = 0
  where business_id in (select tests.id(b) from unnest(array['business_a', 'business_b']) b);
end
$$;

create or replace function tests.customer(name text, business text, phone text, email text) returns uuid
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('fixture.' || name, gen_random_uuid()::text, true);
  insert into public.customers (id, business_id, source, external_id, full_name, phone, email)
  values (tests.id(name), tests.id(business), 'jobber', 'client-' || name, initcap(name), phone, email);
  return tests.id(name);
end
$$;

create or replace function tests.job(name text, business text, customer text, total numeric default null,
                                     zone text default null) returns uuid
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('fixture.' || name, gen_random_uuid()::text, true);
  insert into public.jobs (id, business_id, external_id, customer_id, title, job_status, total, property_time_zone)
  values (tests.id(name), tests.id(business), 'job-' || name, case when customer is not null then tests.id(customer) end,
          'Fixture job ' || name, 'requires_invoicing', total, zone);
  return tests.id(name);
end
$$;

create or replace function tests.complete(job text, completed_at timestamptz default now(), kind text default 'job_closed',
                                          source text default 'webhook', visit uuid default null) returns uuid
language sql
set search_path = ''
as $$
  insert into public.job_completions (business_id, job_id, visit_id, customer_id, kind, completed_at, source)
  select j.business_id, j.id, complete.visit, j.customer_id, complete.kind, complete.completed_at, complete.source
  from public.jobs j where j.id = tests.id(complete.job)
  returning id
$$;

create or replace function tests.decision(job text) returns text
language sql stable
set search_path = ''
as $$
  select d.reason from public.review_decisions d where d.job_id = tests.id(job) order by d.decided_at desc, d.created_at desc limit 1
$$;

grant execute on function tests.id(text), tests.sign_in(text) to anon, authenticated, service_role;

select has_function('tests', 'create_tenancy_fixture', 'the shared test fixtures are installed');
select * from finish();
commit;
