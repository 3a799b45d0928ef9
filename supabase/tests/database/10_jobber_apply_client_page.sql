-- private.jobber_apply_client_page, the sync's set-based upsert (SPEC §8 "Customers and Jobber
-- ids"): matching by Jobber id, adopting manual customers by email then phone, the never-older
-- guard, never blanking what Jobber lacks, and only writing rows that changed.
begin;
select plan(18);

select tests.create_tenancy_fixture();

create function pg_temp.client(external_id text, email text, phone text, updated_at text, full_name text default 'Client')
returns jsonb language sql as $$
  select jsonb_build_object('external_id', external_id, 'full_name', full_name, 'email', email, 'phone', phone,
    'address', null, 'status', 'active', 'email_usable', true, 'phone_usable', true, 'remote_updated_at', updated_at)
$$;

create function pg_temp.apply(clients jsonb) returns text language sql as $$
  select format('created=%s updated=%s linked=%s unchanged=%s', created, updated, linked, unchanged)
  from private.jobber_apply_client_page(tests.id('business_a'), clients, now())
$$;

-- Manual customers: M1 known by email (stored in another case), M2 by phone, M3 in business B.
insert into public.customers (business_id, source, full_name, email, phone, email_usable)
values
  (tests.id('business_a'), 'manual', 'Manual One', 'Ada@Example.com', null, true),
  (tests.id('business_a'), 'manual', 'Manual Two', 'kept@example.com', '+12025550102', true),
  (tests.id('business_b'), 'manual', 'Other Business', 'shared@example.com', null, true);

-- X matches M1 by email and M2 by phone; Y matches M2 by phone only. Each gets its own customer.
select is(
  pg_temp.apply(jsonb_build_array(
    pg_temp.client('X', 'ada@example.com', '+12025550102', '2026-01-01T00:00:00Z', 'Ada X'),
    pg_temp.client('Y', null, '+12025550102', '2026-01-01T00:00:00Z', 'Yann Y'),
    pg_temp.client('S1', 'shared@example.com', null, '2026-01-01T00:00:00Z'),
    pg_temp.client('S2', 'shared@example.com', null, '2026-01-01T00:00:00Z')
  )),
  'created=2 updated=0 linked=2 unchanged=0',
  'a first page adopts two manual customers and creates the rest'
);
select is((select external_id from public.customers where full_name = 'Ada X'), 'X',
  'the email match wins for a client that matches one customer by email and another by phone');
select is((select count(*)::int from public.customers where business_id = tests.id('business_a') and email = 'Ada@Example.com' and source = 'manual'), 0,
  'the adopted customer is the manual row itself, not a copy');
select is((select external_id from public.customers where email = 'kept@example.com'), 'Y',
  'a client matching only by phone adopts the customer that has that phone');
select is((select full_name from public.customers where external_id = 'Y'), 'Yann Y',
  'an adopted customer takes Jobber''s name');
select is((select email from public.customers where external_id = 'Y'), 'kept@example.com',
  'an adopted customer keeps the email Jobber does not have');
select is((select count(*)::int from public.customers where business_id = tests.id('business_a') and email = 'shared@example.com'), 2,
  'two Jobber clients sharing an email stay two customers');
select is((select source from public.customers where business_id = tests.id('business_b')), 'manual',
  'a customer of another business is never adopted');

-- The same page again changes nothing and writes nothing.
create temporary table before as select id, updated_at from public.customers where business_id = tests.id('business_a');
select is(
  pg_temp.apply(jsonb_build_array(
    pg_temp.client('X', 'ada@example.com', '+12025550102', '2026-01-01T00:00:00Z', 'Ada X'),
    pg_temp.client('Y', null, '+12025550102', '2026-01-01T00:00:00Z', 'Yann Y'),
    pg_temp.client('S1', 'shared@example.com', null, '2026-01-01T00:00:00Z'),
    pg_temp.client('S2', 'shared@example.com', null, '2026-01-01T00:00:00Z')
  )),
  'created=0 updated=0 linked=0 unchanged=4',
  'applying an unchanged page again reports every client unchanged'
);
select is(
  (select count(*)::int from public.customers c join before b using (id) where c.updated_at <> b.updated_at), 0,
  'and rewrites no row'
);

-- Newer data wins; older data never rolls it back.
select is(
  pg_temp.apply(jsonb_build_array(pg_temp.client('X', 'ada.new@example.com', null, '2026-02-01T00:00:00Z', 'Ada X'))),
  'created=0 updated=1 linked=0 unchanged=0',
  'a newer version of a known client is applied'
);
select is(
  pg_temp.apply(jsonb_build_array(pg_temp.client('X', 'ada.old@example.com', null, '2026-01-15T00:00:00Z', 'Ada X'))),
  'created=0 updated=0 linked=0 unchanged=1',
  'an older version of a known client is ignored'
);
select is((select email from public.customers where external_id = 'X'), 'ada.new@example.com',
  'so a late page never rolls fresher data back');
select is((select phone from public.customers where external_id = 'X'), '+12025550102',
  'a field Jobber no longer sends is kept, not blanked');

-- A client Jobber lists twice in one page (the cursor moved under an edit) is applied once.
select is(
  pg_temp.apply(jsonb_build_array(
    pg_temp.client('D', 'dup@example.com', null, '2026-01-01T00:00:00Z'),
    pg_temp.client('D', 'dup@example.com', null, '2026-01-01T00:00:00Z')
  )),
  'created=1 updated=0 linked=0 unchanged=0',
  'a client listed twice in one page is applied once'
);

-- A page's cost is bounded by the page, not by the business. When the statistics say (nearly)
-- every customer came from Jobber, the planner takes "source <> 'jobber'" to match no row; with
-- only the all-customer indexes it then probed adoption candidates by business alone and
-- filtered every customer the business had, once per client: a 50,000-client sync in one
-- transaction ran 80x slower after a busy day had filled the table with Jobber customers.
-- Here another business's 10,000 Jobber customers make those statistics, and business A gets
-- ten pages of new clients; the tenth may read customers only by index probes.
insert into public.customers (business_id, source, external_id, full_name)
select tests.id('business_b'), 'jobber', 'busy-' || i, 'Busy ' || i from generate_series(1, 10000) i;
analyze public.customers;

-- Rows this transaction has read from customers so far, by sequential and by index scans.
create function pg_temp.customer_rows_read() returns bigint language sql as $$
  select coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)
  from pg_stat_xact_user_tables where schemaname = 'public' and relname = 'customers'
$$;
create function pg_temp.new_clients(page integer) returns jsonb language sql as $$
  select jsonb_agg(pg_temp.client('new-' || i, 'new' || i || '@example.com', '+1404555' || lpad(i::text, 4, '0'),
    '2026-01-01T00:00:00Z'))
  from generate_series(page * 100, page * 100 + 99) i
$$;
select pg_temp.apply(pg_temp.new_clients(page)) from generate_series(0, 8) page;
create temp table customer_reads as select pg_temp.customer_rows_read() as before;
select is(pg_temp.apply(pg_temp.new_clients(9)), 'created=100 updated=0 linked=0 unchanged=0',
  'a tenth page of new clients creates them');
select cmp_ok(pg_temp.customer_rows_read() - (select before from customer_reads), '<', 200::bigint,
  'and reads customers by index probes, not once per customer the business already has');

-- Only service_role may call it.
set local role authenticated;
select throws_ok(
  $$select * from private.jobber_apply_client_page(gen_random_uuid(), '[]'::jsonb, now())$$,
  '42501', 'permission denied for function jobber_apply_client_page',
  'a signed-in user cannot call the sync upsert'
);
reset role;

select * from finish();
rollback;
