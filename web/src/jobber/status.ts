import { z } from 'zod';

// PostgREST returns int/bigint as JSON numbers, numeric as strings; accept both and keep numbers.
const count = z
  .union([z.number(), z.string()])
  .nullish()
  .transform((value, ctx) => {
    if (value === null || value === undefined) return 0;
    const n = Number(value);
    if (!Number.isFinite(n)) {
      ctx.addIssue({ code: 'custom', message: `expected a number, got "${value}"` });
      return z.NEVER;
    }
    return n;
  });
const optionalCount = z
  .union([z.number(), z.string()])
  .nullish()
  .transform((value) => (value === null || value === undefined || value === '' ? null : Number(value)));
const text = z.string().nullish().transform((value) => value ?? null);

export const connectionStatusSchema = z.enum(['pending', 'connected', 'disconnected', 'error']);
export const syncStateSchema = z.enum(['never', 'queued', 'running', 'succeeded', 'failed', 'cancelled']);
export const syncKindSchema = z.enum(['full', 'incremental']);

export type ConnectionStatus = z.infer<typeof connectionStatusSchema>;
export type SyncState = z.infer<typeof syncStateSchema>;
export type SyncKind = z.infer<typeof syncKindSchema>;

/** The status JSON of SPEC §5, as answered by `jobber-status` (the one shape the card works with). */
export const jobberStatusSchema = z.object({
  connected: z.boolean(),
  connectionStatus: connectionStatusSchema,
  account_name: text,
  last_sync: text,
  token_expires_at: text,
  connection: z
    .object({ account_name: text, last_sync: text, connected_at: text })
    .nullish()
    .transform((value) => value ?? { account_name: null, last_sync: null, connected_at: null }),
  needs_reconnect: z.boolean().nullish().transform((value) => value ?? false),
  error_message: text,
  customers: z.object({ total: count, from_jobber: count }),
  sync: z.object({
    run_id: text,
    kind: syncKindSchema.nullish().transform((value) => value ?? null),
    state: syncStateSchema.nullish().transform((value) => value ?? 'never'),
    processed: count,
    total: optionalCount,
    synced: count,
    errors: count,
    started_at: text,
    finished_at: text,
    error: text,
  }),
  webhooks: z.object({ last_event_at: text, pending: count, failed: count }),
});

export type JobberStatus = z.output<typeof jobberStatusSchema>;

/** One row of the `jobber_status` view (readable under RLS, no token material). */
export const jobberStatusRowSchema = z.object({
  business_id: z.string(),
  business_name: text,
  connected: z.boolean(),
  connection_status: connectionStatusSchema,
  account_name: text,
  needs_reconnect: z.boolean().nullish().transform((value) => value ?? false),
  error_message: text,
  token_expires_at: text,
  connected_at: text,
  last_sync: text,
  last_webhook_at: text,
  customers_total: count,
  customers_from_jobber: count,
  sync_run_id: text,
  sync_kind: syncKindSchema.nullish().transform((value) => value ?? null),
  sync_state: syncStateSchema.nullish().transform((value) => value ?? 'never'),
  sync_processed: count,
  sync_total: optionalCount,
  sync_synced: count,
  sync_errors: count,
  sync_started_at: text,
  sync_finished_at: text,
  sync_error: text,
  webhooks_pending: count,
  webhooks_failed: count,
});

export type JobberStatusRow = z.output<typeof jobberStatusRowSchema>;

/** Maps a `jobber_status` view row to the same shape `jobber-status` answers. */
export function statusFromRow(row: JobberStatusRow): JobberStatus {
  return {
    connected: row.connected,
    connectionStatus: row.connection_status,
    account_name: row.account_name,
    last_sync: row.last_sync,
    token_expires_at: row.token_expires_at,
    connection: { account_name: row.account_name, last_sync: row.last_sync, connected_at: row.connected_at },
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
      started_at: row.sync_started_at,
      finished_at: row.sync_finished_at,
      error: row.sync_error,
    },
    webhooks: { last_event_at: row.last_webhook_at, pending: row.webhooks_pending, failed: row.webhooks_failed },
  };
}

export function parseStatusRow(data: unknown): JobberStatus {
  const parsed = jobberStatusRowSchema.safeParse(data);
  if (!parsed.success) throw new Error(`The Jobber status row has an unexpected shape: ${z.prettifyError(parsed.error)}`);
  return statusFromRow(parsed.data);
}

export function parseStatusJson(data: unknown): JobberStatus {
  const parsed = jobberStatusSchema.safeParse(data);
  if (!parsed.success) throw new Error(`jobber-status answered an unexpected shape: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function isSyncActive(status: JobberStatus): boolean {
  return status.sync.state === 'queued' || status.sync.state === 'running';
}
