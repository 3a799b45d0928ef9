-- customers: members read their business's customers; owners and admins insert, update and delete
-- customers whose source is not 'jobber'; rows synced from Jobber are written by the service role
-- only; plus the table's checks (removed only for Jobber rows, Jobber rows carry an id, one row per
-- business + source + external id).
begin;
select plan(37);

-- Fixture: businesses A and B with their people (supabase/tests/database/00_test_helpers.sql).
select tests.create_tenancy_fixture();

-- Customers: in A a manual one and a Jobber one; in B a manual one.
do $$
begin
  perform set_config('fixture.manual_a', gen_random_uuid()::text, true);
  perform set_config('fixture.jobber_a', gen_random_uuid()::text, true);
  perform set_config('fixture.manual_b', gen_random_uuid()::text, true);
  insert into public.customers (id, business_id, source, external_id, full_name)
  values
    (tests.id('manual_a'), tests.id('business_a'), 'manual', null, 'Manual A'),
    (tests.id('jobber_a'), tests.id('business_a'), 'jobber', 'J-1', 'Jobber A'),
    (tests.id('manual_b'), tests.id('business_b'), 'manual', null, 'Manual B');
end
$$;

-- Reading
select tests.sign_in('member_a');
select set_eq(
  'select id from public.customers',
  $$values (tests.id('manual_a')), (tests.id('jobber_a'))$$,
  'a member of business A sees exactly business A''s customers'
);

select tests.sign_in('member_b');
select is(
  (select count(*)::int from public.customers where business_id = tests.id('business_a')),
  0,
  'a member of business B cannot read business A''s customers'
);

-- Inserting
select tests.sign_in('owner_a');
select lives_ok(
  $$insert into public.customers (business_id, full_name, email) values (tests.id('business_a'), 'Added by owner', 'o@example.com')$$,
  'the owner of business A adds a manual customer'
);
select tests.sign_in('admin_a');
select lives_ok(
  $$insert into public.customers (business_id, source, full_name) values (tests.id('business_a'), 'csv_import', 'Added by admin')$$,
  'an admin of business A adds a customer from a non-Jobber source'
);
select tests.sign_in('owner_a');
select throws_ok(
  $$insert into public.customers (business_id, source, external_id, full_name)
    values (tests.id('business_a'), 'jobber', 'J-forged', 'Forged')$$,
  '42501', 'new row violates row-level security policy for table "customers"',
  'the owner cannot insert a customer claiming to come from Jobber'
);
select throws_ok(
  $$insert into public.customers (business_id, full_name) values (tests.id('business_b'), 'Planted in B')$$,
  '42501', 'new row violates row-level security policy for table "customers"',
  'the owner of business A cannot add a customer to business B'
);
select tests.sign_in('member_a');
select throws_ok(
  $$insert into public.customers (business_id, full_name) values (tests.id('business_a'), 'Added by member')$$,
  '42501', 'new row violates row-level security policy for table "customers"',
  'a plain member cannot add a customer'
);

-- Updating
select tests.sign_in('owner_a');
with u as (update public.customers set full_name = 'Edited by owner' where id = tests.id('manual_a') returning 1)
select is(count(*)::int, 1, 'the owner edits a manual customer of business A') from u;
select tests.sign_in('admin_a');
with u as (update public.customers set phone = '+15555550100' where id = tests.id('manual_a') returning 1)
select is(count(*)::int, 1, 'an admin edits a manual customer of business A') from u;

select tests.sign_in('owner_a');
with u as (update public.customers set full_name = 'Edited Jobber row' where id = tests.id('jobber_a') returning 1)
select is(count(*)::int, 0, 'the owner cannot edit a customer synced from Jobber (0 rows updated)') from u;
select throws_ok(
  $$update public.customers set source = 'jobber', external_id = 'J-forged' where id = tests.id('manual_a')$$,
  '42501', 'new row violates row-level security policy for table "customers"',
  'the owner cannot turn a manual customer into a Jobber one'
);
select throws_ok(
  $$update public.customers set business_id = tests.id('business_b') where id = tests.id('manual_a')$$,
  '42501', 'new row violates row-level security policy for table "customers"',
  'the owner cannot move a customer into a business they do not manage'
);
with u as (update public.customers set full_name = 'Edited B' where id = tests.id('manual_b') returning 1)
select is(count(*)::int, 0, 'the owner of business A cannot edit business B''s customers (0 rows updated)') from u;

select tests.sign_in('member_a');
with u as (update public.customers set full_name = 'Edited by member' where id = tests.id('manual_a') returning 1)
select is(count(*)::int, 0, 'a plain member cannot edit a customer (0 rows updated)') from u;

reset role;
select results_eq(
  $$select id, source, external_id, full_name, business_id from public.customers
     where id in (tests.id('manual_a'), tests.id('jobber_a'), tests.id('manual_b'))
     order by full_name$$,
  $$values
    (tests.id('manual_a'), 'manual'::text, null::text, 'Edited by owner'::text, tests.id('business_a')),
    (tests.id('jobber_a'), 'jobber', 'J-1', 'Jobber A', tests.id('business_a')),
    (tests.id('manual_b'), 'manual', null, 'Manual B', tests.id('business_b'))$$,
  'only the owner''s allowed edit landed: the Jobber row, business B''s row and the member''s edit did not'
);

-- Deleting
select tests.sign_in('member_a');
with d as (delete from public.customers where id = tests.id('manual_a') returning 1)
select is(count(*)::int, 0, 'a plain member cannot delete a customer (0 rows deleted)') from d;

select tests.sign_in('owner_a');
with d as (delete from public.customers where id = tests.id('jobber_a') returning 1)
select is(count(*)::int, 0, 'the owner cannot delete a customer synced from Jobber (0 rows deleted)') from d;
with d as (delete from public.customers where id = tests.id('manual_b') returning 1)
select is(count(*)::int, 0, 'the owner of business A cannot delete business B''s customers (0 rows deleted)') from d;

reset role;
select is(
  (select count(*)::int from public.customers
    where id in (tests.id('manual_a'), tests.id('jobber_a'), tests.id('manual_b'))),
  3,
  'the refused deletes left all three customers in place'
);

select tests.sign_in('admin_a');
with d as (delete from public.customers where business_id = tests.id('business_a') and full_name = 'Added by admin' returning 1)
select is(count(*)::int, 1, 'an admin deletes a non-Jobber customer of business A') from d;
select tests.sign_in('owner_a');
with d as (delete from public.customers where id = tests.id('manual_a') returning 1)
select is(count(*)::int, 1, 'the owner deletes a manual customer of business A') from d;

-- Anonymous callers
reset role;
set local role anon;
select throws_ok(
  'select id from public.customers',
  '42501', 'permission denied for table customers',
  'anon cannot read customers'
);
select throws_ok(
  $$insert into public.customers (business_id, full_name) values (tests.id('business_a'), 'Anon')$$,
  '42501', 'permission denied for table customers',
  'anon cannot add customers'
);
select throws_ok(
  $$update public.customers set full_name = 'Anon'$$,
  '42501', 'permission denied for table customers',
  'anon cannot edit customers'
);
select throws_ok(
  'delete from public.customers',
  '42501', 'permission denied for table customers',
  'anon cannot delete customers'
);

-- Service role: the Jobber sync writes Jobber rows
reset role;
set local role service_role;
select lives_ok(
  $$insert into public.customers (business_id, source, external_id, full_name)
    values (tests.id('business_a'), 'jobber', 'J-2', 'Synced')$$,
  'the service role inserts a customer synced from Jobber'
);
with u as (
  update public.customers set status = 'removed'
   where business_id = tests.id('business_a') and source = 'jobber' and external_id = 'J-2'
  returning 1
)
select is(count(*)::int, 1, 'the service role marks a Jobber customer removed') from u;
with u as (update public.customers set full_name = 'Jobber A renamed' where id = tests.id('jobber_a') returning 1)
select is(count(*)::int, 1, 'the service role edits a Jobber customer') from u;
with d as (
  delete from public.customers
   where business_id = tests.id('business_a') and source = 'jobber' and external_id = 'J-2'
  returning 1
)
select is(count(*)::int, 1, 'the service role deletes a Jobber customer') from d;

-- Constraints (as the service role, which RLS does not limit)
select throws_ok(
  $$insert into public.customers (business_id, full_name, status) values (tests.id('business_a'), 'Gone', 'removed')$$,
  '23514', 'new row for relation "customers" violates check constraint "customers_only_jobber_rows_are_removed"',
  'only a customer from Jobber can have status removed'
);
select throws_ok(
  $$insert into public.customers (business_id, source, full_name) values (tests.id('business_a'), 'jobber', 'No id')$$,
  '23514', 'new row for relation "customers" violates check constraint "customers_jobber_rows_have_an_id"',
  'a customer from Jobber must carry its Jobber id'
);
select throws_ok(
  $$insert into public.customers (business_id, source, external_id, full_name)
    values (tests.id('business_a'), 'jobber', 'J-1', 'Duplicate')$$,
  '23505', 'duplicate key value violates unique constraint "customers_source_external_id_key"',
  'a business cannot hold the same Jobber client twice'
);
select lives_ok(
  $$insert into public.customers (business_id, source, external_id, full_name)
    values (tests.id('business_b'), 'jobber', 'J-1', 'Same id, other business')$$,
  'another business can hold a Jobber client with the same id'
);
select lives_ok(
  $$insert into public.customers (business_id, full_name) values (tests.id('business_a'), 'First'), (tests.id('business_a'), 'Second')$$,
  'several manual customers without an external id can coexist in one business'
);
select throws_ok(
  $$insert into public.customers (business_id, source, full_name) values (tests.id('business_a'), 'Jobber', 'Upper')$$,
  '23514', 'new row for relation "customers" violates check constraint "customers_source_check"',
  'source is a lower-case identifier, so "Jobber" cannot sneak past the "jobber" rule'
);

-- The same checks stop an owner too
select tests.sign_in('owner_a');
select throws_ok(
  $$insert into public.customers (business_id, full_name, status) values (tests.id('business_a'), 'Gone', 'removed')$$,
  '23514', 'new row for relation "customers" violates check constraint "customers_only_jobber_rows_are_removed"',
  'the owner cannot mark a manual customer removed'
);
select throws_ok(
  $$insert into public.customers (business_id, source, full_name) values (tests.id('business_a'), 'Jobber', 'Upper')$$,
  '23514', 'new row for relation "customers" violates check constraint "customers_source_check"',
  'the owner cannot dodge the Jobber rule with an upper-case source'
);

reset role;
select * from finish();
rollback;
