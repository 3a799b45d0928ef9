-- Grants: the exact privileges the API roles hold in public. RLS decides which rows; these decide
-- which tables, commands and columns. Anything extra (a default privilege, a stray grant) fails here.
begin;
select plan(6);

select set_eq(
  $$select c.relname::text, p.privilege
      from pg_class c
     cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p(privilege)
     where c.relnamespace = 'public'::regnamespace
       and c.relkind in ('r', 'p', 'v', 'm', 'f')
       and has_table_privilege('authenticated', c.oid, p.privilege)$$,
  $$values
    ('businesses', 'SELECT'),
    ('business_members', 'SELECT'),
    ('customers', 'SELECT'), ('customers', 'INSERT'), ('customers', 'UPDATE'), ('customers', 'DELETE'),
    ('jobber_sync_runs', 'SELECT'),
    ('jobber_status', 'SELECT')$$,
  'authenticated holds exactly the table-wide privileges the spec gives it (no truncate, references or trigger anywhere)'
);

select set_eq(
  $$select a.attname::text
      from pg_attribute a
     where a.attrelid = 'public.businesses'::regclass and a.attnum > 0 and not a.attisdropped
       and has_column_privilege('authenticated', a.attrelid, a.attnum, 'UPDATE')$$,
  array['name', 'country', 'timezone'],
  'authenticated may update only name, country and timezone of a business'
);

select set_eq(
  $$select a.attname::text
      from pg_attribute a
     where a.attrelid = 'public.integrations_jobber'::regclass and a.attnum > 0 and not a.attisdropped
       and not has_column_privilege('authenticated', a.attrelid, a.attnum, 'SELECT')$$,
  array['access_token_secret_id', 'refresh_token_secret_id', 'refresh_failures', 'refresh_retry_at'],
  'authenticated may select every column of integrations_jobber except the token secret ids and refresh bookkeeping'
);

select is_empty(
  $$select c.relname::text || '.' || a.attname || ' ' || p.privilege
      from pg_class c
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
     cross join unnest(array['INSERT', 'UPDATE', 'REFERENCES']) p(privilege)
     where c.relnamespace = 'public'::regnamespace
       and c.relkind in ('r', 'p')
       and c.relname not in ('customers', 'businesses')
       and has_column_privilege('authenticated', c.oid, a.attnum, p.privilege)$$,
  'authenticated cannot write or reference a single column of business_members, integrations_jobber or jobber_sync_runs'
);

select is_empty(
  $$select c.relname::text || ' ' || p.privilege
      from pg_class c
     cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE']) p(privilege)
     where c.relnamespace = 'public'::regnamespace
       and c.relkind in ('r', 'p')
       and not has_table_privilege('service_role', c.oid, p.privilege)$$,
  'the service role can select, insert, update and delete every table in public'
);

select is(
  has_table_privilege('service_role', 'public.jobber_status', 'SELECT'),
  true,
  'the service role can read the status view'
);

select * from finish();
rollback;
