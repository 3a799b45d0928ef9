-- The send_review_messages worker task (SPEC §10 "Sending"): swept every minute by pg_cron, and
-- woken at once when a message falls due within a minute - a completion decided with no delay,
-- an approval, a settings change that brings a message forward - through the coalescing wake, so
-- a burst of decisions posts one wake, not one per message. The woken worker sends what is due
-- and waits for what falls due within the minute.
select private.register_worker_task('send_review_messages', '* * * * *');

-- New messages (the decision trigger, "Ask recent customers"): one look at the statement's rows,
-- stopping at the first that is due soon. Held ones are not due until approved; a backfill decides
-- `historical` and inserts none.
create function private.review_wake_sender_for_new() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if exists (
    select 1 from new_messages n where n.status = 'scheduled' and n.scheduled_for <= now() + interval '1 minute'
  ) then
    perform private.wake_worker('send_review_messages', '{}'::jsonb, 60000);
  end if;
  return null;
end
$$;

-- Messages that became due soon by an update (approved, re-timed by new settings). A message the
-- sender put back itself (a 429: `sending` -> `scheduled`) is not a reason: the sender waits for
-- what it put back.
create function private.review_wake_sender_for_changed() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if exists (
    select 1 from new_messages n
    join old_messages o on o.id = n.id
    where n.status = 'scheduled' and n.scheduled_for <= now() + interval '1 minute'
      and o.status <> 'sending'
      and (o.status <> 'scheduled' or o.scheduled_for > now() + interval '1 minute')
  ) then
    perform private.wake_worker('send_review_messages', '{}'::jsonb, 60000);
  end if;
  return null;
end
$$;
revoke all on function private.review_wake_sender_for_new(), private.review_wake_sender_for_changed()
  from public, anon, authenticated;

create trigger wake_sender after insert on public.review_messages
  referencing new table as new_messages
  for each statement execute function private.review_wake_sender_for_new();

create trigger wake_sender_on_change after update on public.review_messages
  referencing old table as old_messages new table as new_messages
  for each statement execute function private.review_wake_sender_for_changed();
