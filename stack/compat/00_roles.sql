-- Roles and database ownership as hosted Supabase has them.
-- Runs as the cluster's bootstrap superuser `supabase_admin`, so `postgres` is, as on a hosted
-- project, an ordinary role (no superuser) and migrations that only work as superuser fail here too.
create role postgres login password 'postgres' nosuperuser createdb createrole replication bypassrls inherit;
create role anon nologin inherit;
create role authenticated nologin inherit;
create role service_role nologin inherit bypassrls;
create role authenticator login noinherit password 'postgres';
grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres with admin option;
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';

alter database postgres owner to postgres;
alter schema public owner to postgres;
grant usage on schema public to anon, authenticated, service_role;

create schema extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
alter database postgres set search_path = "$user", public, extensions;
