-- The webhook inbox and its one receive call (SPEC §9 "Receiving"): an event is recorded once per
-- (account, topic, item, occurredAt) however often and however spelt it arrives; an unknown
-- account or a topic we do not act on is stored `ignored`; the business's last_webhook_at is
-- stamped at most about once a second and never waited for; and the worker is woken through the
-- coalescing wake - one wake in flight, not one per event, and none for ignored events.
begin;
select plan(24);

select tests.create_tenancy_fixture();
insert into public.integrations_jobber (business_id, access_token_secret_id, refresh_token_secret_id, account_id,
  account_name, connection_status, connected_at)
values
  (tests.id('business_a'), gen_random_uuid(), gen_random_uuid(), 'acct-a', 'A', 'connected', now()),
  (tests.id('business_b'), null, null, 'acct-b', 'B', 'disconnected', now() - interval '1 day');

-- What wake_worker hands pg_net is recorded here instead (the transaction rolls it back).
create temporary table posted (id bigserial, fn text, body jsonb);
create or replace function private.invoke_edge_function(p_name text, p_body jsonb, p_timeout_ms integer default 5000)
returns bigint language sql as $$ insert into pg_temp.posted (fn, body) values (p_name, p_body) returning id $$;
update private.worker_tasks set wake_pending_since = null where task = 'process_webhooks';

create function pg_temp.event(account text, topic text, item text, at text) returns jsonb
language sql as $$ select jsonb_build_object('account_id', account, 'topic', topic, 'item_id', item, 'occurred_at', at, 'app_id', 'app-1') $$;
create function pg_temp.receive(variadic events jsonb[]) returns table (ord integer, duplicate boolean, state text)
language sql as $$ select * from private.jobber_receive_webhooks(to_jsonb(events)) $$;

-- A new event
select results_eq(
  $$select duplicate, state from pg_temp.receive(pg_temp.event('acct-a', 'JOB_CLOSED', 'job-1', '2025-10-12T03:27:49-06:00'))$$,
  $$values (false, 'pending'::text)$$,
  'a new event for a connected account is recorded pending'
);
select results_eq(
  $$select business_id, topic, item_id, occurred_at, state, attempts, app_id from private.jobber_webhook_events where account_id = 'acct-a'$$,
  $$values (tests.id('business_a'), 'JOB_CLOSED'::text, 'job-1'::text, '2025-10-12T09:27:49Z'::timestamptz, 'pending'::text, 0, 'app-1'::text)$$,
  'it is stored for the account''s business, with its topic, item, time and app'
);
select is((select count(*)::int from pg_temp.posted where fn = 'jobber-worker' and body = '{"task": "process_webhooks"}'), 1,
  'the worker is woken for it');
select isnt((select wake_pending_since from private.worker_tasks where task = 'process_webhooks'), null::timestamptz,
  'through the coalescing wake, now in flight');
select isnt((select last_webhook_at from public.integrations_jobber where business_id = tests.id('business_a')), null::timestamptz,
  'the business''s last_webhook_at is stamped');

-- Repeats
select results_eq(
  $$select duplicate, state from pg_temp.receive(pg_temp.event('acct-a', 'JOB_CLOSED', 'job-1', '2025-10-12T09:27:49Z'))$$,
  $$values (true, null::text)$$,
  'the same event again - the same instant written another way - is a duplicate'
);
select results_eq(
  $$select ord, duplicate from pg_temp.receive(
      pg_temp.event('acct-a', 'JOB_UPDATE', 'job-1', '2025-10-12T09:27:49Z'),
      pg_temp.event('acct-a', 'JOB_UPDATE', 'job-1', '2025-10-12T09:27:49Z'),
      pg_temp.event('acct-a', 'JOB_UPDATE', 'job-1', '2025-10-12T09:27:50Z'))$$,
  $$values (1, false), (2, true), (3, false)$$,
  'in one call, the first of equal events is new and the rest are duplicates; a later occurredAt is another event'
);
select is((select count(*)::int from private.jobber_webhook_events where account_id = 'acct-a'), 3,
  'four deliveries of three events left three rows');
select is((select count(*)::int from pg_temp.posted), 1,
  'with a wake in flight, the new events woke nobody else: one wake, not one per event');

-- Ignored
select results_eq(
  $$select duplicate, state from pg_temp.receive(pg_temp.event('acct-nobody', 'JOB_CLOSED', 'job-9', '2025-10-12T09:27:49Z'))$$,
  $$values (false, 'ignored'::text)$$,
  'an event for an account no business has connected is stored ignored'
);
select results_eq(
  $$select business_id, processed_at is not null, last_error from private.jobber_webhook_events where account_id = 'acct-nobody'$$,
  $$values (null::uuid, true, 'No business has this Jobber account connected.'::text)$$,
  'with no business, finished at once, and why'
);
select results_eq(
  $$select duplicate, state from pg_temp.receive(pg_temp.event('acct-nobody', 'JOB_CLOSED', 'job-9', '2025-10-12T09:27:49Z'))$$,
  $$values (true, null::text)$$,
  'and its repeat is a duplicate all the same'
);
select results_eq(
  $$select duplicate, state from pg_temp.receive(pg_temp.event('acct-b', 'JOB_CLOSED', 'job-b', '2025-10-12T09:27:49Z'))$$,
  $$values (false, 'ignored'::text)$$,
  'an account whose business disconnected is nobody''s'
);
select results_eq(
  $$select duplicate, state from pg_temp.receive(pg_temp.event('acct-a', 'INVOICE_CREATE', 'inv-1', '2025-10-12T09:27:49Z'))$$,
  $$values (false, 'ignored'::text)$$,
  'a topic we do not act on is stored ignored'
);
select results_eq(
  $$select business_id, last_error from private.jobber_webhook_events where item_id = 'inv-1'$$,
  $$values (tests.id('business_a'), 'Blipp does not act on this topic.'::text)$$,
  'for its business, saying why'
);
update private.worker_tasks set wake_pending_since = null where task = 'process_webhooks';
select pg_temp.receive(pg_temp.event('acct-a', 'QUOTE_SENT', 'q-1', '2025-10-12T09:27:49Z'), pg_temp.event('acct-nobody', 'JOB_CLOSED', 'job-10', '2025-10-12T09:27:49Z'));
select is((select count(*)::int from pg_temp.posted), 1, 'ignored events wake nobody');

-- The topics acted on
select set_eq(
  'select unnest(private.jobber_webhook_topics())',
  array['APP_DISCONNECT', 'CLIENT_CREATE', 'CLIENT_UPDATE', 'CLIENT_DESTROY', 'JOB_CREATE', 'JOB_UPDATE', 'JOB_CLOSED',
        'JOB_DESTROY', 'VISIT_COMPLETE'],
  'the topics acted on are SPEC §9''s table and JOB_DESTROY'
);

-- last_webhook_at: at most about once a second
update public.integrations_jobber set last_webhook_at = now() - interval '500 milliseconds' where business_id = tests.id('business_a');
select pg_temp.receive(pg_temp.event('acct-a', 'CLIENT_UPDATE', 'client-1', '2025-10-12T09:27:49Z'));
select ok(
  (select last_webhook_at < now() from public.integrations_jobber where business_id = tests.id('business_a')),
  'a stamp less than a second old is left as it is'
);
update public.integrations_jobber set last_webhook_at = now() - interval '2 seconds' where business_id = tests.id('business_a');
select pg_temp.receive(pg_temp.event('acct-a', 'CLIENT_UPDATE', 'client-1', '2025-10-12T09:27:49Z'));
select is((select last_webhook_at from public.integrations_jobber where business_id = tests.id('business_a')), now(),
  'an older one is stamped with the receive time, for a duplicate too');
select is((select last_webhook_at from public.integrations_jobber where business_id = tests.id('business_b')), null::timestamptz,
  'a disconnected business is not stamped');

-- Bad input and rights
select throws_ok(
  $$select * from private.jobber_receive_webhooks('{"account_id": "acct-a"}'::jsonb)$$,
  '22023', 'The webhook events must be a JSON array.',
  'the receive call takes an array of events only'
);
select ok(
  not has_function_privilege('authenticated', 'private.jobber_receive_webhooks(jsonb)', 'execute')
  and not has_function_privilege('anon', 'private.jobber_receive_webhooks(jsonb)', 'execute')
  and has_function_privilege('service_role', 'private.jobber_receive_webhooks(jsonb)', 'execute'),
  'only the service role may record webhook events'
);
select ok(
  (select relrowsecurity from pg_class where oid = 'private.jobber_webhook_events'::regclass)
  and not has_table_privilege('authenticated', 'private.jobber_webhook_events', 'select')
  and not has_table_privilege('anon', 'private.jobber_webhook_events', 'select'),
  'the inbox has RLS on and grants no API role anything'
);
select col_is_unique('private', 'jobber_webhook_events', array['account_id', 'topic', 'item_id', 'occurred_at'],
  'the inbox is unique on (account, topic, item, occurredAt)');

select * from finish();
rollback;
