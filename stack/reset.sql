-- `npm run db:reset`: back to an empty project, keeping the cluster and the Supabase-compatibility
-- layer (roles, auth, Vault, pg_net, pg_cron), then the stack re-applies migrations and seed with
-- the real CLI. (`supabase db reset --remote` cannot run here: it drops extensions such as pg_cron
-- that only a superuser may recreate, which on hosted Supabase supautils does for it.)
select cron.unschedule(jobid) from cron.job;
drop schema if exists public cascade;
drop schema if exists private cascade;
drop schema if exists tests cascade;
drop schema if exists supabase_migrations cascade;
create schema public authorization postgres;
grant usage on schema public to anon, authenticated, service_role;
delete from vault.secrets;
delete from auth.users;
truncate net.http_request_queue, net._http_response;
