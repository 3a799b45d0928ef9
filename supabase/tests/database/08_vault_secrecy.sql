-- Token secrecy: Jobber tokens live in Vault and the API roles can reach neither Vault, nor the
-- columns that point into it, nor the private functions and tables that handle tokens; anon holds
-- no privilege at all on anything in public.
begin;
select plan(26);

-- Fixture: businesses A and B with their people (supabase/tests/database/00_test_helpers.sql).
select tests.create_tenancy_fixture();

-- Vault, signed in as the owner of a business
select tests.sign_in('owner_a');
select throws_ok(
  'select decrypted_secret from vault.decrypted_secrets',
  '42501', 'permission denied for schema vault',
  'a signed-in user cannot read decrypted Vault secrets'
);
select throws_ok(
  'select secret from vault.secrets',
  '42501', 'permission denied for schema vault',
  'a signed-in user cannot read the encrypted Vault secrets'
);
select throws_ok(
  $$select vault.create_secret('not-a-token', 'planted')$$,
  '42501', 'permission denied for schema vault',
  'a signed-in user cannot create a Vault secret'
);

-- Vault, as anon
reset role;
set local role anon;
select throws_ok(
  'select decrypted_secret from vault.decrypted_secrets',
  '42501', 'permission denied for schema vault',
  'anon cannot read decrypted Vault secrets'
);
select throws_ok(
  'select secret from vault.secrets',
  '42501', 'permission denied for schema vault',
  'anon cannot read the encrypted Vault secrets'
);
select throws_ok(
  $$select vault.create_secret('not-a-token', 'planted')$$,
  '42501', 'permission denied for schema vault',
  'anon cannot create a Vault secret'
);

reset role;
select is(has_schema_privilege('authenticated', 'vault', 'usage'), false, 'authenticated has no usage on the vault schema');
select is(has_schema_privilege('anon', 'vault', 'usage'), false, 'anon has no usage on the vault schema');
select is(
  has_function_privilege('authenticated', 'vault.create_secret(text, text, text, uuid)', 'execute'),
  false,
  'authenticated cannot execute vault.create_secret'
);
select is(
  has_function_privilege('anon', 'vault.create_secret(text, text, text, uuid)', 'execute'),
  false,
  'anon cannot execute vault.create_secret'
);

-- The columns that point into Vault
select is(
  has_column_privilege('authenticated', 'public.integrations_jobber', 'access_token_secret_id', 'select'),
  false,
  'authenticated cannot select integrations_jobber.access_token_secret_id'
);
select is(
  has_column_privilege('authenticated', 'public.integrations_jobber', 'refresh_token_secret_id', 'select'),
  false,
  'authenticated cannot select integrations_jobber.refresh_token_secret_id'
);
select is(
  has_column_privilege('authenticated', 'public.integrations_jobber', 'access_token_secret_id', 'insert, update, references'),
  false,
  'authenticated cannot write or reference integrations_jobber.access_token_secret_id'
);
select is(
  has_column_privilege('authenticated', 'public.integrations_jobber', 'refresh_token_secret_id', 'insert, update, references'),
  false,
  'authenticated cannot write or reference integrations_jobber.refresh_token_secret_id'
);
select is(
  has_table_privilege('authenticated', 'public.integrations_jobber', 'select'),
  false,
  'authenticated has no table-wide select on integrations_jobber (which would include the token columns)'
);
select is(
  has_column_privilege('service_role', 'public.integrations_jobber', 'access_token_secret_id', 'select'),
  true,
  'the service role can select the access token secret id'
);

-- anon: nothing at all in public, checked for every relation so a new table is covered too
select ok(
  (select count(*) from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p', 'v', 'm', 'f')) >= 6,
  'the anon checks below look at the tables and views of the public schema'
);
select is_empty(
  $$select c.relname::text
      from pg_class c
     where c.relnamespace = 'public'::regnamespace
       and c.relkind in ('r', 'p', 'v', 'm', 'f')
       and has_table_privilege('anon', c.oid, 'select, insert, update, delete, truncate, references, trigger')$$,
  'anon holds no table privilege on any table or view in public'
);
select is_empty(
  $$select c.relname::text
      from pg_class c
     where c.relnamespace = 'public'::regnamespace
       and c.relkind in ('r', 'p', 'v', 'm', 'f')
       and has_any_column_privilege('anon', c.oid, 'select, insert, update, references')$$,
  'anon holds no column privilege on any table or view in public'
);
select is_empty(
  $$select p.oid::regprocedure::text
      from pg_proc p
     where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
       and has_function_privilege('anon', p.oid, 'execute')$$,
  'anon cannot execute any function in public or private'
);

-- The private schema: token-reading functions and OAuth bookkeeping are the service role's alone
select tests.sign_in('owner_a');
select throws_ok(
  $$select * from private.jobber_read_tokens(tests.id('business_a'))$$,
  '42501', 'permission denied for function jobber_read_tokens',
  'the owner cannot call the function that decrypts their business''s Jobber tokens'
);
select throws_ok(
  'select access_token_secret_id from private.jobber_pending_installs',
  '42501', 'permission denied for table jobber_pending_installs',
  'a signed-in user cannot read unclaimed installs and their secret ids'
);
select throws_ok(
  'select nonce_hash from private.jobber_oauth_states',
  '42501', 'permission denied for table jobber_oauth_states',
  'a signed-in user cannot read OAuth states'
);
reset role;
set local role anon;
select throws_ok(
  $$select * from private.jobber_read_tokens(tests.id('business_a'))$$,
  '42501', 'permission denied for schema private',
  'anon cannot reach the private schema at all'
);
reset role;
select set_eq(
  $$select p.oid::regprocedure::text
      from pg_proc p
     where p.pronamespace = 'private'::regnamespace
       and has_function_privilege('authenticated', p.oid, 'execute')$$,
  array['private.has_business_role(uuid,text[],uuid)', 'private.jobber_webhook_counts(uuid)'],
  'the membership helper and the status view''s membership-checked webhook counts are the only private functions authenticated may execute'
);
select is_empty(
  $$select c.relname::text
      from pg_class c
     where c.relnamespace = 'private'::regnamespace
       and c.relkind in ('r', 'p', 'v', 'm', 'f')
       and (has_table_privilege('authenticated', c.oid, 'select, insert, update, delete, truncate, references, trigger')
         or has_any_column_privilege('authenticated', c.oid, 'select, insert, update, references'))$$,
  'authenticated holds no privilege on any table in the private schema'
);

select * from finish();
rollback;
