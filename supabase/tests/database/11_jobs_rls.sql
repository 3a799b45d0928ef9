-- jobs, job_visits, job_completions: members read their business's rows, only the service role
-- writes; completions are insert-only even for the service role, and one per closed job / per
-- completed visit, so repeated deliveries record a completion once.
begin;
select plan(27);

select tests.create_tenancy_fixture();
do $$
begin
  perform tests.customer('jane', 'business_a', '+12125550101', 'jane@example.com');
  perform tests.customer('bob', 'business_b', '+14165550102', 'bob@example.com');
  perform tests.job('job_a', 'business_a', 'jane', 250);
  perform tests.job('job_b', 'business_b', 'bob', 90);
  perform set_config('fixture.visit_a', gen_random_uuid()::text, true);
  insert into public.job_visits (id, business_id, job_id, external_id, completed_at, assigned_to)
  values (tests.id('visit_a'), tests.id('business_a'), tests.id('job_a'), 'visit-a', now(), array['Sam Tech']);
  perform set_config('fixture.completion_a', tests.complete('job_a')::text, true);
  perform tests.complete('job_b');
end
$$;

-- Reading
select tests.sign_in('member_a');
select results_eq('select id from public.jobs', $$values (tests.id('job_a'))$$,
  'a member of business A sees exactly business A''s jobs');
select results_eq('select id from public.job_visits', $$values (tests.id('visit_a'))$$,
  'a member of business A sees exactly business A''s visits');
select results_eq('select id from public.job_completions', $$values (tests.id('completion_a'))$$,
  'a member of business A sees exactly business A''s completions');
select tests.sign_in('member_b');
select is((select count(*)::int from public.jobs where business_id = tests.id('business_a')), 0,
  'a member of business B cannot read business A''s jobs');
select is((select count(*)::int from public.job_visits where business_id = tests.id('business_a')), 0,
  'a member of business B cannot read business A''s visits');
select is((select count(*)::int from public.job_completions where business_id = tests.id('business_a')), 0,
  'a member of business B cannot read business A''s completions');

-- Writing, even as owner
select tests.sign_in('owner_a');
select throws_ok(
  $$insert into public.jobs (business_id, external_id) values (tests.id('business_a'), 'forged')$$,
  '42501', 'permission denied for table jobs', 'the owner cannot create a job');
select throws_ok(
  $$update public.jobs set total = 1 where id = tests.id('job_a')$$,
  '42501', 'permission denied for table jobs', 'the owner cannot edit a job');
select throws_ok(
  $$delete from public.job_visits where id = tests.id('visit_a')$$,
  '42501', 'permission denied for table job_visits', 'the owner cannot delete a visit');
select throws_ok(
  $$insert into public.job_completions (business_id, job_id, kind, completed_at, source)
    values (tests.id('business_a'), tests.id('job_a'), 'job_closed', now(), 'webhook')$$,
  '42501', 'permission denied for table job_completions', 'the owner cannot record a completion (which would start a journey)');

-- Anonymous callers
reset role;
set local role anon;
select throws_ok('select id from public.jobs', '42501', 'permission denied for table jobs', 'anon cannot read jobs');
select throws_ok('select id from public.job_visits', '42501', 'permission denied for table job_visits', 'anon cannot read visits');
select throws_ok('select id from public.job_completions', '42501', 'permission denied for table job_completions',
  'anon cannot read completions');

-- The service role writes jobs and visits, and only inserts completions
reset role;
set local role service_role;
select lives_ok(
  $$update public.jobs set job_status = 'archived', deleted_at = now() where id = tests.id('job_b')$$,
  'the service role marks a job deleted in Jobber (the row is kept)');
select throws_ok(
  $$update public.job_completions set completed_at = now() where id = tests.id('completion_a')$$,
  '42501', 'permission denied for table job_completions', 'the service role cannot edit a completion');
select throws_ok(
  $$delete from public.job_completions where id = tests.id('completion_a')$$,
  '42501', 'permission denied for table job_completions', 'the service role cannot delete a completion');
select lives_ok(
  $$insert into public.job_completions (business_id, job_id, customer_id, kind, completed_at, source)
    values (tests.id('business_a'), tests.id('job_a'), tests.id('jane'), 'job_closed', now(), 'reconcile')
    on conflict do nothing$$,
  'a second job_closed completion for the same job is absorbed by on conflict do nothing');
select is((select count(*)::int from public.job_completions where job_id = tests.id('job_a') and kind = 'job_closed'), 1,
  'the job still has exactly one job_closed completion');
select throws_ok(
  $$insert into public.job_completions (business_id, job_id, kind, completed_at, source)
    values (tests.id('business_a'), tests.id('job_a'), 'job_closed', now(), 'webhook')$$,
  '23505', 'duplicate key value violates unique constraint "job_completions_one_job_closed_per_job"',
  'without on conflict, a duplicate job_closed completion is refused');
select lives_ok(
  $$insert into public.job_completions (business_id, job_id, visit_id, customer_id, kind, completed_at, source)
    values (tests.id('business_a'), tests.id('job_a'), tests.id('visit_a'), tests.id('jane'), 'visit_completed', now(), 'webhook'),
           (tests.id('business_a'), tests.id('job_a'), tests.id('visit_a'), tests.id('jane'), 'visit_completed', now(), 'webhook')
    on conflict do nothing$$,
  'the same visit completed twice in one statement is absorbed');
select is((select count(*)::int from public.job_completions where visit_id = tests.id('visit_a')), 1,
  'the visit has exactly one visit_completed completion');
select throws_ok(
  $$insert into public.job_completions (business_id, job_id, kind, completed_at, source)
    values (tests.id('business_a'), tests.id('job_a'), 'visit_completed', now(), 'webhook')$$,
  '23514', 'new row for relation "job_completions" violates check constraint "job_completions_visit_completed_has_visit"',
  'a visit_completed completion names its visit');
select throws_ok(
  $$insert into public.job_completions (business_id, job_id, kind, completed_at, source)
    values (tests.id('business_a'), tests.id('job_a'), 'job_closed', now(), 'import')$$,
  '23514', 'new row for relation "job_completions" violates check constraint "job_completions_source_check"',
  'a completion''s source is webhook, reconcile or backfill');
select is((select count(*)::int from public.review_decisions where job_id = tests.id('job_a')), 2,
  'every completion that was recorded has exactly one decision (the absorbed duplicates have none)');
reset role;

select throws_ok(
  $$delete from public.jobs where id = tests.id('job_a')$$,
  '23503', null, 'a job with a completion cannot be deleted: jobs deleted in Jobber are marked, not removed');
select is((select deleted_at is not null from public.jobs where id = tests.id('job_b')), true,
  'the deleted job is kept with deleted_at set');
delete from public.businesses where id = tests.id('business_a');
select is((select count(*)::int from public.job_completions where business_id = tests.id('business_a')), 0,
  'deleting a business removes its jobs, visits, completions and decisions');

select * from finish();
rollback;
