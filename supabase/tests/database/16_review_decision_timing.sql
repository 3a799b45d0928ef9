-- When review messages go out (SPEC §10 "When"): step 0 at greatest(completed_at + delay,
-- decided_at), follow-ups whole calendar days later in the recipient's zone, each moved forward to
-- the next window start when outside the recipient-local window - DST-correct, in the property's
-- zone when it has one, and never failing on a zone Postgres does not know. Completions here lie in
-- 2027, after the decision time, so the due time is completed_at + delay and the dates are fixed.
-- US DST in 2027: starts Sunday 14 March (02:00 -> 03:00), ends Sunday 7 November.
begin;
select plan(20);

select tests.create_review_fixture();
select tests.customer('jane', 'business_a', '+12125550101', 'jane@example.com');
-- Business A is in New York (the default); the window is 08:00-21:00.

create function pg_temp.step(job text, step integer) returns timestamptz language sql as $$
  select m.scheduled_for from public.review_messages m join public.review_requests r on r.id = m.request_id
  where r.job_id = tests.id(job) and m.step = step
$$;
create function pg_temp.detail(job text) returns jsonb language sql as $$
  select d.detail from public.review_decisions d where d.job_id = tests.id(job)
$$;

-- Each job its own customer, so re-ask rules stay out of the way.
create function pg_temp.job(name text, zone text default null) returns uuid language plpgsql as $$
begin
  perform tests.customer(name || '_customer', 'business_a', null, name || '@example.com');
  return tests.job(name, 'business_a', name || '_customer', null, zone);
end
$$;

-- 20:59 and 07:59 recipient-local
select pg_temp.job('at_2059');
select tests.complete('at_2059', '2027-03-13 20:59:00 America/New_York');
select is(pg_temp.step('at_2059', 0), '2027-03-13 20:59:00 America/New_York'::timestamptz, 'completed at 20:59 with no delay: sent at 20:59');
select is(pg_temp.detail('at_2059')->>'moved_for_send_window', 'false', 'and the decision says the window did not move it');

update public.review_settings set delay_minutes = 1 where business_id = tests.id('business_a');
select pg_temp.job('at_2059_delayed');
select tests.complete('at_2059_delayed', '2027-03-13 20:59:00 America/New_York');
select is(pg_temp.step('at_2059_delayed', 0), '2027-03-14 12:00:00+00'::timestamptz,
  'due at 21:00 on the eve of the spring DST change: moved to 08:00 EDT next morning (12:00 UTC, not 13:00)');
select is(pg_temp.detail('at_2059_delayed')->>'moved_for_send_window', 'true', 'and the decision says the window moved it');
update public.review_settings set delay_minutes = 0 where business_id = tests.id('business_a');

select pg_temp.job('at_0759_fall');
select tests.complete('at_0759_fall', '2027-11-07 07:59:00 America/New_York');
select is(pg_temp.step('at_0759_fall', 0), '2027-11-07 13:00:00+00'::timestamptz,
  'completed at 07:59 on the morning DST ended: sent at 08:00 EST (13:00 UTC)');
select pg_temp.job('at_0759_summer');
select tests.complete('at_0759_summer', '2027-11-06 07:59:00 America/New_York');
select is(pg_temp.step('at_0759_summer', 0), '2027-11-06 12:00:00+00'::timestamptz,
  'completed at 07:59 the day before: sent at 08:00 EDT (12:00 UTC)');
select pg_temp.job('at_0800');
select tests.complete('at_0800', '2027-06-01 08:00:00 America/New_York');
select is(pg_temp.step('at_0800', 0), '2027-06-01 08:00:00 America/New_York'::timestamptz, 'exactly 08:00 is inside the window');
select pg_temp.job('at_2100');
select tests.complete('at_2100', '2027-06-01 21:00:00 America/New_York');
select is(pg_temp.step('at_2100', 0), '2027-06-02 08:00:00 America/New_York'::timestamptz, 'exactly 21:00 is outside: the next day at 08:00');
select pg_temp.job('at_0230_spring');
select tests.complete('at_0230_spring', '2027-03-14 07:30:00+00');
select is(pg_temp.step('at_0230_spring', 0), '2027-03-14 12:00:00+00'::timestamptz,
  'completed in the night DST starts: sent at 08:00 EDT that morning');

-- The property's zone, not the business's
select pg_temp.job('west', 'America/Los_Angeles');
select tests.complete('west', '2027-01-12 04:30:00+00');
select is(pg_temp.step('west', 0), '2027-01-12 04:30:00+00'::timestamptz,
  '23:30 in New York is 20:30 at a Los Angeles property: inside its window, sent at once');
select is(pg_temp.detail('west')->>'time_zone', 'America/Los_Angeles', 'the decision names the recipient''s zone');
select pg_temp.job('east_business');
select tests.complete('east_business', '2027-01-12 04:30:00+00');
select is(pg_temp.step('east_business', 0), '2027-01-12 08:00:00 America/New_York'::timestamptz,
  'the same moment at a property with no zone uses the business''s zone: next morning 08:00 New York');

-- Unknown zone names fall through and never fail the insert
select pg_temp.job('mars', 'Mars/Olympus_Mons');
select lives_ok($$select tests.complete('mars', '2027-01-12 04:30:00+00')$$, 'a property zone Postgres does not know does not fail the insert');
select is(pg_temp.detail('mars')->>'time_zone', 'America/New_York', 'an unknown property zone falls back to the business''s zone');
update public.businesses set timezone = 'Nowhere/Special' where id = tests.id('business_a');
select pg_temp.job('nowhere', 'Mars/Olympus_Mons');
select lives_ok($$select tests.complete('nowhere', '2027-01-12 04:30:00+00')$$, 'an unknown business zone does not fail the insert either');
select results_eq(
  $$select pg_temp.detail('nowhere')->>'time_zone', pg_temp.step('nowhere', 0)$$,
  $$values ('UTC'::text, '2027-01-12 08:00:00+00'::timestamptz)$$,
  'with neither zone known, the window is UTC''s');
update public.businesses set timezone = 'America/New_York' where id = tests.id('business_a');

-- Follow-ups: whole calendar days in the recipient's zone, across the DST change
update public.review_settings set follow_ups = 2, follow_up_days = 3 where business_id = tests.id('business_a');
select pg_temp.job('followed');
select tests.complete('followed', '2027-03-12 20:00:00 America/New_York');
select results_eq(
  $$select m.step, m.scheduled_for from public.review_messages m join public.review_requests r on r.id = m.request_id
     where r.job_id = tests.id('followed') order by m.step$$,
  $$values (0, '2027-03-12 20:00:00 America/New_York'::timestamptz), (1, '2027-03-15 20:00:00 America/New_York'::timestamptz),
           (2, '2027-03-18 20:00:00 America/New_York'::timestamptz)$$,
  'step 0 at 20:00 EST, follow-ups 3 and 6 days later at 20:00 EDT (not 72 hours later, which would be 21:00: outside)');
select pg_temp.job('followed_late');
select tests.complete('followed_late', '2027-07-01 20:30:00 America/New_York');
update public.review_settings set delay_minutes = 0 where business_id = tests.id('business_a');
select results_eq(
  $$select m.step, m.due_at, m.scheduled_for from public.review_messages m join public.review_requests r on r.id = m.request_id
     where r.job_id = tests.id('followed_late') order by m.step$$,
  $$values (0, '2027-07-01 20:30:00 America/New_York'::timestamptz, '2027-07-01 20:30:00 America/New_York'::timestamptz),
           (1, '2027-07-04 20:30:00 America/New_York'::timestamptz, '2027-07-04 20:30:00 America/New_York'::timestamptz),
           (2, '2027-07-07 20:30:00 America/New_York'::timestamptz, '2027-07-07 20:30:00 America/New_York'::timestamptz)$$,
  'each follow-up keeps step 0''s local time of day');

-- Never before the decision
update public.review_settings set delay_minutes = 60, follow_ups = 1 where business_id = tests.id('business_a');
select pg_temp.job('late_news');
select tests.complete('late_news', now() - interval '3 hours');
select is((select m.due_at from public.review_messages m join public.review_requests r on r.id = m.request_id
            where r.job_id = tests.id('late_news') and m.step = 0), now(),
  'completed 3 hours ago with a 1-hour delay: due at the decision, not in the past');

-- A message is never scheduled outside the recipient-local window
select is((select count(*)::int from public.review_messages m join public.review_requests r on r.id = m.request_id
            where r.business_id = tests.id('business_a')
              and not ((m.scheduled_for at time zone r.time_zone)::time >= '08:00' and (m.scheduled_for at time zone r.time_zone)::time < '21:00')), 0,
  'every message in this file is scheduled inside its recipient''s 08:00-21:00');

select * from finish();
rollback;
