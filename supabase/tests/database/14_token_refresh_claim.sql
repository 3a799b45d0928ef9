-- A token refresh holds no lock while Jobber answers: one caller claims it (and alone gets the
-- refresh token), others are told it is busy, and the new pair is saved - or the failure recorded
-- - only over the token generation the claimer read. A reconnect starts a new generation.
begin;
select plan(17);

select tests.create_tenancy_fixture();
select set_config('fixture.access', vault.create_secret('access-1')::text, true);
select set_config('fixture.refresh', vault.create_secret('refresh-1')::text, true);
insert into public.integrations_jobber (business_id, access_token_secret_id, refresh_token_secret_id, token_expires_at,
  account_id, account_name, connection_status, connected_at)
values (tests.id('business_a'), tests.id('access'), tests.id('refresh'), now() - interval '1 minute',
  'acct-' || tests.id('business_a'), 'A', 'connected', now());

select results_eq(
  $$select access_token, connection_status, token_generation from private.jobber_read_tokens(tests.id('business_a'))$$,
  $$values ('access-1'::text, 'connected'::text, 0::bigint)$$,
  'the read gives the access token and the generation'
);
select is_empty(
  $$select 1 from information_schema.routines r join information_schema.parameters p using (specific_schema, specific_name)
     where r.routine_schema = 'private' and r.routine_name = 'jobber_read_tokens' and p.parameter_name = 'refresh_token'$$,
  'but never the refresh token'
);

select results_eq(
  $$select outcome, refresh_token from private.jobber_claim_refresh(tests.id('business_a'), 'claimer-1', 0, 120000)$$,
  $$values ('claimed'::text, 'refresh-1'::text)$$,
  'the first claimer gets the refresh token'
);
select results_eq(
  $$select outcome, refresh_token from private.jobber_claim_refresh(tests.id('business_a'), 'claimer-2', 0, 120000)$$,
  $$values ('busy'::text, null::text)$$,
  'a second claimer is told a refresh is in progress, and gets no token'
);
select is(
  (select outcome from private.jobber_claim_refresh(tests.id('business_a'), 'claimer-1', 0, 120000)),
  'claimed',
  'the claimer asking again still holds its claim'
);
select is(
  (select outcome from private.jobber_claim_refresh(tests.id('business_a'), 'claimer-2', 7, 120000)),
  'changed',
  'a claimer that read another generation is told to read again'
);

select ok(not private.jobber_save_tokens(tests.id('business_a'), 'claimer-1', 5, 'access-x', 'refresh-x', now() + interval '1 hour'),
  'a pair refreshed from another generation is not saved');
select ok(private.jobber_save_tokens(tests.id('business_a'), 'claimer-1', 0, 'access-2', 'refresh-2', now() + interval '1 hour'),
  'the claimer saves the pair it got');
select results_eq(
  $$select i.token_generation, i.refresh_claimed_by, a.decrypted_secret, r.decrypted_secret
      from public.integrations_jobber i
      join vault.decrypted_secrets a on a.id = i.access_token_secret_id
      join vault.decrypted_secrets r on r.id = i.refresh_token_secret_id
     where i.business_id = tests.id('business_a')$$,
  $$values (1::bigint, null::text, 'access-2'::text, 'refresh-2'::text)$$,
  'the new pair is stored, the generation moves on and the claim is released'
);
select ok(not private.jobber_save_tokens(tests.id('business_a'), 'claimer-2', 0, 'access-3', 'refresh-3', now() + interval '1 hour'),
  'a second save from the same generation is refused: one refresh token, one new pair');
select is(
  (select outcome from private.jobber_claim_refresh(tests.id('business_a'), 'claimer-2', 0, 120000)),
  'changed',
  'a caller that waited on the old generation reads again and finds the fresh token'
);

-- Failures
select is((select outcome from private.jobber_claim_refresh(tests.id('business_a'), 'claimer-3', 1, 120000)), 'claimed',
  'the next refresh claims generation 1');
select private.jobber_record_refresh_failure(tests.id('business_a'), 'claimer-1', 0, true, 'stale failure');
select results_eq(
  $$select connection_status, needs_reconnect, refresh_claimed_by from public.integrations_jobber where business_id = tests.id('business_a')$$,
  $$values ('connected'::text, false, 'claimer-3'::text)$$,
  'a failure reported late for an older generation changes nothing, and leaves the current claim alone'
);
select private.jobber_record_refresh_failure(tests.id('business_a'), 'claimer-3', 1, false, 'Jobber could not be reached.', now() + interval '30 seconds');
select results_eq(
  $$select connection_status, refresh_failures, refresh_retry_at > now(), refresh_claimed_by
      from public.integrations_jobber where business_id = tests.id('business_a')$$,
  $$values ('connected'::text, 1, true, null::text)$$,
  'a transient failure keeps the connection, counts the failure, cools down and releases the claim'
);
select is((select outcome from private.jobber_claim_refresh(tests.id('business_a'), 'claimer-4', 1, 120000)), 'claimed',
  'after a released claim the next caller may claim');
select private.jobber_record_refresh_failure(tests.id('business_a'), 'claimer-4', 1, true, 'Reconnect Jobber.');
select results_eq(
  $$select connection_status, needs_reconnect, error_message from public.integrations_jobber where business_id = tests.id('business_a')$$,
  $$values ('error'::text, true, 'Reconnect Jobber.'::text)$$,
  'a refused refresh token flags the connection for reconnect'
);

-- A reconnect is a new generation
select private.jobber_store_connection(tests.id('business_a'), 'acct-' || tests.id('business_a'), 'A', 'access-9', 'refresh-9',
  now() + interval '1 hour');
select results_eq(
  $$select connection_status, token_generation, refresh_claimed_by from public.integrations_jobber where business_id = tests.id('business_a')$$,
  $$values ('connected'::text, 2::bigint, null::text)$$,
  'reconnecting starts a new token generation, so no refresh of the old tokens can land on the new ones'
);

select * from finish();
rollback;
