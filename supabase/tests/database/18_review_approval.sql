-- Held requests (SPEC §10 "Held"): owners and admins approve them - the messages become
-- scheduled, re-timed from the approval and put back in the send window - or skip them (cancelled,
-- 'skipped', and no longer counting as asked). Members and other businesses cannot.
begin;
select plan(22);

select tests.create_review_fixture();
update public.review_settings set require_approval = true, follow_ups = 1, follow_up_days = 3
where business_id = tests.id('business_a');
do $$
begin
  perform tests.customer('jane', 'business_a', '+12125550101', 'jane@example.com');
  perform tests.customer('kim', 'business_a', '+12125550102', 'kim@example.com');
  perform tests.job('jane_job', 'business_a', 'jane', null, 'America/Chicago');
  perform tests.job('kim_job', 'business_a', 'kim');
  -- Jane's job was completed long ago (as far as the due time goes: it lies before the decision).
  perform tests.complete('jane_job', now() - interval '2 hours');
  perform tests.complete('kim_job', now() - interval '2 hours');
  perform set_config('fixture.jane_request', (select id::text from public.review_requests where job_id = tests.id('jane_job')), true);
  perform set_config('fixture.kim_request', (select id::text from public.review_requests where job_id = tests.id('kim_job')), true);
end
$$;

select is((select state from public.review_requests where id = tests.id('jane_request')), 'held', 'the request is held for approval');
select is((select count(*)::int from public.review_messages where request_id = tests.id('jane_request') and status = 'held'), 2,
  'its messages are held too, and not due');

-- Who may act
select tests.sign_in('member_a');
select throws_ok($$select public.review_approve_request(tests.id('jane_request'))$$, 'BJ002', null, 'a member cannot approve');
select throws_ok($$select public.review_skip_request(tests.id('jane_request'))$$, 'BJ002', null, 'a member cannot skip');
select tests.sign_in('owner_b');
select throws_ok($$select public.review_approve_request(tests.id('jane_request'))$$, 'BJ006',
  'There is no such review request in your business.', 'another business''s owner is told there is no such request');
select throws_ok($$select public.review_approve_request(gen_random_uuid())$$, 'BJ006',
  'There is no such review request in your business.', 'an unknown request gets the same answer');
reset role;
set local role anon;
select throws_ok($$select public.review_approve_request(tests.id('jane_request'))$$, '42501', null, 'anon cannot call approve at all');
reset role;

-- Approve
select tests.sign_in('admin_a');
select is((public.review_approve_request(tests.id('jane_request')))->>'state', 'scheduled', 'an admin approves: the request is scheduled');
reset role;
select results_eq(
  $$select m.step, m.status, m.due_at from public.review_messages m where m.request_id = tests.id('jane_request') order by m.step$$,
  $$values (0, 'scheduled'::text, now()), (1, 'scheduled'::text, ((now() at time zone 'America/Chicago') + interval '3 days') at time zone 'America/Chicago')$$,
  're-timed from the approval: step 0 due now (not 2 hours ago), the follow-up 3 calendar days later');
select is((select count(*)::int from public.review_messages m where m.request_id = tests.id('jane_request')
            and m.scheduled_for <> private.review_in_send_window(m.due_at, 'America/Chicago', '08:00', '21:00')), 0,
  'each approved message is then put in the recipient''s send window');
select results_eq(
  $$select approved_by, approved_at from public.review_requests where id = tests.id('jane_request')$$,
  $$values (tests.id('admin_a'), now())$$,
  'the request records who approved it and when');
select tests.sign_in('owner_a');
select is((public.review_approve_request(tests.id('jane_request')))->>'state', 'scheduled', 'approving again is harmless');
select throws_ok($$select public.review_skip_request(tests.id('jane_request'))$$, 'BJ008',
  'This review request is not waiting for approval (it is scheduled).', 'an approved request can no longer be skipped');

-- Skip
select is((public.review_skip_request(tests.id('kim_request')))->>'state', 'cancelled', 'the owner skips Kim''s request');
reset role;
select results_eq(
  $$select r.cancel_reason, (select array_agg(distinct m.status || '/' || m.cancel_reason) from public.review_messages m where m.request_id = r.id)
      from public.review_requests r where r.id = tests.id('kim_request')$$,
  $$values ('skipped'::text, array['cancelled/skipped'])$$,
  'skipped: the request and every message cancelled with reason skipped');
select tests.sign_in('owner_a');
select is((public.review_skip_request(tests.id('kim_request')))->>'cancel_reason', 'skipped', 'skipping again is harmless');
select throws_ok($$select public.review_approve_request(tests.id('kim_request'))$$, 'BJ008',
  'This review request is not waiting for approval (it is cancelled).', 'a skipped request cannot be approved');
reset role;

-- What counts afterwards
select tests.job('kim_job2', 'business_a', 'kim');
select tests.complete('kim_job2');
select is(tests.decision('kim_job2'), 'held', 'a skipped request does not count: Kim''s next job is held for approval again');
select tests.job('jane_job2', 'business_a', 'jane');
select tests.complete('jane_job2');
select is(tests.decision('jane_job2'), 'recently_asked', 'an approved request counts');
select tests.customer('lee', 'business_a', '+12125550103', 'lee@example.com');
select tests.job('lee_job', 'business_a', 'lee');
select tests.complete('lee_job');
select tests.job('lee_job2', 'business_a', 'lee');
select tests.complete('lee_job2');
select is(tests.decision('lee_job2'), 'recently_asked', 'a request awaiting approval counts');

-- The summary shows no token
select tests.sign_in('owner_a');
select is((select count(*)::int from jsonb_object_keys(public.review_approve_request(tests.id('jane_request'))) k
            where k like '%token%'), 0, 'what approve returns carries no token');
reset role;
select is((select count(*)::int from public.review_messages m join public.review_requests r on r.id = m.request_id
            where r.business_id = tests.id('business_a') and m.status = 'scheduled' and r.approved_at is null), 0,
  'nothing was scheduled without an approval');

select * from finish();
rollback;
