-- review_settings: every business has a row from the moment it exists; members read it, owners
-- and admins change its settings columns under RLS, and the check constraints refuse settings that
-- could never work.
begin;
select plan(33);

select tests.create_tenancy_fixture();

select is((select count(*)::int from public.review_settings where business_id in (tests.id('business_a'), tests.id('business_b'))), 2,
  'a new business gets its review settings row from the trigger');
select results_eq(
  $$select enabled, trigger, delay_minutes, channels, follow_ups, follow_up_days, reask_days, send_window_start,
           send_window_end, min_job_total, require_approval, review_url
      from public.review_settings where business_id = tests.id('business_a')$$,
  $$values (false, 'job_closed'::text, 120, array['sms', 'email'], 1, 3, 180, '08:00'::time, '21:00'::time,
            null::numeric, false, null::text)$$,
  'the defaults are SPEC §10''s: off, job_closed, 2 hours, sms then email, one follow-up after 3 days, 180 days, 08:00-21:00');
select is((select count(*)::int from public.businesses b where not exists (
    select 1 from public.review_settings s where s.business_id = b.id)), 0,
  'every business, seeded or existing, has review settings');
select is((select enabled and delay_minutes = 0 and send_window_start = '00:00' and send_window_end = '23:59'
                    and review_url like 'https://%'
             from public.review_settings where business_id = 'b1111111-1111-4111-8111-111111111111'), true,
  'the demo business Brightside Cleaning asks for reviews as soon as a job is done, at any hour');

-- Reading
select tests.sign_in('member_a');
select results_eq('select business_id from public.review_settings', $$values (tests.id('business_a'))$$,
  'a member of business A reads exactly business A''s settings');

-- Updating
with u as (update public.review_settings set delay_minutes = 5 returning 1)
select is((select count(*)::int from u), 0, 'a member cannot change the settings (no row is visible for update)');
select tests.sign_in('admin_a');
with u as (
  update public.review_settings set enabled = true, review_url = 'https://g.page/r/brightside/review', delay_minutes = 30
  where business_id = tests.id('business_a') returning 1)
select is((select count(*)::int from u), 1, 'an admin turns review requests on with a review page');
select tests.sign_in('owner_b');
with u as (update public.review_settings set enabled = false where business_id = tests.id('business_a') returning 1)
select is((select count(*)::int from u), 0, 'the owner of business B cannot change business A''s settings');
select tests.sign_in('owner_a');
select throws_ok(
  $$update public.review_settings set business_id = tests.id('business_b') where business_id = tests.id('business_a')$$,
  '42501', 'permission denied for table review_settings', 'the owner cannot move the settings to another business');
select throws_ok(
  $$insert into public.review_settings (business_id) values (tests.id('business_a'))$$,
  '42501', 'permission denied for table review_settings', 'the owner cannot insert settings rows');
select throws_ok(
  $$delete from public.review_settings where business_id = tests.id('business_a')$$,
  '42501', 'permission denied for table review_settings', 'the owner cannot delete the settings');
reset role;
set local role anon;
select throws_ok('select enabled from public.review_settings', '42501', 'permission denied for table review_settings',
  'anon cannot read settings');
reset role;
select is((select delay_minutes from public.review_settings where business_id = tests.id('business_a')), 30,
  'only the admin''s change landed');

-- Constraints, tried by the owner through RLS
select tests.sign_in('owner_a');
select throws_ok($$update public.review_settings set delay_minutes = -1 where business_id = tests.id('business_a')$$,
  '23514', null, 'a negative delay is refused');
select throws_ok($$update public.review_settings set delay_minutes = 10081 where business_id = tests.id('business_a')$$,
  '23514', null, 'a delay over a week is refused');
select throws_ok($$update public.review_settings set send_window_start = '21:00', send_window_end = '08:00' where business_id = tests.id('business_a')$$,
  '23514', 'new row for relation "review_settings" violates check constraint "review_settings_send_window_order"',
  'a send window whose start is after its end is refused');
select throws_ok($$update public.review_settings set send_window_start = '09:00', send_window_end = '09:00' where business_id = tests.id('business_a')$$,
  '23514', 'new row for relation "review_settings" violates check constraint "review_settings_send_window_order"',
  'a send window that never opens (start = end) is refused');
select throws_ok($$update public.review_settings set sms_template = 'Please review us!' where business_id = tests.id('business_a')$$,
  '23514', 'new row for relation "review_settings" violates check constraint "review_settings_sms_template_has_link"',
  'an SMS template without {link} is refused');
select throws_ok($$update public.review_settings set email_template = 'Thanks, {first_name}!' where business_id = tests.id('business_a')$$,
  '23514', 'new row for relation "review_settings" violates check constraint "review_settings_email_template_has_link"',
  'an email template without {link} is refused');
select throws_ok($$update public.review_settings set sms_template = 'Hi {firstname}, review us: {link}' where business_id = tests.id('business_a')$$,
  '23514', 'new row for relation "review_settings" violates check constraint "review_settings_templates_known_placeholders"',
  'a misspelt placeholder is refused rather than sent verbatim');
select throws_ok($$update public.review_settings set review_url = 'http://example.com/review' where business_id = tests.id('business_a')$$,
  '23514', 'new row for relation "review_settings" violates check constraint "review_settings_review_url_check"',
  'a plain http review page is refused');
select throws_ok($$update public.review_settings set review_url = 'https://user@evil.example/review' where business_id = tests.id('business_a')$$,
  '23514', 'new row for relation "review_settings" violates check constraint "review_settings_review_url_check"',
  'a review URL with credentials in it is refused');
select throws_ok($$update public.review_settings set review_url = null where business_id = tests.id('business_a')$$,
  '23514', 'new row for relation "review_settings" violates check constraint "review_settings_enabled_needs_review_url"',
  'review requests cannot be on without a review page');
select throws_ok($$update public.review_settings set channels = '{sms,whatsapp}' where business_id = tests.id('business_a')$$,
  '23514', 'new row for relation "review_settings" violates check constraint "review_settings_channels_known"',
  'an unknown channel is refused');
select throws_ok($$update public.review_settings set channels = '{sms,sms}' where business_id = tests.id('business_a')$$,
  '23514', 'new row for relation "review_settings" violates check constraint "review_settings_channels_known"',
  'a channel listed twice is refused');
select throws_ok($$update public.review_settings set channels = '{}' where business_id = tests.id('business_a')$$,
  '23514', 'new row for relation "review_settings" violates check constraint "review_settings_channels_known"',
  'no channel at all is refused');
select throws_ok($$update public.review_settings set follow_ups = 4 where business_id = tests.id('business_a')$$,
  '23514', 'new row for relation "review_settings" violates check constraint "review_settings_follow_ups_check"',
  'more than 3 follow-ups are refused');
select throws_ok($$update public.review_settings set follow_up_days = 0 where business_id = tests.id('business_a')$$,
  '23514', 'new row for relation "review_settings" violates check constraint "review_settings_follow_up_days_check"',
  'follow-ups on the same day are refused');
select throws_ok($$update public.review_settings set reask_days = 731 where business_id = tests.id('business_a')$$,
  '23514', 'new row for relation "review_settings" violates check constraint "review_settings_reask_days_check"',
  're-asking windows over two years are refused');
select throws_ok($$update public.review_settings set min_job_total = -5 where business_id = tests.id('business_a')$$,
  '23514', 'new row for relation "review_settings" violates check constraint "review_settings_min_job_total_check"',
  'a negative minimum job total is refused');
select throws_ok($$update public.review_settings set backfill_per_hour = 0 where business_id = tests.id('business_a')$$,
  '23514', 'new row for relation "review_settings" violates check constraint "review_settings_backfill_per_hour_check"',
  'a pace of zero per hour is refused');
select lives_ok(
  $$update public.review_settings set channels = '{email,sms}', follow_ups = 3, follow_up_days = 30, reask_days = 0,
      send_window_start = '09:30', send_window_end = '17:45', min_job_total = 0, backfill_per_hour = 500,
      sms_template = '{business_name}: {first_name}, how did {technician} do? {link}',
      email_subject = 'Thanks from {business_name}'
    where business_id = tests.id('business_a')$$,
  'the extremes of every range are accepted');
select is((select channels from public.review_settings where business_id = tests.id('business_a')), array['email', 'sms'],
  'the channel order is kept as the preference order');

select * from finish();
rollback;
