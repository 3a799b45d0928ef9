-- Structure: RLS is on for every table in public, every policy goes through the one membership
-- helper, and that helper is a security definer with a fixed search_path. The checks are generic
-- (they query the catalog), so a table or policy added later without following the rules fails here.
begin;
select plan(27);

select ok(
  (select count(*) from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p')) >= 5,
  'the generic checks below look at the tables of the public schema'
);

select is_empty(
  $$select c.relname::text
      from pg_class c
     where c.relnamespace = 'public'::regnamespace
       and c.relkind in ('r', 'p')
       and not c.relrowsecurity$$,
  'every table in the public schema has row level security enabled'
);

select is_empty(
  $$select c.relname::text
      from pg_class c
     where c.relnamespace = 'public'::regnamespace
       and c.relkind = 'v'
       and not coalesce('security_invoker=true' = any (c.reloptions), false)$$,
  'every view in the public schema is security_invoker, so the caller''s RLS and grants apply'
);

select is_empty(
  $$select tablename || ': ' || policyname
      from pg_policies
     where schemaname = 'public'
       and ((qual is not null and qual not like '%private.has_business_role(%')
         or (with_check is not null and with_check not like '%private.has_business_role(%'))$$,
  'every policy in the public schema checks membership through private.has_business_role'
);

select is_empty(
  $$select tablename || ': ' || policyname
      from pg_policies
     where schemaname = 'public'
       and roles <> '{authenticated}'::name[]$$,
  'every policy in the public schema applies to the authenticated role only'
);

select is_empty(
  $$select tablename || ': ' || policyname
      from pg_policies
     where schemaname = 'public'
       and permissive <> 'PERMISSIVE'$$,
  'no policy in the public schema is restrictive (access is granted only by the named policies)'
);

select policies_are('public', 'businesses', array[
  'Businesses are visible to their members',
  'Owners and admins can update their business'
], 'businesses has exactly the read and owner/admin update policies');

select policies_are('public', 'business_members', array[
  'Members can see who belongs to their business'
], 'business_members has only the members-read policy');

select policies_are('public', 'customers', array[
  'Customers are visible to members of their business',
  'Owners and admins can add customers that are not from Jobber',
  'Owners and admins can edit customers that are not from Jobber',
  'Owners and admins can delete customers that are not from Jobber'
], 'customers has exactly the read and owner/admin non-Jobber write policies');

select policies_are('public', 'integrations_jobber', array[
  'Jobber connections are visible to members of their business'
], 'integrations_jobber has only the members-read policy');

select policies_are('public', 'jobber_sync_runs', array[
  'Sync runs are visible to members of their business'
], 'jobber_sync_runs has only the members-read policy');

select policies_are('public', 'jobs', array[
  'Jobs are visible to members of their business'
], 'jobs has only the members-read policy');

select policies_are('public', 'job_visits', array[
  'Job visits are visible to members of their business'
], 'job_visits has only the members-read policy');

select policies_are('public', 'job_completions', array[
  'Job completions are visible to members of their business'
], 'job_completions has only the members-read policy');

select policies_are('public', 'review_settings', array[
  'Review settings are visible to members of their business',
  'Owners and admins can change their review settings'
], 'review_settings has exactly the read and owner/admin update policies');

select policies_are('public', 'review_decisions', array[
  'Review decisions are visible to members of their business'
], 'review_decisions has only the members-read policy');

select policies_are('public', 'review_requests', array[
  'Review requests are visible to members of their business'
], 'review_requests has only the members-read policy');

select policies_are('public', 'review_messages', array[
  'Review messages are visible to members of their business'
], 'review_messages has only the members-read policy');

select policies_are('public', 'contact_opt_outs', array[
  'Opt-outs are visible to members of their business',
  'Owners and admins can add manual opt-outs',
  'Owners and admins can remove manual opt-outs'
], 'contact_opt_outs has exactly the read and owner/admin manual add / remove policies');

select policies_are('public', 'review_replies', array[
  'Replies are visible to members of their business'
], 'review_replies has only the members-read policy');

select is(
  (select prosecdef from pg_proc where oid = 'private.has_business_role(uuid, text[], uuid)'::regprocedure),
  true,
  'private.has_business_role is security definer, so policies on business_members do not recurse'
);

select is(
  (select proconfig from pg_proc where oid = 'private.has_business_role(uuid, text[], uuid)'::regprocedure),
  array['search_path=""'],
  'private.has_business_role runs with a fixed, empty search_path'
);

select is_empty(
  $$select p.oid::regprocedure::text
      from pg_proc p
     where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
       and p.prosecdef
       and not exists (select 1 from unnest(p.proconfig) s where s like 'search_path=%')$$,
  'every security definer function in public and private pins its search_path'
);

select is(
  has_function_privilege('anon', 'private.has_business_role(uuid, text[], uuid)', 'execute'),
  false,
  'anon cannot execute the membership helper'
);

select is(
  has_function_privilege('authenticated', 'private.has_business_role(uuid, text[], uuid)', 'execute'),
  true,
  'authenticated can execute the membership helper its policies call'
);

select is(
  has_schema_privilege('anon', 'private', 'usage'),
  false,
  'anon cannot use the private schema'
);

select is(
  has_schema_privilege('authenticated', 'private', 'create'),
  false,
  'authenticated cannot create objects in the private schema'
);

select * from finish();
rollback;
