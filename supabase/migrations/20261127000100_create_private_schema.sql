-- Private schema: internal tables and helpers the Data API never exposes (PostgREST serves only
-- `public`). Nothing in it is executable by API roles unless granted one by one.
create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to authenticated, service_role;
alter default privileges in schema private revoke execute on functions from public;

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
