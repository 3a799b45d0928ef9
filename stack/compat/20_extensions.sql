-- Extensions a hosted project has available, installed by the superuser as Supabase does, so the
-- migrations' own `create extension if not exists` lines are no-ops here as they are there.
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists pgtap with schema extensions;
create extension if not exists plpgsql_check with schema extensions;
create extension if not exists pg_cron with schema pg_catalog;
create extension if not exists supabase_vault with schema extensions;
create extension if not exists pg_net with schema extensions;

-- pg_cron as Supabase grants it to postgres (ansible/.../pg_cron/after-create.sql).
grant usage on schema cron to postgres with grant option;
grant all on all tables in schema cron to postgres with grant option;
grant all on all sequences in schema cron to postgres with grant option;
grant all on all functions in schema cron to postgres with grant option;
