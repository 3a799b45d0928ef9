-- Scheduled work: pg_cron calls the jobber-worker Edge Function through pg_net. The project URL
-- and service-role key come from Vault (secrets `project_url` and `service_role_key`), as in
-- Supabase's scheduling guide, so no key is ever written into a migration or cron.job.
create extension if not exists pg_cron with schema pg_catalog;
create extension if not exists pg_net with schema extensions;

-- The one helper that calls a function over HTTP from SQL. Returns pg_net's request id.
create function private.invoke_edge_function(p_name text, p_body jsonb, p_timeout_ms integer default 5000)
returns bigint
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_url text;
  v_key text;
begin
  select decrypted_secret into v_url from vault.decrypted_secrets where name = 'project_url';
  select decrypted_secret into v_key from vault.decrypted_secrets where name = 'service_role_key';
  if v_url is null or v_key is null then
    raise exception 'Vault secrets project_url and service_role_key must be set to call Edge Functions from SQL';
  end if;
  return net.http_post(
    url := rtrim(v_url, '/') || '/functions/v1/' || p_name,
    body := p_body,
    headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || v_key),
    timeout_milliseconds := p_timeout_ms
  );
end
$$;
revoke all on function private.invoke_edge_function(text, jsonb, integer) from public, anon, authenticated;
grant execute on function private.invoke_edge_function(text, jsonb, integer) to service_role;

-- Every minute: refresh Jobber tokens that expire within 15 minutes, and drop unclaimed installs.
select cron.schedule(
  'jobber-refresh-tokens',
  '* * * * *',
  $$select private.invoke_edge_function('jobber-worker', '{"task":"refresh_tokens"}'::jsonb)$$
);
