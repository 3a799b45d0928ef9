-- A provider's verdict on a contact stands until the contact changes. The customer sync writes
-- email_usable / phone_usable from Jobber's data, which can only say whether a number or address
-- is well formed; whether it can receive texts or mail only Twilio and Resend can say (a landline,
-- a bounce). Without this, editing a client in Jobber would mark its landline usable again and the
-- next review request would be texted to it. A signed-in owner or admin editing a customer may
-- still set the flag back (they may know better), and a new number or address starts afresh.
create function private.keep_contact_verdicts() returns trigger
language plpgsql set search_path = ''
as $$
begin
  if (select auth.role()) is distinct from 'authenticated' then
    if not old.phone_usable and new.phone_usable and new.phone is not distinct from old.phone then
      new.phone_usable := false;
    end if;
    if not old.email_usable and new.email_usable and lower(new.email) is not distinct from lower(old.email) then
      new.email_usable := false;
    end if;
  end if;
  return new;
end
$$;
revoke all on function private.keep_contact_verdicts() from public, anon, authenticated;

create trigger keep_contact_verdicts before update of phone_usable, email_usable on public.customers
  for each row execute function private.keep_contact_verdicts();
