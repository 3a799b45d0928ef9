-- Grants: the exact privileges the API roles hold in public. RLS decides which rows; these decide
-- which tables, commands and columns. Anything extra (a default privilege, a stray grant) fails here.
begin;
select plan(12);

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
    ('jobber_status', 'SELECT'),
    ('jobs', 'SELECT'),
    ('job_visits', 'SELECT'),
    ('job_completions', 'SELECT'),
    ('review_settings', 'SELECT'),
    ('review_decisions', 'SELECT'),
    ('review_messages', 'SELECT'),
    ('contact_opt_outs', 'SELECT'), ('contact_opt_outs', 'DELETE'),
    ('review_replies', 'SELECT'),
    ('review_activity', 'SELECT')$$,
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
     where a.attrelid = 'public.review_settings'::regclass and a.attnum > 0 and not a.attisdropped
       and has_column_privilege('authenticated', a.attrelid, a.attnum, 'UPDATE')$$,
  array['enabled', 'trigger', 'delay_minutes', 'channels', 'follow_ups', 'follow_up_days', 'reask_days',
        'send_window_start', 'send_window_end', 'min_job_total', 'require_approval', 'backfill_per_hour',
        'review_url', 'sender_name', 'sms_template', 'email_subject', 'email_template'],
  'authenticated may update only the settings columns of review_settings (not business_id or timestamps)'
);

select set_eq(
  $$select a.attname::text
      from pg_attribute a
     where a.attrelid = 'public.contact_opt_outs'::regclass and a.attnum > 0 and not a.attisdropped
       and has_column_privilege('authenticated', a.attrelid, a.attnum, 'INSERT')$$,
  array['business_id', 'channel', 'address', 'source'],
  'authenticated may insert only business_id, channel, address and source of an opt-out (created_by is the signed-in user)'
);

select set_eq(
  $$select a.attname::text
      from pg_attribute a
     where a.attrelid = 'public.review_requests'::regclass and a.attnum > 0 and not a.attisdropped
       and not has_column_privilege('authenticated', a.attrelid, a.attnum, 'SELECT')$$,
  array['link_token', 'unsubscribe_token'],
  'authenticated may select every column of review_requests except the link and unsubscribe tokens'
);

select set_eq(
  $$select a.attname::text
      from pg_attribute a
     where a.attrelid = 'public.integrations_jobber'::regclass and a.attnum > 0 and not a.attisdropped
       and not has_column_privilege('authenticated', a.attrelid, a.attnum, 'SELECT')$$,
  array['access_token_secret_id', 'refresh_token_secret_id', 'refresh_failures', 'refresh_retry_at',
        'token_generation', 'refresh_claimed_by', 'refresh_claimed_until'],
  'authenticated may select every column of integrations_jobber except the token secret ids and the refresh bookkeeping (failures, cooldown, generation, claim)'
);

select is_empty(
  $$select c.relname::text || '.' || a.attname || ' ' || p.privilege
      from pg_class c
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
     cross join unnest(array['INSERT', 'UPDATE', 'REFERENCES']) p(privilege)
     where c.relnamespace = 'public'::regnamespace
       and c.relkind in ('r', 'p')
       and c.relname not in ('customers', 'businesses', 'review_settings', 'contact_opt_outs')
       and has_column_privilege('authenticated', c.oid, a.attnum, p.privilege)$$,
  'authenticated cannot write or reference a single column of any other table (members, connections, runs, jobs, decisions, requests, messages, replies)'
);

select is_empty(
  $$select c.relname::text || ' ' || p.privilege
      from pg_class c
     cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE']) p(privilege)
     where c.relnamespace = 'public'::regnamespace
       and c.relkind in ('r', 'p')
       and c.relname <> 'job_completions'
       and not has_table_privilege('service_role', c.oid, p.privilege)$$,
  'the service role can select, insert, update and delete every table in public but job_completions'
);

select set_eq(
  $$select p.privilege
      from unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p(privilege)
     where has_table_privilege('service_role', 'public.job_completions', p.privilege)$$,
  array['SELECT', 'INSERT'],
  'job_completions is insert-only even for the service role: a completion is never edited or deleted'
);

select set_eq(
  $$select p.oid::regprocedure::text
      from pg_proc p
     where p.pronamespace = 'public'::regnamespace
       and has_function_privilege('authenticated', p.oid, 'execute')$$,
  array['review_approve_request(uuid)', 'review_skip_request(uuid)',
        'review_ask_recent_preview(uuid,uuid[],integer)', 'review_ask_recent_confirm(uuid,uuid[],integer)',
        'review_chart(uuid,integer)'],
  'the owner actions and the reviews card''s chart are the only functions in public a signed-in user may call'
);

select is_empty(
  $$select p.oid::regprocedure::text
      from pg_proc p
     where p.pronamespace = 'public'::regnamespace
       and has_function_privilege('anon', p.oid, 'execute')$$,
  'anon may call no function in public'
);

select is(
  has_table_privilege('service_role', 'public.jobber_status', 'SELECT'),
  true,
  'the service role can read the status view'
);

select * from finish();
rollback;
