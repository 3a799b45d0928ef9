-- "Ask recent customers" (SPEC §10 "Safe backfill"): backfilled completions are decided
-- `historical` and never messaged on their own. The owner previews how many would be asked and
-- why the others would not, then confirms: the chosen historical decisions are re-decided in
-- place by the same engine (every rule but historical and stale) and the asked ones scheduled at
-- most backfill_per_hour an hour, inside send windows. The wall clock's time of day is whatever
-- it is when this runs, so pacing is checked as properties, not as fixed times.
begin;
select plan(26);

select tests.create_review_fixture();
update public.review_settings set backfill_per_hour = 2 where business_id = tests.id('business_a');
do $$
declare
  n text;
begin
  foreach n in array array['c1', 'c2', 'c3', 'c4', 'c5'] loop
    perform tests.customer(n, 'business_a', null, n || '@example.com');
    perform tests.job(n || '_job', 'business_a', n);
  end loop;
  perform tests.customer('stopped', 'business_a', '+12125550101', null);
  perform tests.job('stopped_job', 'business_a', 'stopped');
  perform tests.customer('housemate', 'business_a', null, 'C1@example.com');
  perform tests.job('housemate_job', 'business_a', 'housemate');
  perform tests.job('nobody_job', 'business_a', null);
  perform tests.customer('ancient', 'business_a', null, 'ancient@example.com');
  perform tests.job('ancient_job', 'business_a', 'ancient');
  insert into public.contact_opt_outs (business_id, channel, address, source)
  values (tests.id('business_a'), 'sms', '+12125550101', 'sms_stop');
end
$$;
-- The import of the last 30 days: one statement, as reconciliation writes it.
insert into public.job_completions (business_id, job_id, customer_id, kind, completed_at, source)
select j.business_id, j.id, j.customer_id, 'job_closed', now() - v.ago, 'backfill'
from (values ('c1_job', interval '20 days'), ('c2_job', interval '19 days'), ('c3_job', interval '18 days'),
             ('c4_job', interval '10 days'), ('c5_job', interval '2 days'), ('stopped_job', interval '5 days'),
             ('housemate_job', interval '4 days'), ('nobody_job', interval '3 days'), ('ancient_job', interval '40 days')) v(job, ago)
join public.jobs j on j.id = tests.id(v.job);

select is((select count(*)::int from public.review_decisions where business_id = tests.id('business_a') and reason = 'historical'), 9,
  'backfilled completions are decided historical');
select is((select count(*)::int from public.review_requests where business_id = tests.id('business_a')), 0,
  'and nothing is scheduled for them');

-- Who may ask
select tests.sign_in('member_a');
select throws_ok($$select public.review_ask_recent_preview(tests.id('business_a'))$$, 'BJ002', null, 'a member cannot preview');
select throws_ok($$select public.review_ask_recent_confirm(tests.id('business_a'))$$, 'BJ002', null, 'a member cannot confirm');
select tests.sign_in('owner_b');
select throws_ok($$select public.review_ask_recent_confirm(tests.id('business_a'))$$, 'BJ001', null,
  'another business''s owner is not a member');
select tests.sign_in('owner_a');
select throws_ok($$select public.review_ask_recent_preview(tests.id('business_a'), null, 365)$$, '22023',
  'within_days must be between 1 and 90.', 'a look-back past 90 days is refused');

-- Preview: counts, nothing written
select tests.sign_in('owner_a');
select results_eq(
  $$select p->'candidates', p->'asked', p->'held', p->'excluded', p->'per_hour'
      from (select public.review_ask_recent_preview(tests.id('business_a')) p) x$$,
  $$values ('8'::jsonb, '5'::jsonb, '0'::jsonb, '{"opted_out": 1, "no_customer": 1, "household_recently_asked": 1}'::jsonb, '2'::jsonb)$$,
  'preview: of 8 historical completions in the last 30 days, 5 would be asked; opted out, no customer and a household member would not');
select is((select (p->>'last_send_at')::timestamptz - (p->>'first_send_at')::timestamptz >= interval '2 hours'
             from (select public.review_ask_recent_preview(tests.id('business_a')) p) x), true,
  'preview: at 2 an hour, the 5 first messages span at least two hours');
reset role;
select is((select count(*)::int from public.review_decisions where business_id = tests.id('business_a') and reason = 'historical'), 9,
  'preview changed no decision');
select is((select count(*)::int from public.review_requests where business_id = tests.id('business_a')), 0, 'preview scheduled nothing');

-- Confirm
select tests.sign_in('owner_a');
select results_eq(
  $$select p->'candidates', p->'asked', p->'excluded'
      from (select public.review_ask_recent_confirm(tests.id('business_a')) p) x$$,
  $$values ('8'::jsonb, '5'::jsonb, '{"opted_out": 1, "no_customer": 1, "household_recently_asked": 1}'::jsonb)$$,
  'confirm does what the preview said');
reset role;
select results_eq(
  $$select d.reason, count(*)::int from public.review_decisions d where d.business_id = tests.id('business_a') group by d.reason order by d.reason$$,
  $$values ('historical'::text, 1), ('household_recently_asked', 1), ('no_customer', 1), ('opted_out', 1), ('requested', 5)$$,
  'the 8 decisions were re-decided in place (still 9 decisions; the 40-day-old one stays historical)');
select is((select count(*)::int from public.review_decisions d where d.business_id = tests.id('business_a')
            and d.reason <> 'historical' and d.detail->>'previous_reason' = 'historical'), 8,
  'each re-decided decision says it was historical before');
select is((select count(*)::int from public.review_requests where business_id = tests.id('business_a') and origin = 'ask_recent'), 5,
  'the 5 requests are marked as asked through "Ask recent customers"');
select is(tests.decision('c2_job'), 'requested', 'a 19-day-old completion is asked: the stale rule does not apply here');
select is(tests.decision('housemate_job'), 'household_recently_asked', 'the household rule still applies within the batch');

-- Pacing
select is((select count(*)::int from public.review_messages m join public.review_requests r on r.id = m.request_id
            where r.business_id = tests.id('business_a') and m.step = 0
              and (select count(*) from public.review_messages m2 join public.review_requests r2 on r2.id = m2.request_id
                    where r2.business_id = r.business_id and m2.step = 0
                      and m2.scheduled_for >= m.scheduled_for and m2.scheduled_for < m.scheduled_for + interval '1 hour') > 2), 0,
  'no hour holds more than 2 first messages');
select is((select count(*)::int from public.review_messages m join public.review_requests r on r.id = m.request_id
            where r.business_id = tests.id('business_a')
              and not ((m.scheduled_for at time zone r.time_zone)::time >= '08:00' and (m.scheduled_for at time zone r.time_zone)::time < '21:00')), 0,
  'every paced message is inside the recipient''s window');
select is((select min(m.scheduled_for) >= now() from public.review_messages m join public.review_requests r on r.id = m.request_id
            where r.business_id = tests.id('business_a')), true, 'nothing is scheduled in the past');
select is((select array_agg(c.job_id order by m.scheduled_for) from public.review_messages m
             join public.review_requests r on r.id = m.request_id join public.job_completions c on c.id = r.completion_id
            where r.business_id = tests.id('business_a') and m.step = 0),
  array[tests.id('c1_job'), tests.id('c2_job'), tests.id('c3_job'), tests.id('c4_job'), tests.id('c5_job')],
  'first messages go out in completion order');
select is((select detail->>'paced' from public.review_decisions where job_id = tests.id('c3_job')), 'true', 'the decision says it was paced');

-- Again: nothing left to ask
select tests.sign_in('owner_a');
select is((public.review_ask_recent_confirm(tests.id('business_a')))->'asked', '0'::jsonb, 'confirming twice asks nobody twice');
reset role;

-- A second batch continues after the first one's slots; a chosen subset; a short window
update public.review_settings set send_window_start = '10:00', send_window_end = '11:00' where business_id = tests.id('business_a');
do $$
declare
  n text;
begin
  foreach n in array array['d1', 'd2', 'd3', 'd4', 'd5', 'd6'] loop
    perform tests.customer(n, 'business_a', null, n || '@example.com');
    perform tests.job(n || '_job', 'business_a', n);
    perform tests.complete(n || '_job', now() - interval '1 day', 'job_closed', 'backfill');
  end loop;
end
$$;
select tests.sign_in('owner_a');
select is((public.review_ask_recent_confirm(tests.id('business_a'),
    array(select id from public.job_completions where job_id in (tests.id('d1_job'), tests.id('d2_job'), tests.id('d3_job'),
                                                                 tests.id('d4_job'), tests.id('d5_job')))))->'asked',
  '5'::jsonb, 'only the 5 chosen completions are asked');
reset role;
select is(tests.decision('d6_job'), 'historical', 'the one not chosen stays historical');
select is((select min(m.due_at) from public.review_messages m join public.review_requests r on r.id = m.request_id
            join public.job_completions c on c.id = r.completion_id where c.job_id = tests.id('d1_job') and m.step = 0)
        >= (select max(m.due_at) + interval '30 minutes' from public.review_messages m join public.review_requests r on r.id = m.request_id
            join public.job_completions c on c.id = r.completion_id where c.job_id = tests.id('c5_job') and m.step = 0), true,
  'the second batch starts after the first batch''s last slot, so two batches do not double the rate');
select is((select count(*)::int from (
    select (m.scheduled_for at time zone r.time_zone)::date, count(*) from public.review_messages m
      join public.review_requests r on r.id = m.request_id join public.job_completions c on c.id = r.completion_id
     where c.job_id in (tests.id('d1_job'), tests.id('d2_job'), tests.id('d3_job'), tests.id('d4_job'), tests.id('d5_job')) and m.step = 0
       and (m.scheduled_for at time zone r.time_zone)::time >= '10:00' and (m.scheduled_for at time zone r.time_zone)::time < '11:00'
     group by 1 having count(*) <= 2) days), 3,
  'with a one-hour window and 2 an hour, 5 first messages take three days, at most 2 a day, all inside 10:00-11:00');

select * from finish();
rollback;
