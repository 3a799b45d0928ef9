-- Provider webhook deliveries already handled (SPEC §11): Resend's events by their `svix-id`,
-- Twilio's inbound texts by their MessageSid. Both providers retry, and a retried STOP arriving
-- after the person's START must not opt them out again, so a delivery seen before changes nothing.
-- Receipts are kept three days: Svix retries for about a day and a half, Twilio's retries are
-- minutes apart, and a replayed Svix delivery older than five minutes fails its timestamp check
-- anyway. Status callbacks need no receipt: a message's status only moves forward.
create table private.provider_webhook_receipts (
  provider text not null check (provider in ('resend', 'twilio')),
  receipt_id text not null check (char_length(receipt_id) between 1 and 200),
  received_at timestamptz not null default now(),
  primary key (provider, receipt_id)
);
create index provider_webhook_receipts_received_idx on private.provider_webhook_receipts (received_at);

alter table private.provider_webhook_receipts enable row level security;
-- No policies and no grants: only the security definer functions of the webhooks touch it.
revoke all on private.provider_webhook_receipts from public, anon, authenticated;

-- Records a delivery; false when it was handled before (then the caller changes nothing). Expired
-- receipts are forgotten here, a few at a time as new ones arrive, skipping any another delivery is
-- deleting right now, so no delivery waits on another and no scheduled job is needed.
create function private.review_webhook_first_receipt(p_provider text, p_receipt_id text) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_inserted integer;
begin
  delete from private.provider_webhook_receipts r
  where (r.provider, r.receipt_id) in (
    select x.provider, x.receipt_id from private.provider_webhook_receipts x
    where x.received_at < now() - interval '3 days'
    limit 20
    for update skip locked
  );
  insert into private.provider_webhook_receipts (provider, receipt_id) values (p_provider, p_receipt_id)
  on conflict (provider, receipt_id) do nothing;
  get diagnostics v_inserted = row_count;
  return v_inserted > 0;
end
$$;

call private.restrict_to_service_role('review\_webhook\_%');
