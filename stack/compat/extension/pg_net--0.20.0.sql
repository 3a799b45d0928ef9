-- pg_net 0.20's SQL surface on plain Postgres. Queued requests go out only after the calling
-- transaction commits, because the worker is woken by NOTIFY (delivered at commit) - as pg_net's
-- background worker only sees committed queue rows.
create schema if not exists net;

create domain net.http_method as text
  check (value ilike 'get' or value ilike 'post' or value ilike 'delete');

create unlogged table net.http_request_queue (
  id bigserial,
  method net.http_method not null,
  url text not null,
  headers jsonb not null,
  body bytea,
  timeout_milliseconds integer not null
);

create unlogged table net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default now()
);
create index _http_response_created_idx on net._http_response (created);

create function net._enqueue(method text, url text, params jsonb, headers jsonb, body bytea, timeout_milliseconds int)
returns bigint
language plpgsql volatile security definer set search_path = ''
as $$
declare
  request_id bigint;
  full_url text := url;
  p record;
  first boolean := position('?' in url) = 0;
begin
  for p in select key, value from jsonb_each_text(coalesce(params, '{}'::jsonb)) loop
    full_url := full_url || case when first then '?' else '&' end || p.key || '=' || p.value;
    first := false;
  end loop;
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (method, full_url, coalesce(headers, '{}'::jsonb), body, timeout_milliseconds)
  returning id into request_id;
  perform pg_notify('pg_net_wake', '');
  return request_id;
end
$$;

create function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000
) returns bigint
language sql volatile security definer set search_path = net
as $$ select net._enqueue('GET', url, params, headers, null, timeout_milliseconds) $$;

create function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds int default 5000
) returns bigint
language plpgsql volatile security definer set search_path = net
as $$
declare
  content_type text;
  all_headers jsonb := coalesce(headers, '{}'::jsonb);
begin
  select value into content_type from jsonb_each_text(all_headers) where lower(key) = 'content-type';
  if content_type is null then
    all_headers := all_headers || '{"Content-Type": "application/json"}'::jsonb;
  elsif content_type not ilike 'application/json%' then
    raise exception 'Content-Type header must be "application/json"';
  end if;
  return net._enqueue('POST', url, params, all_headers, convert_to(coalesce(body, '{}'::jsonb)::text, 'UTF8'),
    timeout_milliseconds);
end
$$;

create function net.http_delete(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000,
  body jsonb default null
) returns bigint
language sql volatile security definer set search_path = net
as $$
  select net._enqueue('DELETE', url, params, headers,
    case when body is null then null else convert_to(body::text, 'UTF8') end, timeout_milliseconds)
$$;

revoke all on function net.http_get(text, jsonb, jsonb, int) from public;
revoke all on function net.http_post(text, jsonb, jsonb, jsonb, int) from public;
revoke all on function net.http_delete(text, jsonb, jsonb, int, jsonb) from public;
revoke all on function net._enqueue(text, text, jsonb, jsonb, bytea, int) from public;
grant usage on schema net to postgres, anon, authenticated, service_role;
grant execute on function net.http_get(text, jsonb, jsonb, int) to postgres, anon, authenticated, service_role;
grant execute on function net.http_post(text, jsonb, jsonb, jsonb, int) to postgres, anon, authenticated, service_role;
grant execute on function net.http_delete(text, jsonb, jsonb, int, jsonb) to postgres, anon, authenticated, service_role;
grant select on net._http_response to postgres, service_role;
