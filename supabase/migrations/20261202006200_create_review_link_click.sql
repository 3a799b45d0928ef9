-- The tracked review link (SPEC §10 "The link"): review-link hands over the token from the URL,
-- and a known one records the click and says where to send the customer. A request's link token
-- grants nothing else.

-- Records one click on the link of the request whose link_token is p_token: the first click's
-- time is kept, every click is counted, a request that was asked becomes `clicked` (a held or
-- cancelled one keeps its state: its link never went out by us), and its follow-ups still waiting
-- are cancelled ('clicked': the customer did what we asked). Returns the business's review page
-- (null when it has none); no row for an unknown token, and then nothing is written.
create function private.review_record_click(p_token text, p_at timestamptz default null)
returns table (request_id uuid, review_url text, first_click boolean)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_request public.review_requests;
  v_first boolean;
begin
  select r.* into v_request from public.review_requests r where r.link_token = p_token for update;
  if v_request.id is null then
    return;
  end if;
  v_first := v_request.clicked_at is null;
  update public.review_requests r set
    clicked_at = coalesce(r.clicked_at, coalesce(p_at, now())),
    click_count = r.click_count + 1,
    state = case when r.state in ('scheduled', 'in_progress', 'done') then 'clicked' else r.state end
  where r.id = v_request.id;
  update public.review_messages m set status = 'cancelled', status_at = coalesce(p_at, now()), cancel_reason = 'clicked'
  where m.request_id = v_request.id and m.status in ('held', 'scheduled');

  request_id := v_request.id;
  first_click := v_first;
  select s.review_url into review_url from public.review_settings s where s.business_id = v_request.business_id;
  return next;
end
$$;

call private.restrict_to_service_role('review\_record\_click');

-- Where a token's link leads, recording nothing: for HEAD requests and link-preview bots, which
-- fetch the link without the customer having clicked it. No row for an unknown token.
create function private.review_link_target(p_token text)
returns table (request_id uuid, review_url text)
language sql stable security definer set search_path = ''
as $$
  select r.id, s.review_url
  from public.review_requests r
  left join public.review_settings s on s.business_id = r.business_id
  where r.link_token = p_token
$$;

call private.restrict_to_service_role('review\_link\_target');
