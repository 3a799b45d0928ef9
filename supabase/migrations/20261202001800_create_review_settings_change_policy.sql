-- Settings changed while messages are pending (held or scheduled) apply to what has not been sent
-- yet (SPEC §10). The policy:
--   * automation turned off   -> every pending message cancelled ('automation_off'); requests that
--                                had sent nothing are cancelled with that reason, the others done;
--   * a channel removed       -> pending messages on it cancelled ('channel_removed'), request as above;
--   * fewer follow-ups        -> pending follow-ups past the new count cancelled ('follow_ups_reduced');
--   * delay, follow-up days or send window changed -> pending messages re-timed with the new values
--     exactly as the decision would time them (step 0 of a request not yet approved or paced from
--     its completion's time and the decision's, follow-ups from step 0, then the window), never
--     into the past;
--   * more follow-ups, templates, sender name, review page -> apply to new requests (templates and
--     the review page are read at send time, so pending messages use the new ones);
--   * approval turned off     -> held requests stay in the approval queue until approved or skipped.
create function private.review_apply_settings_change() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  v_touched uuid[];
begin
  if old.enabled and not new.enabled then
    v_touched := array(
      select r.id from public.review_requests r
      where r.business_id = new.business_id and r.state in ('held', 'scheduled', 'in_progress'));
    update public.review_messages m set status = 'cancelled', status_at = now(), cancel_reason = 'automation_off'
    where m.request_id = any (v_touched) and m.status in ('held', 'scheduled');
    perform private.review_refresh_request_states(v_touched, 'automation_off');
    return null;
  end if;

  if not (old.channels <@ new.channels) then
    v_touched := array(
      select distinct m.request_id from public.review_messages m
      where m.business_id = new.business_id and m.status in ('held', 'scheduled') and m.channel <> all (new.channels));
    update public.review_messages m set status = 'cancelled', status_at = now(), cancel_reason = 'channel_removed'
    where m.request_id = any (v_touched) and m.status in ('held', 'scheduled') and m.channel <> all (new.channels);
    perform private.review_refresh_request_states(v_touched, 'channel_removed');
  end if;

  if new.follow_ups < old.follow_ups then
    v_touched := array(
      select distinct m.request_id from public.review_messages m
      where m.business_id = new.business_id and m.status in ('held', 'scheduled') and m.step > new.follow_ups);
    update public.review_messages m set status = 'cancelled', status_at = now(), cancel_reason = 'follow_ups_reduced'
    where m.request_id = any (v_touched) and m.status in ('held', 'scheduled') and m.step > new.follow_ups;
    perform private.review_refresh_request_states(v_touched, 'follow_ups_reduced');
  end if;

  if (old.delay_minutes, old.follow_up_days, old.send_window_start, old.send_window_end)
     is distinct from (new.delay_minutes, new.follow_up_days, new.send_window_start, new.send_window_end) then
    update public.review_messages m set
      due_at = t.due_at,
      scheduled_for = private.review_in_send_window(greatest(t.due_at, now()), t.time_zone,
        new.send_window_start, new.send_window_end)
    from (
      select m2.id, r.time_zone,
        private.review_step_due(
          case
            -- Step 0 still pending on an automatic request nobody approved: due by the new delay.
            when s0.status in ('held', 'scheduled') and r.origin = 'automatic' and r.approved_at is null
              then greatest(c.completed_at + make_interval(mins => new.delay_minutes), d.decided_at)
            else s0.due_at
          end,
          m2.step, new.follow_up_days, r.time_zone) as due_at
      from public.review_messages m2
      join public.review_requests r on r.id = m2.request_id
      join public.review_messages s0 on s0.request_id = r.id and s0.step = 0
      join public.job_completions c on c.id = r.completion_id
      join public.review_decisions d on d.completion_id = r.completion_id
      where m2.business_id = new.business_id and m2.status in ('held', 'scheduled')
    ) t
    where m.id = t.id;
  end if;
  return null;
end
$$;

create trigger review_apply_settings_change after update on public.review_settings
  for each row execute function private.review_apply_settings_change();

call private.restrict_to_service_role('review\_%');
