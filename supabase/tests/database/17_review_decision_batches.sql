-- Many completions in one statement (a reconciliation, a burst of webhooks): decided set-based in
-- completed_at then id order, each row seeing the rows before it - so one household is asked once,
-- a job once, a customer once - and the household rule (same phone as stored, or same lower-cased
-- email) holds within the batch and against earlier requests.
begin;
select plan(16);

select tests.create_review_fixture();
do $$
begin
  -- The Rivera household shares a landline-turned-mobile; Sam and Alex share an email.
  perform tests.customer('ana', 'business_a', '+12125550201', 'ana@example.com');
  perform tests.customer('luis', 'business_a', '+12125550201', 'luis@example.com');
  perform tests.customer('sam', 'business_a', '+12125550202', 'Family@Example.com');
  perform tests.customer('alex', 'business_a', '+12125550203', 'family@example.com');
  perform tests.customer('solo', 'business_a', '+12125550204', 'solo@example.com');
  perform tests.customer('twin_b', 'business_b', '+12125550201', 'ana@example.com');
  perform tests.job('ana_job', 'business_a', 'ana');
  perform tests.job('luis_job', 'business_a', 'luis');
  perform tests.job('sam_job', 'business_a', 'sam');
  perform tests.job('alex_job', 'business_a', 'alex');
  perform tests.job('solo_job1', 'business_a', 'solo');
  perform tests.job('solo_job2', 'business_a', 'solo');
  perform tests.job('twin_b_job', 'business_b', 'twin_b');
end
$$;

-- One statement; rows listed out of order on purpose. Luis completed before Ana; Alex before Sam;
-- Solo's second job before the first.
insert into public.job_completions (business_id, job_id, customer_id, kind, completed_at, source)
select j.business_id, j.id, j.customer_id, 'job_closed', v.at, 'webhook'
from (values
  ('ana_job', '2027-02-01 15:05:00+00'::timestamptz),
  ('sam_job', '2027-02-01 15:10:00+00'),
  ('solo_job1', '2027-02-01 15:30:00+00'),
  ('luis_job', '2027-02-01 15:00:00+00'),
  ('alex_job', '2027-02-01 15:09:00+00'),
  ('solo_job2', '2027-02-01 15:20:00+00'),
  ('twin_b_job', '2027-02-01 15:06:00+00')
) v(job, at)
join public.jobs j on j.id = tests.id(v.job);

select is(tests.decision('luis_job'), 'requested', 'the first of the Rivera household in completion order is asked');
select is(tests.decision('ana_job'), 'household_recently_asked', 'the second of the household in the same statement is not');
select is((select detail from public.review_decisions where job_id = tests.id('ana_job')),
  (select jsonb_build_object('other_customer_id', tests.id('luis'), 'shared', 'phone', 'previous_request_id', r.id, 'previous_asked_at', r.created_at)
     from public.review_requests r where r.job_id = tests.id('luis_job')),
  'and the decision names Luis, the shared phone, and the request made earlier in the same statement');
select is(tests.decision('alex_job'), 'requested', 'Alex (completed first) is asked');
select is(tests.decision('sam_job'), 'household_recently_asked', 'Sam shares Alex''s email (in another case) and is not');
select is((select detail->>'shared' from public.review_decisions where job_id = tests.id('sam_job')), 'email', 'shared: email');
select is(tests.decision('solo_job2'), 'requested', 'the customer''s earlier-completed job is asked');
select is(tests.decision('solo_job1'), 'recently_asked', 'the customer''s second job in the same statement is not');
select is(tests.decision('twin_b_job'), 'requested', 'the same phone in another business is another business''s customer');
select is((select count(*)::int from public.review_requests where business_id = tests.id('business_a')), 3,
  'three of six completions of business A were asked: one per household and customer');

-- Against earlier requests, in a later statement
select tests.customer('carmen', 'business_a', '+12125550201', null);
select tests.job('carmen_job', 'business_a', 'carmen');
select tests.complete('carmen_job', '2027-02-02 15:00:00+00');
select is(tests.decision('carmen_job'), 'household_recently_asked', 'a new customer with the Riveras'' phone is not asked either');

-- A household member who cannot be asked does not use up the household
select tests.customer('opted_p', 'business_a', '+12125550301', 'p@example.com');
select tests.customer('open_q', 'business_a', '+12125550301', 'q@example.com');
insert into public.contact_opt_outs (business_id, channel, address, source) values (tests.id('business_a'), 'email', 'p@example.com', 'email_unsubscribe');
select tests.job('p_job', 'business_a', 'opted_p');
select tests.job('q_job', 'business_a', 'open_q');
insert into public.job_completions (business_id, job_id, customer_id, kind, completed_at, source)
select j.business_id, j.id, j.customer_id, 'job_closed', v.at, 'webhook'
from (values ('p_job', '2027-02-03 15:00:00+00'::timestamptz), ('q_job', '2027-02-03 15:01:00+00')) v(job, at)
join public.jobs j on j.id = tests.id(v.job);
select is(tests.decision('p_job'), 'opted_out', 'the first of the household opted out');
select is(tests.decision('q_job'), 'requested', 'so the second, who did not, is asked');

-- Equal completion times are ordered by id
select tests.customer('tie1', 'business_a', '+12125550401', null);
select tests.customer('tie2', 'business_a', '+12125550401', null);
select tests.job('tie1_job', 'business_a', 'tie1');
select tests.job('tie2_job', 'business_a', 'tie2');
insert into public.job_completions (business_id, job_id, customer_id, kind, completed_at, source)
select j.business_id, j.id, j.customer_id, 'job_closed', '2027-02-04 15:00:00+00', 'webhook'
from public.jobs j where j.id in (tests.id('tie1_job'), tests.id('tie2_job'));
select is((select d.reason from public.review_decisions d where d.job_id in (tests.id('tie1_job'), tests.id('tie2_job'))
            order by d.completion_id limit 1), 'requested', 'with equal completion times, the lower id is decided first');

-- A big batch: every row decided once
select tests.job('bulk_' || g, 'business_a', null) from generate_series(1, 300) g;
insert into public.job_completions (business_id, job_id, kind, completed_at, source)
select j.business_id, j.id, 'job_closed', now(), 'reconcile' from public.jobs j where j.external_id like 'job-bulk_%' and j.business_id = tests.id('business_a');
select is((select count(*)::int from public.review_decisions where business_id = tests.id('business_a') and reason = 'no_customer'), 300,
  '300 completions inserted in one statement get 300 decisions');
select is((select count(*)::int from public.job_completions c where c.business_id = tests.id('business_a')
            and not exists (select 1 from public.review_decisions d where d.completion_id = c.id)), 0,
  'no completion of the business is left undecided');

select * from finish();
rollback;
