-- Review journeys (SPEC §10): one decision per completion, saying whether it was asked and why
-- not; for an asked (or held) one, a request with its link and unsubscribe tokens and one message
-- per step. Members read everything except the tokens; only SQL functions and the service role
-- write. The decision engine that fills these is the next migration.
create table public.review_decisions (
  id uuid primary key default gen_random_uuid(),
  completion_id uuid not null unique references public.job_completions (id) on delete cascade,
  business_id uuid not null references public.businesses (id) on delete cascade,
  job_id uuid not null references public.jobs (id) on delete cascade,
  customer_id uuid references public.customers (id) on delete set null,
  outcome text not null check (outcome in ('requested', 'held', 'skipped')),
  -- SPEC §10's reasons, in the order they are checked; requested / held repeat the outcome.
  reason text not null check (reason in (
    'automation_off', 'not_connected', 'historical', 'trigger_mismatch', 'stale', 'already_requested',
    'below_min_total', 'no_customer', 'no_contact', 'opted_out', 'recently_asked',
    'household_recently_asked', 'requested', 'held'
  )),
  -- The facts behind the reason, for the card ("Jane was asked 12 days ago").
  detail jsonb not null default '{}'::jsonb check (jsonb_typeof(detail) = 'object'),
  decided_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint review_decisions_reason_matches_outcome check ((outcome = 'skipped') = (reason not in ('requested', 'held'))
    and (outcome = 'skipped' or reason = outcome))
);
create index review_decisions_business_decided_idx on public.review_decisions (business_id, decided_at desc);
-- "Ask recent customers" works through a business's historical decisions.
create index review_decisions_historical_idx on public.review_decisions (business_id) where reason = 'historical';

create table public.review_requests (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null references public.businesses (id) on delete cascade,
  completion_id uuid not null unique references public.job_completions (id) on delete cascade,
  job_id uuid not null references public.jobs (id) on delete cascade,
  customer_id uuid not null references public.customers (id) on delete cascade,
  state text not null check (state in ('held', 'scheduled', 'in_progress', 'done', 'clicked', 'cancelled')),
  -- automatic: decided when the completion arrived; ask_recent: an owner asked a historical one.
  origin text not null default 'automatic' check (origin in ('automatic', 'ask_recent')),
  -- The recipient's zone the messages were timed in (the property's, else the business's, else
  -- UTC): the send window is checked in it again at send time.
  time_zone text not null check (char_length(time_zone) between 1 and 64),
  -- 128-bit random, URL-safe. They open the review page and unsubscribe this request's address,
  -- so only the service role can read them (column grants below).
  link_token text not null unique check (link_token ~ '^[A-Za-z0-9_-]{22}$'),
  unsubscribe_token text not null unique check (unsubscribe_token ~ '^[A-Za-z0-9_-]{22}$'),
  clicked_at timestamptz,
  click_count integer not null default 0 check (click_count >= 0),
  -- skipped, automation_off, channel_removed, job_reopened, job_deleted, opted_out, ...
  cancel_reason text check (cancel_reason ~ '^[a-z][a-z_]{0,49}$'),
  approved_at timestamptz,
  approved_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint review_requests_cancelled_has_reason check ((state = 'cancelled') = (cancel_reason is not null))
);
-- Rules 6, 11 and 12 look up the latest request of a job and of a customer.
create index review_requests_job_created_idx on public.review_requests (job_id, created_at desc);
create index review_requests_customer_created_idx on public.review_requests (customer_id, created_at desc);
create index review_requests_business_created_idx on public.review_requests (business_id, created_at desc);
create index review_requests_held_idx on public.review_requests (business_id) where state = 'held';

create table public.review_messages (
  id uuid primary key default gen_random_uuid(),
  request_id uuid not null references public.review_requests (id) on delete cascade,
  business_id uuid not null references public.businesses (id) on delete cascade,
  step integer not null check (step between 0 and 3),
  channel text not null check (channel in ('sms', 'email')),
  to_address text not null check (char_length(to_address) between 1 and 320),
  -- When the step falls due by the settings (delay, follow-up days, pacing), and when it may go
  -- out: due_at moved forward into the recipient-local send window.
  due_at timestamptz not null,
  scheduled_for timestamptz not null,
  -- held: awaiting approval; scheduled: due at scheduled_for; sending: handed to the provider
  -- call (never blindly re-sent); queued: the provider accepted it; then sent / delivered, or
  -- failed / undelivered / suppressed / cancelled. See private.review_message_status_rank.
  status text not null check (status in (
    'held', 'scheduled', 'sending', 'queued', 'sent', 'delivered', 'failed', 'undelivered', 'suppressed', 'cancelled'
  )),
  provider text check (provider ~ '^[a-z][a-z0-9_]{0,29}$'),
  provider_message_id text check (char_length(provider_message_id) <= 200),
  error_code text check (char_length(error_code) <= 100),
  error_message text check (char_length(error_message) <= 1000),
  cancel_reason text check (cancel_reason ~ '^[a-z][a-z_]{0,49}$'),
  attempts integer not null default 0 check (attempts >= 0),
  sent_at timestamptz,
  delivered_at timestamptz,
  status_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint review_messages_request_step_key unique (request_id, step),
  constraint review_messages_cancelled_has_reason check ((status = 'cancelled') = (cancel_reason is not null))
);
-- The sender claims due messages in scheduled_for order.
create index review_messages_due_idx on public.review_messages (scheduled_for) where status = 'scheduled';
-- Provider callbacks find their message by the provider's id.
create unique index review_messages_provider_message_idx on public.review_messages (provider, provider_message_id)
  where provider_message_id is not null;
create index review_messages_business_pending_idx on public.review_messages (business_id)
  where status in ('held', 'scheduled');

create trigger set_updated_at before update on public.review_decisions
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.review_requests
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.review_messages
  for each row execute function private.set_updated_at();

alter table public.review_decisions enable row level security;
alter table public.review_requests enable row level security;
alter table public.review_messages enable row level security;

create policy "Review decisions are visible to members of their business"
  on public.review_decisions for select to authenticated
  using ((select private.has_business_role(business_id)));

create policy "Review requests are visible to members of their business"
  on public.review_requests for select to authenticated
  using ((select private.has_business_role(business_id)));

create policy "Review messages are visible to members of their business"
  on public.review_messages for select to authenticated
  using ((select private.has_business_role(business_id)));

grant select on public.review_decisions, public.review_messages to authenticated;
-- Every column but the two tokens.
grant select (
  id, business_id, completion_id, job_id, customer_id, state, origin, time_zone, clicked_at, click_count, cancel_reason,
  approved_at, approved_by, created_at, updated_at
) on public.review_requests to authenticated;
grant select, insert, update, delete on public.review_decisions, public.review_requests, public.review_messages
  to service_role;
