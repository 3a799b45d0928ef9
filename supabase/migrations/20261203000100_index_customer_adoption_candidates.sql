-- Adoption candidates (private.jobber_apply_client_page) are the business's customers that did
-- not come from Jobber, looked up by email and by phone. Index exactly those rows.
--
-- With only the all-customer indexes, once the statistics say (nearly) every customer came from
-- Jobber the planner takes "source <> 'jobber'" to match no row, scans the business's index range
-- without the email or phone in the condition, and filters every customer the business has once
-- per client of the page: a sync grew quadratic (50,000 clients in one transaction: 367 rows/s
-- after a busy day, 30,000 rows/s before). These indexes hold only non-Jobber customers, so even
-- that plan reads no more than the business's own manual customers, and the email or phone probe
-- is the cheapest path the planner sees.
create index customers_adoption_email_idx on public.customers (business_id, lower(email))
  where email is not null and source <> 'jobber';
create index customers_adoption_phone_idx on public.customers (business_id, phone)
  where phone is not null and source <> 'jobber';
