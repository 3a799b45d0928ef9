-- Values nothing writes. A column that is always its default, or an allowed value nothing ever
-- sets, reads as a feature to whoever comes next; they go until something needs them.
--   jobber_sync_runs.skipped: no path skips a client (a client either lands or is a run error);
--   jobber_sync_runs.trigger 'retry': a retried run keeps its trigger and counts attempts;
--   integrations_jobber.webhook_id / webhook_url: Jobber's webhooks are set once on the app in
--     its Developer Center (SPEC §9), not registered per connected account, so there is no id or
--     URL per business to keep.
alter table public.jobber_sync_runs drop column skipped;
alter table public.jobber_sync_runs drop constraint jobber_sync_runs_trigger_check;
alter table public.jobber_sync_runs add constraint jobber_sync_runs_trigger_check
  check (trigger in ('manual', 'connect', 'schedule'));

alter table public.integrations_jobber drop column webhook_id, drop column webhook_url;
