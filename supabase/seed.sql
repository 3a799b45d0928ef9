-- Demo data for the local stack: three users (password "password123") and two businesses.
-- owner@ and member@ work at Brightside Cleaning; other@ owns Evergreen Lawn Care.
insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
values
  ('00000000-0000-0000-0000-000000000000', 'a1111111-1111-4111-8111-111111111111', 'authenticated',
   'authenticated', 'owner@demo.test', extensions.crypt('password123', extensions.gen_salt('bf')), now(),
   '{"provider":"email","providers":["email"]}', '{"full_name":"Olivia Owner"}', now(), now()),
  ('00000000-0000-0000-0000-000000000000', 'a2222222-2222-4222-8222-222222222222', 'authenticated',
   'authenticated', 'member@demo.test', extensions.crypt('password123', extensions.gen_salt('bf')), now(),
   '{"provider":"email","providers":["email"]}', '{"full_name":"Max Member"}', now(), now()),
  ('00000000-0000-0000-0000-000000000000', 'a3333333-3333-4333-8333-333333333333', 'authenticated',
   'authenticated', 'other@demo.test', extensions.crypt('password123', extensions.gen_salt('bf')), now(),
   '{"provider":"email","providers":["email"]}', '{"full_name":"Otto Other"}', now(), now())
on conflict (id) do nothing;

insert into public.businesses (id, name, country, timezone)
values
  ('b1111111-1111-4111-8111-111111111111', 'Brightside Cleaning', 'US', 'America/New_York'),
  ('b2222222-2222-4222-8222-222222222222', 'Evergreen Lawn Care', 'CA', 'America/Toronto')
on conflict (id) do nothing;

insert into public.business_members (business_id, user_id, role)
values
  ('b1111111-1111-4111-8111-111111111111', 'a1111111-1111-4111-8111-111111111111', 'owner'),
  ('b1111111-1111-4111-8111-111111111111', 'a2222222-2222-4222-8222-222222222222', 'member'),
  ('b2222222-2222-4222-8222-222222222222', 'a3333333-3333-4333-8333-333333333333', 'owner')
on conflict do nothing;

insert into public.customers (business_id, source, full_name, email, phone)
values
  ('b1111111-1111-4111-8111-111111111111', 'manual', 'Dana Whitfield', 'dana.whitfield@example.com', '+12125550143'),
  ('b1111111-1111-4111-8111-111111111111', 'manual', 'Luis Romero', null, '+13055550199'),
  ('b2222222-2222-4222-8222-222222222222', 'manual', 'Priya Natarajan', 'priya@example.ca', '+14165550123');

-- Brightside asks for reviews out of the box, as soon as a job is done and at any hour, so a
-- newcomer who completes a job in the Jobber sandbox sees the decision and the text within seconds
-- whatever the time is where the sandbox's jobs are (a real business keeps a delay and the 08:00 -
-- 21:00 window; the card's Settings tab changes both). example.com is reserved for examples: the
-- review link lands on a harmless page.
update public.review_settings
set enabled = true,
    delay_minutes = 0,
    send_window_start = '00:00',
    send_window_end = '23:59',
    review_url = 'https://example.com/reviews/brightside-cleaning',
    sender_name = 'Brightside Cleaning'
where business_id = 'b1111111-1111-4111-8111-111111111111';
