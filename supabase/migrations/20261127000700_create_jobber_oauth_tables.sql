-- OAuth bookkeeping, private to the backend. A state is a 256-bit nonce of which only the SHA-256
-- is stored, bound to the user and business that asked, single-use and short-lived; a pending
-- install holds a Marketplace install (no state) until an owner claims it with a one-time token.
create table private.jobber_oauth_states (
  id uuid primary key default gen_random_uuid(),
  nonce_hash text not null unique check (nonce_hash ~ '^[0-9a-f]{64}$'),
  user_id uuid not null references auth.users (id) on delete cascade,
  business_id uuid not null references public.businesses (id) on delete cascade,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);
create index jobber_oauth_states_expires_idx on private.jobber_oauth_states (expires_at);

create table private.jobber_pending_installs (
  id uuid primary key default gen_random_uuid(),
  claim_hash text not null unique check (claim_hash ~ '^[0-9a-f]{64}$'),
  account_id text not null,
  account_name text not null,
  access_token_secret_id uuid not null,
  refresh_token_secret_id uuid not null,
  token_expires_at timestamptz not null,
  expires_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index jobber_pending_installs_expires_idx on private.jobber_pending_installs (expires_at);

alter table private.jobber_oauth_states enable row level security;
alter table private.jobber_pending_installs enable row level security;
-- No policies and no grants: only the security definer functions below touch these tables.
revoke all on private.jobber_oauth_states, private.jobber_pending_installs from public, anon, authenticated;
