-- What the sender needs on review messages (SPEC §10 "Sending"): a holder, so one worker at a time
-- works on a message between claiming it and recording the provider's answer, and - for a message
-- left `sending` whose provider answer may have been lost - when to ask the provider again.
-- The holder's liveness is its worker lease's (private.worker_leases), as for sync runs.
alter table public.review_messages
  add column lease_owner text check (char_length(lease_owner) <= 200),
  add column resolve_after timestamptz;

-- Messages handed to a provider whose answer we do not have yet (crashes, lost answers): few,
-- and found again by the next sweep.
create index review_messages_sending_idx on public.review_messages (resolve_after) where status = 'sending';

-- Exactly what was handed to the provider for a message in `sending`: its body (and for email its
-- subject and HTML), recorded in the same transaction that marks it `sending`. A crash lookup
-- matches Twilio's messages by body, and Resend's idempotent re-POST must carry the same payload,
-- so resolving uses these bytes, never a fresh rendering (the templates may have changed since).
-- The content carries the request's link token, so it lives here, where only the sender reads
-- it, and is deleted once the provider's answer is recorded.
create table private.review_message_contents (
  message_id uuid primary key references public.review_messages (id) on delete cascade,
  channel text not null check (channel in ('sms', 'email')),
  to_address text not null check (char_length(to_address) between 1 and 320),
  content jsonb not null check (jsonb_typeof(content) = 'object'),
  created_at timestamptz not null default now()
);
alter table private.review_message_contents enable row level security;
-- No policies and no grants: only the sender's security definer functions touch it.
revoke all on private.review_message_contents from public, anon, authenticated;
