-- Marketplace installs (no state): anonymous attempts are admitted per client address and overall
-- and only while few installs are pending; an account a business has connected is never held
-- (nor, once expired, offered for appDisconnect); a claim link can be described before it is used;
-- and claiming the account the business already has says so instead of failing.
begin;
select plan(21);

select tests.create_tenancy_fixture();
delete from private.jobber_install_attempts;

-- Admission: 2 per address, 3 overall, at most 2 pending
set local role service_role;
select results_eq(
  $$select private.jobber_admit_marketplace_install(a, 2, 3, 2)
      from unnest(array['aa', 'aa', 'aa', 'bb', 'cc', 'dd']) with ordinality x(a, n) order by n$$,
  $$values ('ok'::text), ('ok'), ('rate_limited'), ('ok'), ('rate_limited'), ('rate_limited')$$,
  'an address gets its own allowance, and past the overall allowance everyone waits'
);
reset role;
select results_eq(
  $$select attempts from private.jobber_install_attempts where bucket = 'all'$$,
  $$values (5)$$,
  'an address past its own allowance does not use up everyone else''s'
);
select is(
  (select count(*)::int from private.jobber_install_attempts where bucket like 'address:%' and bucket not similar to 'address:(aa|bb|cc|dd)'),
  0,
  'attempts are kept under the (hashed) key the caller gives, nothing else'
);
delete from private.jobber_install_attempts;

set local role service_role;
select private.jobber_hold_pending_install('acct-one-' || tests.id('business_a'), 'One Co', 'a1', 'r1', now() + interval '1 hour', repeat('1', 64), 1800);
select private.jobber_hold_pending_install('acct-two-' || tests.id('business_a'), 'Two Co', 'a2', 'r2', now() + interval '1 hour', repeat('2', 64), 1800);
select is(
  private.jobber_admit_marketplace_install('ee', 10, 10, 2),
  'too_many_pending',
  'with the cap of outstanding pending installs reached, no new install is admitted'
);
select is(
  private.jobber_admit_marketplace_install('ee', 10, 10, 3),
  'ok',
  'below the cap an install is admitted'
);

-- Holding: a second install of the same account replaces the first
select private.jobber_hold_pending_install('acct-one-' || tests.id('business_a'), 'One Co (again)', 'a1b', 'r1b', now() + interval '1 hour', repeat('3', 64), 1800);
reset role;
select results_eq(
  $$select claim_hash, account_name from private.jobber_pending_installs where account_id = 'acct-one-' || tests.id('business_a')$$,
  $$values (repeat('3', 64), 'One Co (again)'::text)$$,
  'installing the same account again keeps only the newest pending install'
);
select is(
  (select count(*)::int from vault.decrypted_secrets where decrypted_secret in ('a1', 'r1')),
  0,
  'the replaced install''s tokens are deleted from Vault'
);

-- Holding an account that a business has connected is refused, and nothing is stored
insert into public.integrations_jobber (business_id, access_token_secret_id, refresh_token_secret_id, account_id,
  account_name, connection_status, connected_at)
values (tests.id('business_b'), gen_random_uuid(), gen_random_uuid(), 'acct-live-' || tests.id('business_b'),
  'Live Co', 'connected', now());
set local role service_role;
select throws_ok(
  format($$select private.jobber_hold_pending_install(%L, 'Live Co', 'a9', 'r9', now() + interval '1 hour', %L, 1800)$$,
         'acct-live-' || tests.id('business_b'), repeat('9', 64)),
  'BJ003', 'This Jobber account is already connected to Blipp.',
  'an install of an account a business has connected is refused as already_connected'
);
reset role;
select is(
  (select count(*)::int from vault.decrypted_secrets where decrypted_secret in ('a9', 'r9')),
  0,
  'a refused install stores no token'
);

-- Describing a claim
set local role service_role;
select results_eq(
  $$select account_name, expires_at - installed_at from private.jobber_describe_pending_install(repeat('2', 64))$$,
  $$values ('Two Co'::text, interval '30 minutes')$$,
  'a claim link is described by its account name and install time, for 30 minutes'
);
select is_empty(
  $$select * from private.jobber_describe_pending_install(repeat('1', 64))$$,
  'a replaced (or unknown) claim describes nothing'
);
reset role;
update private.jobber_pending_installs set expires_at = now() - interval '1 second' where claim_hash = repeat('2', 64);
set local role service_role;
select is_empty(
  $$select * from private.jobber_describe_pending_install(repeat('2', 64))$$,
  'an expired claim describes nothing'
);

-- Expired installs say whether the account is connected somewhere
reset role;
set local role service_role;
select private.jobber_hold_pending_install('acct-soon-live-' || tests.id('business_a'), 'Soon Live', 'a5', 'r5', now() + interval '1 hour', repeat('5', 64), 1800);
reset role;
update private.jobber_pending_installs set expires_at = now() - interval '1 second' where claim_hash = repeat('5', 64);
insert into public.integrations_jobber (business_id, access_token_secret_id, refresh_token_secret_id, account_id,
  account_name, connection_status, connected_at)
values (tests.id('business_a'), gen_random_uuid(), gen_random_uuid(), 'acct-soon-live-' || tests.id('business_a'),
  'Soon Live', 'connected', now());
set local role service_role;
select set_eq(
  $$select account_id, account_connected from private.jobber_expired_pending_installs(100)
     where account_id like '%' || tests.id('business_a')$$,
  $$values ('acct-two-' || tests.id('business_a'), false), ('acct-soon-live-' || tests.id('business_a'), true)$$,
  'an expired install whose account a business connected meanwhile is flagged, so it is never disconnected'
);

-- Claiming the account the business already has
select private.jobber_hold_pending_install('acct-again-' || tests.id('business_b'), 'Again Co', 'a6', 'r6', now() + interval '1 hour', repeat('6', 64), 1800);
reset role;
update public.integrations_jobber set account_id = 'acct-again-' || tests.id('business_b') where business_id = tests.id('business_b');
set local role service_role;
select results_eq(
  $$select account_name, run_id, already_connected from private.jobber_claim_pending_install(repeat('6', 64), tests.id('owner_b'), tests.id('business_b'))$$,
  $$values ('Again Co'::text, null::uuid, true)$$,
  'claiming an install of the account the business already has answers already_connected'
);
reset role;
select results_eq(
  $$select account_id, connection_status from public.integrations_jobber where business_id = tests.id('business_b')$$,
  $$values ('acct-again-' || tests.id('business_b'), 'connected'::text)$$,
  'the live connection is left exactly as it was'
);
select is(
  (select count(*)::int from private.jobber_pending_installs where claim_hash = repeat('6', 64)),
  0,
  'and the pending install is gone'
);
select is(
  (select count(*)::int from vault.decrypted_secrets where decrypted_secret in ('a6', 'r6')),
  0,
  'with its tokens'
);

-- A claim for a business connected to another account is still a conflict
set local role service_role;
select private.jobber_hold_pending_install('acct-other-' || tests.id('business_b'), 'Other Co', 'a7', 'r7', now() + interval '1 hour', repeat('7', 64), 1800);
select throws_ok(
  format($$select * from private.jobber_claim_pending_install(%L, %L, %L)$$, repeat('7', 64), tests.id('owner_b'), tests.id('business_b')),
  'BJ003', null,
  'claiming another account for a connected business is already_connected (409)'
);

-- Nobody but the service role
reset role;
select tests.sign_in('owner_a');
select throws_ok(
  $$select private.jobber_admit_marketplace_install('x', 1, 1, 1)$$,
  '42501', 'permission denied for function jobber_admit_marketplace_install',
  'a signed-in user cannot spend install attempts'
);
select throws_ok(
  $$select * from private.jobber_describe_pending_install(repeat('7', 64))$$,
  '42501', 'permission denied for function jobber_describe_pending_install',
  'a signed-in user cannot describe claims directly'
);
select throws_ok(
  'select * from private.jobber_install_attempts',
  '42501', 'permission denied for table jobber_install_attempts',
  'a signed-in user cannot read install attempts'
);

select * from finish();
rollback;
