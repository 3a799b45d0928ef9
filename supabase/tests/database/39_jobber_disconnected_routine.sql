-- "Jobber says disconnected" (SPEC §9, APP_DISCONNECT's row): the business is disconnected from
-- Jobber's side - tokens gone from Vault, disconnected with needs_reconnect and a message saying
-- so, live syncs cancelled, its reconciliation dropped and its waiting updates ignored - but only
-- for the connection Jobber was talking about (same token generation; an APP_DISCONNECT from
-- before the current connection is not about it). The owner's own disconnect stays as it was.
begin;
select plan(17);

select tests.create_tenancy_fixture();
do $$
declare
  v_b uuid;
begin
  foreach v_b in array array[tests.id('business_a'), tests.id('business_b')] loop
    insert into public.integrations_jobber (business_id, access_token_secret_id, refresh_token_secret_id, account_id,
      account_name, connection_status, connected_at, token_generation)
    values (v_b, vault.create_secret('access-' || v_b), vault.create_secret('refresh-' || v_b), 'acct-' || v_b, 'Jobber',
            'connected', now() - interval '1 hour', 5);
  end loop;
end
$$;
select set_config('fixture.secrets', (select access_token_secret_id || ',' || refresh_token_secret_id
  from public.integrations_jobber where business_id = tests.id('business_a')), true);
insert into public.jobber_sync_runs (business_id, kind, state, lease_owner) values (tests.id('business_a'), 'full', 'running', 'continue_syncs:x');
insert into private.jobber_reconciles (business_id, lease_owner, window_start, window_end, source, phase)
values (tests.id('business_a'), 'reconcile:x', now() - interval '1 day', now(), 'reconcile', 'jobs');
insert into private.jobber_webhook_events (account_id, topic, item_id, occurred_at, business_id, state)
values ('acct-a', 'JOB_UPDATE', 'j1', now(), tests.id('business_a'), 'pending'),
       ('acct-a', 'JOB_UPDATE', 'j2', now(), tests.id('business_a'), 'failed');

-- Not about this connection
select ok(not private.jobber_disconnected_in_jobber(tests.id('business_a'), 4),
  'an answer about an earlier token generation disconnects nothing');
select ok(not private.jobber_disconnected_in_jobber(tests.id('business_a'), null, now() - interval '2 hours'),
  'nor an APP_DISCONNECT that happened before this connection was made');
select is((select connection_status from public.integrations_jobber where business_id = tests.id('business_a')), 'connected',
  'the connection stays as it is');

-- Jobber let go
select ok(private.jobber_disconnected_in_jobber(tests.id('business_a'), 5, now()),
  'Jobber saying so about the current tokens disconnects the business');
select results_eq(
  $$select connection_status, needs_reconnect, access_token_secret_id, refresh_token_secret_id, token_expires_at, disconnected_at = now()
      from public.integrations_jobber where business_id = tests.id('business_a')$$,
  $$values ('disconnected'::text, true, null::uuid, null::uuid, null::timestamptz, true)$$,
  'disconnected, flagged for reconnecting, with no tokens'
);
select matches(
  (select error_message from public.integrations_jobber where business_id = tests.id('business_a')),
  '^Jobber says this app was disconnected from the Jobber account',
  'and a message that says it was disconnected in Jobber'
);
select is(
  (select count(*)::int from vault.secrets where id::text = any (string_to_array(current_setting('fixture.secrets'), ','))),
  0,
  'both tokens are deleted from Vault'
);
select results_eq(
  $$select state, lease_owner, error from public.jobber_sync_runs where business_id = tests.id('business_a')$$,
  $$values ('cancelled'::text, null::text, 'Cancelled because Jobber says this app was disconnected from the account.'::text)$$,
  'the running sync is cancelled, and its holder loses it'
);
select is_empty($$select 1 from private.jobber_reconciles where business_id = tests.id('business_a')$$,
  'the reconciliation in progress is dropped');
select results_eq(
  $$select item_id, state from private.jobber_webhook_events where business_id = tests.id('business_a') order by item_id$$,
  $$values ('j1'::text, 'ignored'::text), ('j2'::text, 'failed'::text)$$,
  'updates waiting in the inbox are ignored (dead letters stay for the record)'
);
select tests.sign_in('member_a');
select results_eq(
  $$select status ->> 'connectionStatus', (status ->> 'needs_reconnect')::boolean, status ->> 'connected' from public.jobber_status$$,
  $$values ('disconnected'::text, true, 'false'::text)$$,
  'the card reads disconnected, needs reconnect'
);
reset role;
select ok(not private.jobber_disconnected_in_jobber(tests.id('business_a'), 5), 'saying it again does nothing');

-- A reconnect starts afresh
select lives_ok(
  $$select private.jobber_store_connection(tests.id('business_a'), 'acct-' || tests.id('business_a'), 'Jobber', 'new-access', 'new-refresh', now() + interval '1 hour')$$,
  'the owner reconnects'
);
select results_eq(
  $$select connection_status, needs_reconnect, error_message from public.integrations_jobber where business_id = tests.id('business_a')$$,
  $$values ('connected'::text, false, null::text)$$,
  'and the business is connected again, the flag and message cleared'
);
select ok(not private.jobber_disconnected_in_jobber(tests.id('business_a'), null, now() - interval '1 minute'),
  'a late APP_DISCONNECT from before the reconnect does not undo it');

-- The owner's own disconnect is unchanged
select ok(private.jobber_disconnect(tests.id('business_b'), 'Cancelled because Jobber was disconnected.'),
  'the owner disconnects business B in Blipp');
select results_eq(
  $$select connection_status, needs_reconnect, error_message from public.integrations_jobber where business_id = tests.id('business_b')$$,
  $$values ('disconnected'::text, false, null::text)$$,
  'which is a plain disconnect: no reconnect prompt, no error'
);

select * from finish();
rollback;
