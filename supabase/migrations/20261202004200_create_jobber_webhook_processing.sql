-- Working through the webhook inbox (SPEC §9 "Processing"): jobber-worker's process_webhooks task
-- claims due events under its worker lease, re-fetches each object from Jobber, applies it and
-- settles the events - apply and settle in one transaction, through the lease guard, so a worker
-- killed mid-batch loses nothing (its events are claimed again once its lease lapses) and a worker
-- whose events were taken over can never apply them a second time.

-- Claims up to p_limit due events for the lease p_lease_owner: pending ones whose time has come,
-- and processing ones whose holder's lease lapsed (that worker died or stalled; the interrupted
-- try counts as a failed attempt, so an event that kills every worker that touches it still ends
-- as a dead letter). Rows another worker is claiming right now are skipped. With p_event_ids,
-- only those events (a hand-over names what it gives back).
--
-- An event whose business is no longer connected cannot be fetched from Jobber: it is set
-- `ignored` here instead of being handed out (reconciliation after a reconnect finds what it
-- would have said). APP_DISCONNECT is the exception: it needs no fetch, and a business in
-- `error` must still hear that Jobber disconnected it. Every event taken is returned with the
-- state it was given (processing: the caller's to handle; ignored or failed: settled here), so a
-- batch that had only such events does not look like an empty inbox.
create function private.jobber_claim_webhook_events(p_lease_owner text, p_limit integer, p_event_ids bigint[] default null)
returns table (id bigint, business_id uuid, account_id text, topic text, item_id text, occurred_at timestamptz,
               attempts integer, state text)
language plpgsql volatile security definer set search_path = ''
as $$
begin
  perform private.worker_lease_guard(p_lease_owner, p_lease_owner);
  return query
  with claimable as (
    select e.id,
           case
             when not (e.topic = 'APP_DISCONNECT' or coalesce(i.connection_status = 'connected', false)) then 'ignored'
             when e.state = 'processing' and e.attempts + 1 >= 8 then 'failed'
             else 'processing'
           end as next_state
    from private.jobber_webhook_events e
    left join public.integrations_jobber i on i.business_id = e.business_id
    where (p_event_ids is null or e.id = any (p_event_ids))
      and ((e.state = 'pending' and e.next_attempt_at <= now())
           or (e.state = 'processing' and not private.worker_lease_live(e.lease_owner)))
    order by e.next_attempt_at, e.id
    limit p_limit
    for update of e skip locked
  ),
  claimed as (
    update private.jobber_webhook_events e set
      attempts = e.attempts + case when e.state = 'processing' then 1 else 0 end,
      last_error = case
        when c.next_state = 'ignored' then 'The business is not connected to Jobber.'
        when e.state = 'processing' then 'The worker handling this update stopped before it finished.'
        else e.last_error
      end,
      state = c.next_state,
      lease_owner = case when c.next_state = 'processing' then p_lease_owner end,
      processed_at = case when c.next_state = 'processing' then null else now() end
    from claimable c
    where e.id = c.id
    returning e.*
  )
  select c.id, c.business_id, c.account_id, c.topic, c.item_id, c.occurred_at, c.attempts, c.state
  from claimed c
  order by c.id;
end
$$;

-- Settles events this worker holds (raising BJ007 through the lease guard for any it does not):
--   done / ignored: finished (p_error says why an event was ignored);
--   retry: the try failed - attempts + 1, due again after 10 s doubling per attempt, capped at an
--          hour; the 8th failure makes it `failed`, a dead letter.
-- Call it in the transaction that applies the events, so both happen or neither does.
create function private.jobber_settle_webhook_events(
  p_event_ids bigint[], p_lease_owner text, p_outcome text, p_error text default null
) returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_event record;
begin
  if p_outcome is null or p_outcome not in ('done', 'ignored', 'retry') then
    raise exception using errcode = '22023', message = format('Unknown webhook outcome %L.', p_outcome);
  end if;
  for v_event in
    select e.id, e.lease_owner, e.state from private.jobber_webhook_events e
    where e.id = any (p_event_ids) order by e.id for update
  loop
    perform private.worker_lease_guard(case when v_event.state = 'processing' then v_event.lease_owner end, p_lease_owner);
  end loop;
  if (select count(*) from private.jobber_webhook_events e where e.id = any (p_event_ids))
     <> cardinality(array(select distinct unnest(p_event_ids))) then
    -- Gone (the business was deleted meanwhile): nothing of them is held any more.
    perform private.worker_lease_guard(null, p_lease_owner);
  end if;

  update private.jobber_webhook_events e set
    state = case
      when p_outcome <> 'retry' then p_outcome
      when e.attempts + 1 >= 8 then 'failed'
      else 'pending'
    end,
    attempts = e.attempts + case when p_outcome = 'retry' then 1 else 0 end,
    next_attempt_at = case
      when p_outcome = 'retry' and e.attempts + 1 < 8
        then now() + least(interval '1 hour', interval '10 seconds' * power(2, e.attempts))
      when p_outcome = 'retry' then now()
      else e.next_attempt_at
    end,
    last_error = case when p_outcome = 'done' then null else left(p_error, 1000) end,
    processed_at = case when p_outcome = 'retry' and e.attempts + 1 < 8 then null else now() end,
    lease_owner = null
  where e.id = any (p_event_ids);
end
$$;

-- Done and ignored events are kept for 7 days (what a duplicate delivery is recognised against,
-- and what support looks at), then deleted, a bounded number per call.
create function private.jobber_prune_webhook_events(p_limit integer)
returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_count integer;
begin
  delete from private.jobber_webhook_events e
  where e.id in (
    select f.id from private.jobber_webhook_events f
    where f.state in ('done', 'ignored') and f.processed_at < now() - interval '7 days'
    order by f.processed_at
    limit p_limit
  );
  get diagnostics v_count = row_count;
  return v_count;
end
$$;

-- jobber-replay: an owner or admin re-queues the business's dead letters (fresh attempts, due
-- now) and the worker is woken for them. Returns how many were re-queued.
create function private.jobber_replay_webhook_events(p_business_id uuid, p_user_id uuid)
returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_count integer;
begin
  perform private.assert_business_role(p_business_id, p_user_id, array['owner', 'admin']);
  if not exists (
    select 1 from public.integrations_jobber i
    where i.business_id = p_business_id and i.connection_status = 'connected'
  ) then
    raise exception using errcode = 'BJ005',
      message = 'This business is not connected to Jobber, so its updates cannot be fetched again. Reconnect Jobber first.';
  end if;
  update private.jobber_webhook_events e set
    state = 'pending', attempts = 0, next_attempt_at = now(), last_error = null, processed_at = null, lease_owner = null
  where e.business_id = p_business_id and e.state = 'failed';
  get diagnostics v_count = row_count;
  if v_count > 0 then
    perform private.wake_worker('process_webhooks', '{}'::jsonb, 10000);
  end if;
  return v_count;
end
$$;

call private.restrict_to_service_role('jobber\_claim\_webhook\_events');
call private.restrict_to_service_role('jobber\_settle\_webhook\_events');
call private.restrict_to_service_role('jobber\_prune\_webhook\_events');
call private.restrict_to_service_role('jobber\_replay\_webhook\_events');

-- Woken by jobber-webhook (coalesced) and swept every minute: events whose retry time came, and
-- anything a lost wake left behind.
select private.register_worker_task('process_webhooks', '* * * * *');
