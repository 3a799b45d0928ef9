-- Provider reports about sent messages (Twilio status callbacks, Resend events), applied through
-- private.review_message_advance, so duplicates and late arrivals change nothing (SPEC §10, §11).
--
-- A report can beat the sender's own write of the provider's message id: Twilio posts "sent" a
-- moment after answering the create, Resend posts email.sent at once, and a slow or crashed worker
-- records the id later still. Dropping such a report would leave the message "queued" for ever, so
-- a report for an id nobody has recorded yet is parked here and applied the moment the id is
-- recorded. An id never recorded (another application on the same provider account) is forgotten
-- after two days.
create table private.review_message_early_reports (
  provider text not null check (provider in ('twilio', 'resend')),
  provider_message_id text not null check (char_length(provider_message_id) between 1 and 200),
  status text not null check (status in ('queued', 'sent', 'delivered', 'failed', 'undelivered')),
  reported_at timestamptz not null,
  error_code text check (char_length(error_code) <= 100),
  error_message text check (char_length(error_message) <= 1000),
  contact_effect text check (contact_effect in ('phone_unusable', 'email_unusable', 'opted_out')),
  effect_source text check (effect_source in ('sms_stop', 'email_unsubscribe', 'email_complaint')),
  received_at timestamptz not null default now(),
  primary key (provider, provider_message_id, status)
);
create index review_message_early_reports_received_idx on private.review_message_early_reports (received_at);

alter table private.review_message_early_reports enable row level security;
-- No policies and no grants: only the security definer functions below touch it.
revoke all on private.review_message_early_reports from public, anon, authenticated;

-- Reports about one provider message are serialised with the recording of that message's id, so
-- a report parked while the id is being recorded is seen by the recorder (which holds this lock
-- until it commits) or finds the id itself once the recorder has committed.
create function private.review_lock_provider_message(p_provider text, p_provider_message_id text) returns void
language sql volatile set search_path = ''
as $$
  select pg_advisory_xact_lock(hashtextextended('review_message_report:' || p_provider || ':' || p_provider_message_id, 0))
$$;

-- One report: the message's new status (queued, sent, delivered, failed, undelivered) at p_at,
-- the provider's error, and what it means for the contact (see private.review_contact_effect).
-- Returns 'moved' when the status moved forward, 'unchanged' for a duplicate or a late report
-- (the contact effect still applies: it is idempotent), 'parked' for an id not recorded yet.
create function private.review_message_report(
  p_provider text,
  p_provider_message_id text,
  p_status text,
  p_at timestamptz default null,
  p_error_code text default null,
  p_error_message text default null,
  p_contact_effect text default null,
  p_effect_source text default null
) returns text
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_message_id uuid;
  v_moved boolean;
begin
  if p_status is null or p_status not in ('queued', 'sent', 'delivered', 'failed', 'undelivered') then
    raise exception using errcode = '22023', message = format('A provider cannot report status %L.', p_status);
  end if;
  perform private.review_lock_provider_message(p_provider, p_provider_message_id);
  select m.id into v_message_id from public.review_messages m
  where m.provider = p_provider and m.provider_message_id = p_provider_message_id;

  if v_message_id is null then
    -- Parked reports whose id was never recorded are forgotten a few at a time (see above).
    delete from private.review_message_early_reports e
    where (e.provider, e.provider_message_id, e.status) in (
      select x.provider, x.provider_message_id, x.status from private.review_message_early_reports x
      where x.received_at < now() - interval '2 days'
      limit 20
      for update skip locked
    );
    insert into private.review_message_early_reports (provider, provider_message_id, status, reported_at, error_code,
                                                       error_message, contact_effect, effect_source)
    values (p_provider, p_provider_message_id, p_status, coalesce(p_at, now()), p_error_code, left(p_error_message, 1000),
            p_contact_effect, p_effect_source)
    on conflict (provider, provider_message_id, status) do nothing;
    return 'parked';
  end if;

  v_moved := private.review_message_advance(v_message_id, p_status, coalesce(p_at, now()), p_error_code,
                                            left(p_error_message, 1000));
  if p_contact_effect is not null then
    perform private.review_contact_effect(v_message_id, p_contact_effect, p_effect_source);
  end if;
  return case when v_moved then 'moved' else 'unchanged' end;
end
$$;

-- When the sender records a provider's id, the reports that arrived first are applied in the
-- order they happened (status order, then time: sent_at is the time of the first report that
-- moved the message past sending), then forgotten.
create function private.review_apply_early_reports() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  v_report record;
begin
  perform private.review_lock_provider_message(new.provider, new.provider_message_id);
  for v_report in
    select e.status, e.reported_at, e.error_code, e.error_message, e.contact_effect, e.effect_source
    from private.review_message_early_reports e
    where e.provider = new.provider and e.provider_message_id = new.provider_message_id
    order by private.review_message_status_rank(e.status), e.reported_at
  loop
    perform private.review_message_advance(new.id, v_report.status, v_report.reported_at, v_report.error_code,
                                           v_report.error_message);
    if v_report.contact_effect is not null then
      perform private.review_contact_effect(new.id, v_report.contact_effect, v_report.effect_source);
    end if;
  end loop;
  delete from private.review_message_early_reports e
  where e.provider = new.provider and e.provider_message_id = new.provider_message_id;
  return null;
end
$$;

create trigger apply_early_reports after update of provider_message_id on public.review_messages
  for each row when (old.provider_message_id is null and new.provider_message_id is not null)
  execute function private.review_apply_early_reports();

call private.restrict_to_service_role('review\_message\_report');
call private.restrict_to_service_role('review\_lock\_provider\_message');
revoke all on function private.review_apply_early_reports() from public, anon, authenticated;
