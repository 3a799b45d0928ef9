-- Review-request settings (SPEC §10 "Settings"), one row per business: existing businesses get one
-- here, new ones from a trigger. Owners and admins edit the settings columns under RLS; the check
-- constraints reject what could never work (a window that never opens, a template without the
-- link, a review page that is not https, automation on with nowhere to send people).
create table public.review_settings (
  business_id uuid primary key references public.businesses (id) on delete cascade,
  enabled boolean not null default false,
  trigger text not null default 'job_closed' check (trigger in ('job_closed', 'visit_completed')),
  delay_minutes integer not null default 120 check (delay_minutes between 0 and 10080),
  -- Ordered preference: the first channel the customer can receive is used.
  channels text[] not null default '{sms,email}',
  follow_ups integer not null default 1 check (follow_ups between 0 and 3),
  follow_up_days integer not null default 3 check (follow_up_days between 1 and 30),
  reask_days integer not null default 180 check (reask_days between 0 and 730),
  -- Recipient-local: messages go out at or after the start and before the end.
  send_window_start time not null default '08:00',
  send_window_end time not null default '21:00',
  min_job_total numeric(14, 2) check (min_job_total >= 0),
  require_approval boolean not null default false,
  -- "Ask recent customers" schedules at most this many first messages per hour.
  backfill_per_hour integer not null default 20 check (backfill_per_hour between 1 and 500),
  review_url text check (char_length(review_url) <= 2000 and review_url ~ '^https://[^/\s?#@]+\.[^/\s?#@]+([/?#]\S*)?$'),
  sender_name text check (char_length(btrim(sender_name)) between 1 and 100),
  sms_template text not null
    default 'Hi {first_name}, thanks for choosing {business_name}! Would you take a moment to review {technician}''s work? {link}',
  email_subject text not null default 'How did {business_name} do?',
  email_template text not null
    default E'Hi {first_name},\n\nThank you for choosing {business_name}. If {technician} did a good job, would you leave us a short review? It takes a minute and helps a small business a lot.\n\n{link}\n\nThank you!\n{business_name}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint review_settings_send_window_order check (send_window_start < send_window_end),
  constraint review_settings_channels_known check (
    channels in ('{sms}', '{email}', '{sms,email}', '{email,sms}')
  ),
  constraint review_settings_enabled_needs_review_url check (not enabled or review_url is not null),
  constraint review_settings_sms_template_has_link check (
    char_length(sms_template) <= 320 and strpos(sms_template, '{link}') > 0
  ),
  constraint review_settings_email_template_has_link check (
    char_length(email_template) <= 10000 and strpos(email_template, '{link}') > 0
  ),
  constraint review_settings_email_subject_length check (char_length(btrim(email_subject)) between 1 and 200),
  -- A misspelt placeholder ({firstname}) would reach customers verbatim.
  constraint review_settings_templates_known_placeholders check (
    regexp_replace(sms_template || email_subject || email_template,
      '\{(first_name|business_name|technician|link)\}', '', 'g') !~ '\{[a-z_]+\}'
  )
);

create trigger set_updated_at before update on public.review_settings
  for each row execute function private.set_updated_at();

alter table public.review_settings enable row level security;

create policy "Review settings are visible to members of their business"
  on public.review_settings for select to authenticated
  using ((select private.has_business_role(business_id)));

create policy "Owners and admins can change their review settings"
  on public.review_settings for update to authenticated
  using ((select private.has_business_role(business_id, array['owner', 'admin'])))
  with check ((select private.has_business_role(business_id, array['owner', 'admin'])));

grant select on public.review_settings to authenticated;
grant update (
  enabled, trigger, delay_minutes, channels, follow_ups, follow_up_days, reask_days, send_window_start,
  send_window_end, min_job_total, require_approval, backfill_per_hour, review_url, sender_name, sms_template,
  email_subject, email_template
) on public.review_settings to authenticated;
grant select, insert, update, delete on public.review_settings to service_role;

-- Every business has settings from the moment it exists (off until an owner turns them on).
create function private.create_review_settings() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  insert into public.review_settings (business_id) values (new.id) on conflict (business_id) do nothing;
  return null;
end
$$;
revoke all on function private.create_review_settings() from public, anon, authenticated;

create trigger create_review_settings after insert on public.businesses
  for each row execute function private.create_review_settings();

insert into public.review_settings (business_id)
select b.id from public.businesses b
on conflict (business_id) do nothing;
