// The status JSON of SPEC §5, built from one row of the `jobber_status` view (read as the user,
// under RLS). The dashboard's original flat fields come first, then what the card needs.

export interface StatusRow {
  business_id: string;
  connected: boolean;
  connection_status: "pending" | "connected" | "disconnected" | "error";
  account_name: string | null;
  needs_reconnect: boolean;
  error_message: string | null;
  token_expires_at: Date | null;
  connected_at: Date | null;
  last_sync: Date | null;
  last_webhook_at: Date | null;
  customers_total: number;
  customers_from_jobber: number;
  sync_run_id: string | null;
  sync_kind: "full" | "incremental" | null;
  sync_state: "never" | "queued" | "running" | "succeeded" | "failed" | "cancelled";
  sync_processed: number;
  sync_total: number | null;
  sync_synced: number;
  sync_errors: number;
  sync_started_at: Date | null;
  sync_finished_at: Date | null;
  sync_error: string | null;
  webhooks_pending: number;
  webhooks_failed: number;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function statusJson(row: StatusRow) {
  return {
    connected: row.connected,
    connectionStatus: row.connection_status,
    account_name: row.account_name,
    last_sync: iso(row.last_sync),
    token_expires_at: iso(row.token_expires_at),
    connection: {
      account_name: row.account_name,
      last_sync: iso(row.last_sync),
      connected_at: iso(row.connected_at),
    },
    needs_reconnect: row.needs_reconnect,
    error_message: row.error_message,
    customers: { total: row.customers_total, from_jobber: row.customers_from_jobber },
    sync: {
      run_id: row.sync_run_id,
      kind: row.sync_kind,
      state: row.sync_state,
      processed: row.sync_processed,
      total: row.sync_total,
      synced: row.sync_synced,
      errors: row.sync_errors,
      started_at: iso(row.sync_started_at),
      finished_at: iso(row.sync_finished_at),
      error: row.sync_error,
    },
    webhooks: { last_event_at: iso(row.last_webhook_at), pending: row.webhooks_pending, failed: row.webhooks_failed },
  };
}
