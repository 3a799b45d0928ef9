-- The Jobber webhook inbox (SPEC §9 "Receiving"). jobber-webhook verifies a delivery and records
-- it here in one SQL call; the worker (process_webhooks) does everything else later. A row is one
-- event as Jobber identifies it - (account, topic, item, occurredAt) - so a delivery Jobber repeats
-- (at-least-once, timeouts, our own 503s) lands on the row it already has.
--
-- States: pending (due at next_attempt_at) -> processing (held by a worker's lease) -> done, or
-- back to pending after a failure (attempts counts failed tries), or failed after 8 of them (a
-- dead letter, counted on the card until an owner replays it). Events for accounts no business
-- has connected, and topics we do not act on, are stored `ignored` so a repeat is still a
-- duplicate and Jobber is still answered 200.
create table private.jobber_webhook_events (
  id bigint generated always as identity primary key,
  account_id text not null check (char_length(account_id) between 1 and 200),
  topic text not null check (char_length(topic) between 1 and 100),
  item_id text not null check (char_length(item_id) between 1 and 200),
  occurred_at timestamptz not null,
  app_id text check (char_length(app_id) <= 200),
  -- The business the account belonged to when the event arrived (null: nobody's).
  business_id uuid references public.businesses (id) on delete cascade,
  state text not null default 'pending'
    check (state in ('pending', 'processing', 'done', 'ignored', 'failed')),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  last_error text check (char_length(last_error) <= 1000),
  -- The worker lease (private.worker_leases) holding a processing event.
  lease_owner text,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  constraint jobber_webhook_events_delivery_key unique (account_id, topic, item_id, occurred_at)
);
-- The worker's claim: due events in order.
create index jobber_webhook_events_due_idx on private.jobber_webhook_events (next_attempt_at, id)
  where state in ('pending', 'processing');
-- The card's counts per business.
create index jobber_webhook_events_open_idx on private.jobber_webhook_events (business_id, state)
  where state in ('pending', 'processing', 'failed');
-- The 7-day clean-up of finished events.
create index jobber_webhook_events_finished_idx on private.jobber_webhook_events (processed_at)
  where state in ('done', 'ignored');

alter table private.jobber_webhook_events enable row level security;
-- No policies and no grants: only the functions below (and the card's counting function) touch it.
revoke all on private.jobber_webhook_events from public, anon, authenticated;

-- The topics the worker acts on (SPEC §9's topic table plus JOB_DESTROY, which marks a job
-- deleted); every other topic is stored `ignored`. jobber-worker's webhook handlers must cover
-- exactly these (a Deno test compares the two lists).
create function private.jobber_webhook_topics()
returns text[]
language sql immutable set search_path = ''
as $$
  select array['APP_DISCONNECT', 'CLIENT_CREATE', 'CLIENT_UPDATE', 'CLIENT_DESTROY', 'JOB_CREATE', 'JOB_UPDATE',
               'JOB_CLOSED', 'JOB_DESTROY', 'VISIT_COMPLETE']
$$;

-- Records verified deliveries, one statement for the lot: jobber-webhook batches the deliveries
-- that arrive while its previous call is in flight, so under load one commit carries many events
-- (each delivery is still recorded by exactly one call). p_events is a JSON array of
-- {account_id, topic, item_id, occurred_at, app_id}; the answer has one row per element, in order:
-- duplicate (the event was already in the inbox, or earlier in this array) and the new row's state.
--
-- For the accounts' businesses it also stamps integrations_jobber.last_webhook_at with the receive
-- time, at most about once a second and only where nobody holds the row: SKIP LOCKED means a
-- business's one hot row never makes concurrent deliveries queue behind each other (a skipped
-- stamp is at most a second stale). And when a new event is pending it wakes the worker through
-- the coalescing wake: one wake in flight, however many deliveries arrive meanwhile.
create function private.jobber_receive_webhooks(p_events jsonb)
returns table (ord integer, duplicate boolean, state text)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_ords integer[];
  v_duplicates boolean[];
  v_states text[];
  v_businesses uuid[];
  v_new_pending boolean;
begin
  if p_events is null or jsonb_typeof(p_events) <> 'array' then
    raise exception using errcode = '22023', message = 'The webhook events must be a JSON array.';
  end if;

  with input as (
    select x.ord::integer as ord, x.account_id, x.topic, x.item_id, x.occurred_at, x.app_id
    from rows from (
      jsonb_to_recordset(p_events) as (account_id text, topic text, item_id text, occurred_at timestamptz, app_id text)
    ) with ordinality as x(account_id, topic, item_id, occurred_at, app_id, ord)
  ),
  routed as (
    -- At most one live connection per account (integrations_jobber_live_account_idx).
    select i.*, c.business_id,
           c.business_id is not null and i.topic = any (private.jobber_webhook_topics()) as acted_on
    from input i
    left join public.integrations_jobber c on c.account_id = i.account_id and c.connection_status <> 'disconnected'
  ),
  inserted as (
    insert into private.jobber_webhook_events as e
      (account_id, topic, item_id, occurred_at, app_id, business_id, state, processed_at, last_error)
    select r.account_id, r.topic, r.item_id, r.occurred_at, r.app_id, r.business_id,
           case when r.acted_on then 'pending' else 'ignored' end,
           case when r.acted_on then null else now() end,
           case
             when r.business_id is null then 'No business has this Jobber account connected.'
             when not r.acted_on then 'Blipp does not act on this topic.'
           end
    from routed r
    order by r.ord
    on conflict (account_id, topic, item_id, occurred_at) do nothing
    returning e.account_id, e.topic, e.item_id, e.occurred_at, e.state
  ),
  outcome as (
    select r.ord, r.business_id, n.state,
           -- The first of equal events in this array is the one inserted; the rest are repeats.
           n.state is null
             or r.ord <> min(r.ord) over (partition by r.account_id, r.topic, r.item_id, r.occurred_at) as duplicate
    from routed r
    left join inserted n
      on n.account_id = r.account_id and n.topic = r.topic and n.item_id = r.item_id and n.occurred_at = r.occurred_at
  )
  select array_agg(o.ord order by o.ord),
         array_agg(o.duplicate order by o.ord),
         array_agg(case when o.duplicate then null else o.state end order by o.ord),
         array_agg(distinct o.business_id) filter (where o.business_id is not null),
         coalesce(bool_or(not o.duplicate and o.state = 'pending'), false)
  into v_ords, v_duplicates, v_states, v_businesses, v_new_pending
  from outcome o;

  if v_businesses is not null then
    update public.integrations_jobber i set last_webhook_at = now()
    where i.id in (
      select c.id from public.integrations_jobber c
      where c.business_id = any (v_businesses)
        and (c.last_webhook_at is null or c.last_webhook_at < now() - interval '1 second')
      for update skip locked
    );
  end if;

  if v_new_pending then
    -- The wake counts as in flight for 10 s at most: a wake lost on the way (or a worker killed
    -- before it settled) delays the next one by that much, and pg_cron's minute sweep is the
    -- backstop.
    perform private.wake_worker('process_webhooks', '{}'::jsonb, 10000);
  end if;

  return query select u.ord, u.duplicate, u.state from unnest(v_ords, v_duplicates, v_states) as u(ord, duplicate, state);
end
$$;

call private.restrict_to_service_role('jobber\_receive\_webhooks');
revoke all on function private.jobber_webhook_topics() from public, anon, authenticated;
grant execute on function private.jobber_webhook_topics() to service_role;
