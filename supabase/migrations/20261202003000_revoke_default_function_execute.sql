-- Functions are created executable by PUBLIC unless a default privilege says otherwise, and
-- `alter default privileges ... in schema` can only add to the global default, never take from it:
-- the per-schema revoke in the private-schema migration is a no-op for PUBLIC. Only the global form
-- removes that EXECUTE, so every function the migration role creates from here on, in any schema,
-- starts callable by nobody but its owner until a migration grants it (restrict_to_service_role, or
-- an explicit grant to authenticated for the few helpers policies and the API need).
alter default privileges revoke execute on functions from public;
