-- Connect tickets (SPEC §12): the callback keeps the authorization code in Vault behind a one-time
-- ticket, and only the user who started connecting, still owner or admin, can redeem it. Any
-- redemption attempt uses the ticket up, and nobody but the service role may touch any of it.
begin;
select plan(28);

select tests.create_tenancy_fixture();

-- Fixture states: admin_a starts connecting business A four times (one nonce per ticket below).
set local role service_role;
select private.jobber_begin_connect(tests.id('admin_a'), tests.id('business_a'), repeat(n::text, 64), 600)
from unnest(array[1, 2, 3, 4, 5, 6]) n;

-- Holding a code
select results_eq(
  $$select outcome, business_id from private.jobber_hold_authorization_code(repeat('1', 64), 'code-one', repeat('a', 64), 600)$$,
  $$values ('ok'::text, tests.id('business_a'))$$,
  'a good state keeps the code behind a ticket for the business that state names'
);
select results_eq(
  $$select outcome from private.jobber_hold_authorization_code(repeat('1', 64), 'code-again', repeat('b', 64), 600)$$,
  $$values ('used'::text)$$,
  'the same state cannot hold a second code'
);
select results_eq(
  $$select outcome from private.jobber_hold_authorization_code(repeat('9', 64), 'code-x', repeat('c', 64), 600)$$,
  $$values ('unknown'::text)$$,
  'an unknown state holds nothing'
);
reset role;
select is(
  (select count(*)::int from private.jobber_connect_tickets where ticket_hash in (repeat('b', 64), repeat('c', 64))),
  0,
  'a refused state leaves no ticket behind'
);
select is(
  (select count(*)::int from vault.secrets s join private.jobber_connect_tickets t on s.id = t.code_secret_id
    where t.ticket_hash = repeat('a', 64) and s.secret <> 'code-one'),
  1,
  'the code is stored in Vault, encrypted'
);
select is(
  (select d.decrypted_secret from vault.decrypted_secrets d join private.jobber_connect_tickets t on d.id = t.code_secret_id
    where t.ticket_hash = repeat('a', 64)),
  'code-one',
  'Vault gives the code back to the service'
);
select is(
  (select count(*)::int from private.jobber_connect_tickets t
    where t.ticket_hash = repeat('a', 64) and t.user_id = tests.id('admin_a')
      and t.expires_at between now() + interval '599 seconds' and now() + interval '601 seconds'),
  1,
  'the ticket remembers who started connecting and lasts ten minutes'
);

-- Redeeming: the wrong people
set local role service_role;
select private.jobber_hold_authorization_code(repeat(n::text, 64), 'code-' || n, repeat(chr(96 + n), 64), 600)
from unnest(array[2, 3, 4, 5]) n;

select results_eq(
  $$select outcome, code from private.jobber_redeem_connect_ticket(repeat('b', 64), tests.id('owner_a'))$$,
  $$values ('not_initiator'::text, null::text)$$,
  'another owner of the same business is not the person who started connecting: not_initiator, no code'
);
select results_eq(
  $$select outcome, code from private.jobber_redeem_connect_ticket(repeat('b', 64), tests.id('admin_a'))$$,
  $$values ('not_found'::text, null::text)$$,
  'a ticket presented by the wrong person is used up: the right person then finds nothing'
);
select results_eq(
  $$select outcome, code from private.jobber_redeem_connect_ticket(repeat('c', 64), tests.id('owner_b'))$$,
  $$values ('not_a_member'::text, null::text)$$,
  'someone outside the business gets not_a_member and no code'
);
select results_eq(
  $$select outcome from private.jobber_redeem_connect_ticket(repeat('f', 64), tests.id('admin_a'))$$,
  $$values ('not_found'::text)$$,
  'an unknown (forged) ticket is not_found'
);

-- The initiator demoted, or removed, after the callback
reset role;
update public.business_members set role = 'member' where user_id = tests.id('admin_a');
set local role service_role;
select results_eq(
  $$select outcome, code from private.jobber_redeem_connect_ticket(repeat('d', 64), tests.id('admin_a'))$$,
  $$values ('forbidden_role'::text, null::text)$$,
  'the initiator who is no longer owner or admin gets forbidden_role and no code'
);
reset role;
update public.business_members set role = 'admin' where user_id = tests.id('admin_a');

-- Expired
update private.jobber_connect_tickets set expires_at = now() - interval '1 second' where ticket_hash = repeat('e', 64);
set local role service_role;
select results_eq(
  $$select outcome from private.jobber_redeem_connect_ticket(repeat('e', 64), tests.id('admin_a'))$$,
  $$values ('not_found'::text)$$,
  'an expired ticket is not_found'
);

-- The right person
select results_eq(
  $$select outcome, business_id, initiated_by, code from private.jobber_redeem_connect_ticket(repeat('a', 64), tests.id('admin_a'))$$,
  $$values ('ok'::text, tests.id('business_a'), tests.id('admin_a'), 'code-one'::text)$$,
  'the user who started connecting, still admin, gets the code for their business'
);
select results_eq(
  $$select outcome, code from private.jobber_redeem_connect_ticket(repeat('a', 64), tests.id('admin_a'))$$,
  $$values ('not_found'::text, null::text)$$,
  'a replayed ticket is not_found'
);
reset role;
select is(
  (select count(*)::int from vault.secrets where name like 'jobber/ticket/%'
     and name in (select format('jobber/ticket/%s/code', id) from private.jobber_connect_tickets
                   where ticket_hash in (repeat('a', 64), repeat('b', 64), repeat('c', 64), repeat('d', 64)))),
  0,
  'every redeemed ticket''s code is deleted from Vault, whoever presented it'
);
select is(
  (select count(*)::int from private.jobber_connect_tickets
    where ticket_hash in (repeat('a', 64), repeat('b', 64), repeat('c', 64), repeat('d', 64))
      and (used_at is null or code_secret_id is not null)),
  0,
  'redeemed tickets are marked used and point at no secret'
);

-- Purging: the expired ticket's code goes, and so does a code whose ticket went with its business
select is(
  (select count(*)::int from vault.secrets s join private.jobber_connect_tickets t on s.id = t.code_secret_id
    where t.ticket_hash = repeat('e', 64)),
  1,
  'an expired, never redeemed ticket still holds its code until purged'
);
set local role service_role;
select private.jobber_hold_authorization_code(repeat('6', 64), 'code-six', repeat('9', 64), 600);
reset role;
select is(
  (select count(*)::int from vault.decrypted_secrets where decrypted_secret = 'code-5'),
  0,
  'holding a new code purges the codes of expired tickets'
);
delete from private.jobber_connect_tickets where ticket_hash = repeat('9', 64);
set local role service_role;
select is(private.jobber_purge_connect_tickets(), 1, 'the purge deletes a code whose ticket went with its user or business');
reset role;
select is(
  (select count(*)::int from vault.secrets s where s.name like 'jobber/ticket/%'
     and not exists (select 1 from private.jobber_connect_tickets t
                      where s.name = format('jobber/ticket/%s/code', t.id) and t.used_at is null and t.expires_at > now())),
  0,
  'after a purge Vault holds codes only for tickets that can still be redeemed'
);

-- Nobody but the service role
select tests.sign_in('admin_a');
select throws_ok(
  $$select * from private.jobber_redeem_connect_ticket(repeat('a', 64), tests.id('admin_a'))$$,
  '42501', 'permission denied for function jobber_redeem_connect_ticket',
  'a signed-in user cannot redeem a ticket directly'
);
select throws_ok(
  $$select * from private.jobber_hold_authorization_code(repeat('1', 64), 'c', repeat('a', 64), 600)$$,
  '42501', 'permission denied for function jobber_hold_authorization_code',
  'a signed-in user cannot hold a code'
);
select throws_ok(
  'select * from private.jobber_connect_tickets',
  '42501', 'permission denied for table jobber_connect_tickets',
  'a signed-in user cannot read tickets'
);
reset role;
set local role anon;
select throws_ok(
  $$select * from private.jobber_redeem_connect_ticket(repeat('a', 64), null)$$,
  '42501', 'permission denied for schema private',
  'anon cannot reach the ticket functions at all'
);
reset role;
select is(
  has_function_privilege('service_role', 'private.jobber_redeem_connect_ticket(text, uuid)', 'execute'),
  true,
  'the service role may redeem tickets'
);
select is(
  has_function_privilege('service_role', 'private.jobber_hold_authorization_code(text, text, text, integer)', 'execute'),
  true,
  'the service role may hold codes'
);
select is(
  has_function_privilege('service_role', 'private.jobber_purge_connect_tickets()', 'execute'),
  true,
  'the service role may purge tickets'
);

select * from finish();
rollback;
