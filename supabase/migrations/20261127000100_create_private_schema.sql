-- Private schema: internal tables and helpers the Data API never exposes (PostgREST serves only
-- `public`). Nothing in it is executable by API roles unless granted one by one.
create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to authenticated, service_role;
alter default privileges in schema private revoke execute on functions from public;

-- Tables and functions this project creates in public are granted explicitly, one by one.
-- Projects created before Supabase stopped auto-exposing new tables still carry default
-- privileges that would hand every new table to anon and authenticated (a table-wide SELECT would
-- even override the column grants that hide token ids), so those defaults are revoked here.
alter default privileges in schema public revoke all on tables from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;
alter default privileges in schema public revoke all on functions from anon, authenticated;

-- One trigger function keeps every table's updated_at honest.
create function private.set_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
revoke all on function private.set_updated_at() from public;

-- Privileged SQL functions are for the backend alone: this makes every private function whose
-- name matches p_name_like executable by service_role and nobody else. Migrations call it after
-- creating such functions, so none is ever left callable by the API roles.
create procedure private.restrict_to_service_role(p_name_like text)
language plpgsql
set search_path = ''
as $$
declare
  f record;
begin
  for f in
    select p.oid::regprocedure as signature
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'private' and p.proname like p_name_like and p.prokind = 'f'
  loop
    execute format('revoke all on function %s from public, anon, authenticated', f.signature);
    execute format('grant execute on function %s to service_role', f.signature);
  end loop;
end
$$;
revoke all on procedure private.restrict_to_service_role(text) from public;
