-- One Resend event, as email-webhook hands it over after checking its Svix signature and
-- timestamp (SPEC §11): recorded by its `svix-id` so a retried or replayed delivery changes nothing,
-- then applied as a report about the email (private.review_message_report). p_status is null for
-- events that say nothing about delivery (opened, clicked): those are only recorded.
-- Returns 'duplicate', 'ignored', or what private.review_message_report returned.
create function private.review_email_event(
  p_svix_id text,
  p_email_id text,
  p_status text,
  p_at timestamptz default null,
  p_error_code text default null,
  p_error_message text default null,
  p_contact_effect text default null,
  p_effect_source text default null
) returns text
language plpgsql volatile security definer set search_path = ''
as $$
begin
  if not private.review_webhook_first_receipt('resend', p_svix_id) then
    return 'duplicate';
  end if;
  if p_status is null then
    return 'ignored';
  end if;
  return private.review_message_report('resend', p_email_id, p_status, p_at, p_error_code, p_error_message,
                                       p_contact_effect, p_effect_source);
end
$$;

call private.restrict_to_service_role('review\_email\_event');
