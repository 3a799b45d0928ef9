-- The apply path for jobs and visits (private.jobber_apply_work), which the webhook worker and
-- reconciliation share: a job's client becomes a customer first, through the sync's own function;
-- jobs and visits are upserted under the never-older guard; a closed job records `job_closed` and a
-- completed visit `visit_completed`, each once, however many deliveries, reconciliations and
-- reopen / close cycles say so; a job Jobber deleted is only marked; a client Jobber deleted is
-- marked removed.
begin;
select plan(31);

select tests.create_review_fixture();
update public.review_settings set enabled = false where business_id = tests.id('business_a');

create function pg_temp.client(id text, name text, updated text) returns jsonb
language sql as $$
  select jsonb_build_object('external_id', id, 'full_name', name, 'email', lower(replace(name, ' ', '.')) || '@example.com',
    'phone', null, 'address', null, 'status', 'active', 'email_usable', true, 'phone_usable', false,
    'remote_updated_at', updated)
$$;
create function pg_temp.job(id text, client text, status text, completed text, updated text, title text default 'Window washing')
returns jsonb language sql as $$
  select jsonb_build_object('external_id', id, 'client_external_id', client, 'job_number', 7, 'title', title,
    'job_status', status, 'job_type', 'one_off', 'total', 180.5, 'completed_at', completed,
    'property_address', '1 Main St, Toronto, ON M5V 2T6, Canada', 'property_time_zone', 'America/Toronto',
    'remote_updated_at', updated)
$$;
create function pg_temp.visit(id text, job text, completed text, updated text) returns jsonb
language sql as $$
  select jsonb_build_object('external_id', id, 'job_external_id', job, 'title', 'Visit', 'start_at', '2025-10-12T14:00:00Z',
    'end_at', '2025-10-12T16:00:00Z', 'completed_at', completed, 'is_last_scheduled_visit', true,
    'assigned_to', jsonb_build_array('Priya Natarajan', 'Marcus O''Neil'), 'remote_updated_at', updated)
$$;
create function pg_temp.apply(items jsonb, source text default 'webhook') returns table (jobs integer, visits integer, completions integer)
language sql as $$ select * from private.jobber_apply_work(tests.id('business_a'), source, items) $$;
create function pg_temp.item(client jsonb, job jsonb, visits jsonb default '[]') returns jsonb
language sql as $$ select jsonb_build_array(jsonb_build_object('client', client, 'job', job, 'visits', visits)) $$;
create function pg_temp.completions(p_kind text) returns integer
language sql as $$ select count(*)::int from public.job_completions c where c.business_id = tests.id('business_a') and c.kind = p_kind $$;

-- A new job, its client not yet a customer
select results_eq(
  $$select * from pg_temp.apply(pg_temp.item(pg_temp.client('C1', 'Jane Doe', '2025-10-12T03:00:00Z'),
                                             pg_temp.job('J1', 'C1', 'upcoming', null, '2025-10-12T03:00:00Z')))$$,
  $$values (1, 0, 0)$$,
  'an open job is upserted and records no completion'
);
select results_eq(
  $$select c.full_name, c.source, c.external_id from public.jobs j join public.customers c on c.id = j.customer_id
     where j.business_id = tests.id('business_a') and j.external_id = 'J1'$$,
  $$values ('Jane Doe'::text, 'jobber'::text, 'C1'::text)$$,
  'the job''s client became a customer first, and the job belongs to it'
);
select results_eq(
  $$select job_number, title, job_status, job_type, total, completed_at, property_address, property_time_zone, remote_updated_at
      from public.jobs where business_id = tests.id('business_a') and external_id = 'J1'$$,
  $$values (7, 'Window washing'::text, 'upcoming'::text, 'one_off'::text, 180.50::numeric, null::timestamptz,
            '1 Main St, Toronto, ON M5V 2T6, Canada'::text, 'America/Toronto'::text, '2025-10-12T03:00:00Z'::timestamptz)$$,
  'the job keeps Jobber''s number, title, status, type, total, property address and time zone'
);

-- Closed: one completion, whatever is said again
select results_eq(
  $$select * from pg_temp.apply(pg_temp.item(null, pg_temp.job('J1', 'C1', 'requires_invoicing', '2025-10-12T05:00:00Z', '2025-10-12T05:00:00Z')))$$,
  $$values (1, 0, 1)$$,
  'a job seen closed is updated and records a completion'
);
select results_eq(
  $$select kind, completed_at, source, customer_id, visit_id from public.job_completions where business_id = tests.id('business_a')$$,
  $$values ('job_closed'::text, '2025-10-12T05:00:00Z'::timestamptz, 'webhook'::text,
            (select id from public.customers where business_id = tests.id('business_a') and external_id = 'C1'), null::uuid)$$,
  'job_closed, at Jobber''s completedAt, from the webhook, for the job''s customer'
);
select is((select count(*)::int from public.review_decisions where business_id = tests.id('business_a')), 1,
  'inserting it is the event that decides a review request (the trigger ran)');
select results_eq(
  $$select * from pg_temp.apply(pg_temp.item(null, pg_temp.job('J1', 'C1', 'requires_invoicing', '2025-10-12T05:00:00Z', '2025-10-12T05:00:00Z')))$$,
  $$values (0, 0, 0)$$,
  'the same delivery again changes nothing and records nothing'
);
select results_eq(
  $$select * from pg_temp.apply(pg_temp.item(null, pg_temp.job('J1', 'C1', 'requires_invoicing', '2025-10-12T05:00:00Z', '2025-10-12T05:00:00Z')), 'reconcile')$$,
  $$values (0, 0, 0)$$,
  'nor does reconciliation finding it'
);
select results_eq(
  $$select * from pg_temp.apply(pg_temp.item(null, pg_temp.job('J1', 'C1', 'today', null, '2025-10-12T06:00:00Z')))$$,
  $$values (1, 0, 0)$$,
  'reopened: the job goes back to its open status'
);
select results_eq(
  $$select job_status, completed_at from public.jobs where business_id = tests.id('business_a') and external_id = 'J1'$$,
  $$values ('today'::text, null::timestamptz)$$,
  'with no completion time'
);
select results_eq(
  $$select * from pg_temp.apply(pg_temp.item(null, pg_temp.job('J1', 'C1', 'archived', '2025-10-12T07:00:00Z', '2025-10-12T07:00:00Z')))$$,
  $$values (1, 0, 0)$$,
  'closed again: updated, and no second completion'
);
select is(pg_temp.completions('job_closed'), 1, 'close, reopen, close: still one job_closed completion');
select is((select count(*)::int from public.review_decisions where business_id = tests.id('business_a')), 1,
  'so still one decision, and so at most one review request, for the job');

-- Never older
select results_eq(
  $$select * from pg_temp.apply(pg_temp.item(null, pg_temp.job('J1', 'C1', 'upcoming', null, '2025-10-12T04:00:00Z', 'An old title')))$$,
  $$values (0, 0, 0)$$,
  'an answer older than what is stored is not applied'
);
select results_eq(
  $$select title, job_status, remote_updated_at from public.jobs where business_id = tests.id('business_a') and external_id = 'J1'$$,
  $$values ('Window washing'::text, 'archived'::text, '2025-10-12T07:00:00Z'::timestamptz)$$,
  'the newer state stays'
);

-- Visits
select results_eq(
  $$select * from pg_temp.apply(pg_temp.item(pg_temp.client('C2', 'Sam Lee', '2025-10-12T03:00:00Z'),
      pg_temp.job('J2', 'C2', 'action_required', null, '2025-10-12T08:00:00Z', 'Weekly clean'),
      jsonb_build_array(pg_temp.visit('V1', 'J2', '2025-10-12T08:00:00Z', '2025-10-12T08:00:00Z'))))$$,
  $$values (1, 1, 1)$$,
  'a completed visit is upserted with its job and records a completion'
);
select results_eq(
  $$select v.title, v.completed_at, v.is_last_scheduled_visit, v.assigned_to, v.remote_updated_at, j.external_id
      from public.job_visits v join public.jobs j on j.id = v.job_id where v.business_id = tests.id('business_a') and v.external_id = 'V1'$$,
  $$values ('Visit'::text, '2025-10-12T08:00:00Z'::timestamptz, true, array['Priya Natarajan', 'Marcus O''Neil'],
            '2025-10-12T08:00:00Z'::timestamptz, 'J2'::text)$$,
  'the visit keeps its job, completion, assignees and its job''s updatedAt'
);
select results_eq(
  $$select kind, visit_id = (select id from public.job_visits where business_id = tests.id('business_a') and external_id = 'V1')
      from public.job_completions where business_id = tests.id('business_a') and kind = 'visit_completed'$$,
  $$values ('visit_completed'::text, true)$$,
  'the completion is visit_completed, for that visit'
);
select results_eq(
  $$select * from pg_temp.apply(pg_temp.item(null, pg_temp.job('J2', 'C2', 'action_required', null, '2025-10-12T08:00:00Z', 'Weekly clean'),
      jsonb_build_array(pg_temp.visit('V1', 'J2', '2025-10-12T08:00:00Z', '2025-10-12T08:00:00Z'))), 'reconcile')$$,
  $$values (0, 0, 0)$$,
  'the visit found again by reconciliation records nothing'
);
select results_eq(
  $$select * from pg_temp.apply(jsonb_build_array(
      jsonb_build_object('client', null, 'job', pg_temp.job('J3', 'C2', 'requires_invoicing', '2025-10-12T09:00:00Z', '2025-10-12T09:00:00Z'),
                         'visits', jsonb_build_array(pg_temp.visit('V2', 'J3', '2025-10-12T09:00:00Z', '2025-10-12T09:00:00Z'))),
      jsonb_build_object('client', null, 'job', pg_temp.job('J3', 'C2', 'requires_invoicing', '2025-10-12T09:00:00Z', '2025-10-12T09:00:00Z'),
                         'visits', '[]'::jsonb)), 'backfill')$$,
  $$values (1, 1, 2)$$,
  'a job listed twice with a closed job and a completed visit records both kinds at once, in one statement'
);
select is((select count(*)::int from public.job_completions where business_id = tests.id('business_a') and source = 'backfill'), 2,
  'with the items'' source');

-- Deleted in Jobber
select ok(private.jobber_mark_job_deleted(tests.id('business_a'), 'J1'), 'a job Jobber deleted is marked');
select results_eq(
  $$select deleted_at is not null, (select count(*)::int from public.job_completions c where c.job_id = j.id)
      from public.jobs j where j.business_id = tests.id('business_a') and j.external_id = 'J1'$$,
  $$values (true, 1)$$,
  'and kept, with its completion'
);
select ok(not private.jobber_mark_job_deleted(tests.id('business_a'), 'J1'), 'marking it again does nothing');
select ok(not private.jobber_mark_job_deleted(tests.id('business_a'), 'never-seen'), 'nor marking a job never seen');
select ok(private.jobber_remove_customer(tests.id('business_a'), 'C2'), 'a client Jobber deleted is marked removed');
select is((select status from public.customers where business_id = tests.id('business_a') and external_id = 'C2'), 'removed',
  'as the full sync marks it');
select ok(not private.jobber_remove_customer(tests.id('business_a'), 'C2'), 'removing it again does nothing');

-- Isolation and rights
select is((select count(*)::int from public.jobs where business_id = tests.id('business_b')), 0,
  'applying to business A wrote nothing of business B''s');
select throws_ok(
  $$select * from private.jobber_apply_work(tests.id('business_a'), 'gossip', '[]')$$,
  '22023', 'Unknown completion source ''gossip''.',
  'a completion source must be webhook, reconcile or backfill'
);
select ok(
  not has_function_privilege('authenticated', 'private.jobber_apply_work(uuid, text, jsonb)', 'execute')
  and has_function_privilege('service_role', 'private.jobber_apply_work(uuid, text, jsonb)', 'execute')
  and not has_function_privilege('authenticated', 'private.jobber_mark_job_deleted(uuid, text)', 'execute')
  and not has_function_privilege('authenticated', 'private.jobber_remove_customer(uuid, text)', 'execute'),
  'only the service role may apply Jobber''s jobs'
);

select * from finish();
rollback;
