-- The decision trigger: every completion gets exactly one decision, with the first reason that
-- applies in SPEC §10's order, and the facts behind it in `detail`. Each scenario below also
-- breaks a later rule, to prove the earlier one wins.
begin;
select plan(39);

select tests.create_review_fixture();
do $$
begin
  perform tests.customer('jane', 'business_a', '+12125550101', 'jane@example.com');
  perform tests.customer('bob', 'business_b', '+14165550102', 'bob@example.com');
end
$$;

-- 1 automation_off (business B is also disconnected: rule 2 would apply too)
update public.review_settings set enabled = false where business_id = tests.id('business_b');
update public.integrations_jobber set connection_status = 'error', needs_reconnect = true where business_id = tests.id('business_b');
select tests.job('off', 'business_b', 'bob');
select tests.complete('off', now(), 'job_closed', 'backfill');
select is(tests.decision('off'), 'automation_off', '1: settings not enabled -> automation_off (before not_connected and historical)');
select is((select outcome || ' ' || detail::text from public.review_decisions where job_id = tests.id('off')), 'skipped {}',
  'automation_off is a skip with nothing more to say');

delete from public.review_settings where business_id = tests.id('business_b');
select tests.job('no_settings', 'business_b', 'bob');
select tests.complete('no_settings');
select is(tests.decision('no_settings'), 'automation_off', 'a business somehow without a settings row still gets a decision: automation_off');
insert into public.review_settings (business_id) values (tests.id('business_b'));

-- 2 not_connected (also a backfill row: rule 3 would apply too)
update public.review_settings set enabled = true, review_url = 'https://example.com/r' where business_id = tests.id('business_b');
select tests.job('disconnected', 'business_b', 'bob');
select tests.complete('disconnected', now(), 'job_closed', 'backfill');
select is(tests.decision('disconnected'), 'not_connected', '2: connection not connected -> not_connected (before historical)');
select is((select detail from public.review_decisions where job_id = tests.id('disconnected')), '{"connection_status": "error"}'::jsonb,
  'not_connected says what state the connection is in');
delete from public.integrations_jobber where business_id = tests.id('business_b');
select tests.job('never_connected', 'business_b', 'bob');
select tests.complete('never_connected');
select is((select detail->>'connection_status' from public.review_decisions where job_id = tests.id('never_connected')), 'disconnected',
  'a business that never connected is not_connected too');

-- 3 historical (also a visit completion under a job_closed trigger: rule 4 would apply too)
select tests.job('history', 'business_a', 'jane');
do $$
begin
  perform set_config('fixture.history_visit', gen_random_uuid()::text, true);
  insert into public.job_visits (id, business_id, job_id, external_id) values (tests.id('history_visit'), tests.id('business_a'), tests.id('history'), 'v-history');
  perform tests.complete('history', '2026-11-20 15:00:00+00', 'visit_completed', 'backfill', tests.id('history_visit'));
end
$$;
select is(tests.decision('history'), 'historical', '3: source backfill -> historical (before trigger_mismatch)');
select is((select detail from public.review_decisions where job_id = tests.id('history')),
  '{"source": "backfill", "completed_at": "2026-11-20T15:00:00+00:00"}'::jsonb, 'historical carries the source and when it was completed');

-- 4 trigger_mismatch (also completed 10 days ago: rule 5 would apply too)
select tests.job('visit_only', 'business_a', 'jane');
do $$
begin
  perform set_config('fixture.visit_only_visit', gen_random_uuid()::text, true);
  insert into public.job_visits (id, business_id, job_id, external_id) values (tests.id('visit_only_visit'), tests.id('business_a'), tests.id('visit_only'), 'v-only');
  perform tests.complete('visit_only', now() - interval '10 days', 'visit_completed', 'webhook', tests.id('visit_only_visit'));
end
$$;
select is(tests.decision('visit_only'), 'trigger_mismatch', '4: a visit completion under a job_closed setting -> trigger_mismatch (before stale)');
select is((select detail from public.review_decisions where job_id = tests.id('visit_only')),
  '{"kind": "visit_completed", "trigger": "job_closed"}'::jsonb, 'trigger_mismatch names the kind and the trigger');

-- 5 stale (also below the minimum total: rule 7 would apply too)
update public.review_settings set min_job_total = 100 where business_id = tests.id('business_a');
select tests.job('old', 'business_a', 'jane', 20);
select tests.complete('old', now() - interval '3 days 1 minute');
select is(tests.decision('old'), 'stale', '5: completed more than 3 days before the decision -> stale (before below_min_total)');
select is((select detail->>'stale_after_days' from public.review_decisions where job_id = tests.id('old')), '3',
  'stale says after how many days');
select tests.job('almost_old', 'business_a', 'jane', 500);
select tests.complete('almost_old', now() - interval '2 days 23 hours');
select is(tests.decision('almost_old'), 'requested', 'completed 2 days 23 hours ago is not stale (and a total over the minimum passes)');

-- 7 below_min_total (and the customer has no contact: rule 9 would apply too)
select tests.customer('silent', 'business_a', null, null);
select tests.job('small', 'business_a', 'silent', 99.99);
select tests.complete('small');
select is(tests.decision('small'), 'below_min_total', '7: total under min_job_total -> below_min_total (before no_contact)');
select is((select detail from public.review_decisions where job_id = tests.id('small')), '{"total": 99.99, "min_job_total": 100.00}'::jsonb,
  'below_min_total carries the total and the minimum');
select tests.job('untotalled', 'business_a', 'silent', null);
select tests.complete('untotalled');
select is(tests.decision('untotalled'), 'no_contact', 'a job without a total passes the minimum (and stops at the next rule)');
update public.review_settings set min_job_total = null where business_id = tests.id('business_a');

-- 8 no_customer
select tests.job('anonymous', 'business_a', null);
select tests.complete('anonymous');
select is(tests.decision('anonymous'), 'no_customer', '8: a completion without a customer -> no_customer');
select tests.customer('gone', 'business_a', '+12125550103', 'gone@example.com');
update public.customers set status = 'removed' where id = tests.id('gone');
select tests.job('gone_job', 'business_a', 'gone');
select tests.complete('gone_job');
select is(tests.decision('gone_job'), 'no_customer', '8: a removed customer -> no_customer');
select is((select detail from public.review_decisions where job_id = tests.id('gone_job')),
  jsonb_build_object('customer_id', tests.id('gone'), 'customer_status', 'removed'), 'no_customer says the customer was removed');

-- 9 no_contact (the unusable email is also opted out: rule 10 would apply too)
select tests.customer('bounced', 'business_a', null, 'bounced@example.com');
update public.customers set email_usable = false where id = tests.id('bounced');
insert into public.contact_opt_outs (business_id, channel, address, source) values (tests.id('business_a'), 'email', 'bounced@example.com', 'email_complaint');
select tests.job('bounced_job', 'business_a', 'bounced');
select tests.complete('bounced_job');
select is(tests.decision('bounced_job'), 'no_contact', '9: no usable contact for any channel -> no_contact (before opted_out)');
select is((select detail from public.review_decisions where job_id = tests.id('bounced_job')),
  '{"channels": ["sms", "email"], "phone": "missing", "email": "unusable"}'::jsonb, 'no_contact says what is wrong with each contact');
select tests.customer('phone_only', 'business_a', '+12125550104', null);
update public.review_settings set channels = '{email}' where business_id = tests.id('business_a');
select tests.job('phone_only_job', 'business_a', 'phone_only');
select tests.complete('phone_only_job');
select is(tests.decision('phone_only_job'), 'no_contact', '9: a phone is no contact when only email is enabled');
update public.review_settings set channels = '{sms,email}' where business_id = tests.id('business_a');

-- 10 opted_out (on SMS; the email would do, and Jane was also asked recently: rule 11 would apply too)
select tests.customer('stopper', 'business_a', '+12125550105', 'stopper@example.com');
insert into public.contact_opt_outs (business_id, channel, address, source, created_at)
values (tests.id('business_a'), 'sms', '+12125550105', 'sms_stop', '2026-10-01 12:00:00+00');
select tests.job('stopper_first', 'business_a', 'stopper');
select tests.complete('stopper_first');
select is(tests.decision('stopper_first'), 'opted_out', '10: any contact opted out -> opted_out, even with a usable email');
select is((select detail from public.review_decisions where job_id = tests.id('stopper_first')),
  '{"channel": "sms", "opted_out_at": "2026-10-01T12:00:00+00:00", "source": "sms_stop"}'::jsonb,
  'opted_out says which channel, when and how');
select is((select count(*)::int from public.review_requests where customer_id = tests.id('stopper')), 0, 'nothing is scheduled for an opted-out customer');

-- 6 already_requested (recurring work: the job's second visit; Jane was asked for the first visit,
-- so rule 11 would apply too, and the total is under a minimum: rule 7 would too)
update public.review_settings set trigger = 'visit_completed' where business_id = tests.id('business_a');
select tests.job('recurring', 'business_a', 'jane', 10);
do $$
begin
  perform set_config('fixture.visit1', gen_random_uuid()::text, true);
  perform set_config('fixture.visit2', gen_random_uuid()::text, true);
  insert into public.job_visits (id, business_id, job_id, external_id)
  values (tests.id('visit1'), tests.id('business_a'), tests.id('recurring'), 'v1'),
         (tests.id('visit2'), tests.id('business_a'), tests.id('recurring'), 'v2');
  perform tests.complete('recurring', now() - interval '1 hour', 'visit_completed', 'webhook', tests.id('visit1'));
  update public.review_settings set min_job_total = 50 where business_id = tests.id('business_a');
  perform tests.complete('recurring', now(), 'visit_completed', 'webhook', tests.id('visit2'));
end
$$;
select results_eq(
  $$select d.reason from public.review_decisions d join public.job_completions c on c.id = d.completion_id
     where d.job_id = tests.id('recurring') order by c.completed_at$$,
  $$values ('requested'::text), ('already_requested')$$,
  '6: the job''s first visit was asked; the second -> already_requested (before below_min_total and recently_asked)');
select is((select detail from public.review_decisions d join public.job_completions c on c.id = d.completion_id
            where c.visit_id = tests.id('visit2')),
  (select jsonb_build_object('previous_request_id', r.id, 'previous_asked_at', r.created_at) from public.review_requests r where r.job_id = tests.id('recurring')),
  'already_requested names the earlier request and when it was made');
update public.review_settings set trigger = 'job_closed', min_job_total = null where business_id = tests.id('business_a');

-- 11 recently_asked (Jane was asked; her new job's customer also shares her email with Janet: rule 12 too)
select tests.customer('janet', 'business_a', null, 'JANE@example.com');
select tests.job('jane_again', 'business_a', 'jane');
select tests.complete('jane_again');
select is(tests.decision('jane_again'), 'recently_asked', '11: the customer has a counting request within reask_days -> recently_asked');
select is((select (detail->>'previous_request_id')::uuid in (select r.id from public.review_requests r where r.customer_id = tests.id('jane'))
                    and (detail->>'previous_asked_at')::timestamptz = now()
               from public.review_decisions where job_id = tests.id('jane_again')), true,
  'recently_asked names one of Jane''s earlier requests and when it was made');

-- 12 household_recently_asked (same email, different case)
select tests.job('janet_job', 'business_a', 'janet');
select tests.complete('janet_job');
select is(tests.decision('janet_job'), 'household_recently_asked', '12: another customer with the same lower(email) was asked -> household_recently_asked');
select is((select detail->>'other_customer_id' || ' ' || (detail->>'shared') from public.review_decisions where job_id = tests.id('janet_job')),
  tests.id('jane')::text || ' email', 'household_recently_asked names the other customer and what they share');

-- "counts": outside reask_days, or cancelled before anything was sent, a request does not count
update public.review_requests set created_at = now() - interval '181 days' where customer_id = tests.id('jane');
select tests.job('jane_later', 'business_a', 'jane');
select tests.complete('jane_later');
select is(tests.decision('jane_later'), 'requested', 'a request older than reask_days does not count');
select private.review_cancel_requests(array(select id from public.review_requests where job_id = tests.id('jane_later')), 'job_reopened');
select tests.job('jane_after_cancel', 'business_a', 'jane');
select tests.complete('jane_after_cancel');
select is(tests.decision('jane_after_cancel'), 'requested', 'a request cancelled before any message was sent does not count');
update public.review_messages set status = 'delivered', sent_at = now(), delivered_at = now()
 where step = 0 and request_id = (select id from public.review_requests where job_id = tests.id('jane_after_cancel'));
select private.review_cancel_requests(array(select id from public.review_requests where job_id = tests.id('jane_after_cancel')), 'job_reopened');
select tests.job('jane_after_sent', 'business_a', 'jane');
select tests.complete('jane_after_sent');
select is(tests.decision('jane_after_sent'), 'recently_asked', 'a request cancelled after its first message went out still counts');
update public.review_settings set reask_days = 0 where business_id = tests.id('business_a');
select tests.job('jane_no_reask', 'business_a', 'jane');
select tests.complete('jane_no_reask');
select is(tests.decision('jane_no_reask'), 'requested', 'with reask_days 0 nothing earlier counts');
update public.review_settings set reask_days = 180 where business_id = tests.id('business_a');

-- 13 requested / held
select tests.customer('mia', 'business_a', '+12125550106', 'mia@example.com');
select tests.job('mia_job', 'business_a', 'mia', null, 'America/Chicago');
select tests.complete('mia_job', '2027-01-11 15:00:00+00');
select results_eq(
  $$select outcome, reason, detail from public.review_decisions where job_id = tests.id('mia_job')$$,
  $$values ('requested'::text, 'requested'::text, '{"channel": "sms", "scheduled_for": "2027-01-11T15:00:00+00:00",
            "moved_for_send_window": false, "time_zone": "America/Chicago"}'::jsonb)$$,
  '13: otherwise requested, with the channel, when step 0 goes out, whether the window moved it, and the zone');
update public.review_settings set require_approval = true where business_id = tests.id('business_a');
select tests.customer('noah', 'business_a', null, 'noah@example.com');
select tests.job('noah_job', 'business_a', 'noah');
select tests.complete('noah_job', '2027-01-11 15:00:00+00');
select results_eq(
  $$select d.outcome, d.reason, d.detail->>'channel', r.state, (select array_agg(m.status order by m.step) from public.review_messages m where m.request_id = r.id)
      from public.review_decisions d join public.review_requests r on r.completion_id = d.completion_id where d.job_id = tests.id('noah_job')$$,
  $$values ('held'::text, 'held'::text, 'email'::text, 'held'::text, array['held', 'held'])$$,
  '13: with require_approval the decision is held, and so are the request and its messages (by email: Noah has no phone)');

-- Exactly one decision per completion
select is((select count(*)::int from public.job_completions c where c.business_id in (tests.id('business_a'), tests.id('business_b'))
            and (select count(*) from public.review_decisions d where d.completion_id = c.id) <> 1), 0,
  'every completion has exactly one decision');
select is((select count(*)::int from public.review_decisions d
            where d.business_id in (tests.id('business_a'), tests.id('business_b'))
              and (d.outcome in ('requested', 'held')) <> exists (select 1 from public.review_requests r where r.completion_id = d.completion_id)), 0,
  'exactly the requested and held decisions have a request');

select * from finish();
rollback;
