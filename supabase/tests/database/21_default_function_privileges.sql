-- A function created tomorrow is private until granted: the migration role's global default
-- privileges no longer hand EXECUTE to PUBLIC, so neither anon nor authenticated can call a new
-- function in private (or public) that nobody remembered to revoke.
begin;
select plan(7);

create function private.added_by_a_future_migration() returns integer
language sql set search_path = '' as $$ select 1 $$;
create function public.added_by_a_future_migration() returns integer
language sql set search_path = '' as $$ select 1 $$;

select isnt(
  (select proacl from pg_proc where oid = 'private.added_by_a_future_migration()'::regprocedure),
  null,
  'a new function gets an explicit ACL (a null ACL would mean the built-in default: PUBLIC may execute)'
);
select is_empty(
  $$select 1 from pg_proc p, aclexplode(p.proacl) a
     where p.oid = 'private.added_by_a_future_migration()'::regprocedure
       and a.grantee = 0 and a.privilege_type = 'EXECUTE'$$,
  'PUBLIC holds no EXECUTE on a newly created function in private'
);
select is(
  has_function_privilege('anon', 'private.added_by_a_future_migration()', 'execute'),
  false,
  'anon cannot execute a newly created function in private'
);
select is(
  has_function_privilege('authenticated', 'private.added_by_a_future_migration()', 'execute'),
  false,
  'authenticated cannot execute a newly created function in private'
);
select is(
  has_function_privilege('anon', 'public.added_by_a_future_migration()', 'execute'),
  false,
  'anon cannot execute a newly created function in public either'
);
select is(
  has_function_privilege('authenticated', 'public.added_by_a_future_migration()', 'execute'),
  false,
  'authenticated cannot execute a newly created function in public either'
);

-- The revoke is the global one (no schema), which is the only kind that removes PUBLIC's EXECUTE.
select ok(
  exists (
    select 1 from pg_default_acl d
     where d.defaclrole = current_user::regrole and d.defaclnamespace = 0 and d.defaclobjtype = 'f'
       and not exists (select 1 from aclexplode(d.defaclacl) a where a.grantee = 0 and a.privilege_type = 'EXECUTE')
  ),
  'the migration role has a global default ACL for functions that leaves PUBLIC out'
);

select * from finish();
rollback;
