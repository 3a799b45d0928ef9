import { z } from 'zod';

// The status JSON of SPEC §5. The database builds it, in one place (the `status` column of the
// `jobber_status` view); `jobber-status` answers that column as it is, and the card reads it either
// way - through the view under RLS, or through the function - with this one schema. A field the
// database adds reaches the card by adding it here; nothing maps one shape into another.

const text = z.string().nullish().transform((value) => value ?? null);
const count = z.number().int().nonnegative();

export const connectionStatusSchema = z.enum(['pending', 'connected', 'disconnected', 'error']);
export const syncStateSchema = z.enum(['never', 'queued', 'running', 'succeeded', 'failed', 'cancelled']);
export const syncKindSchema = z.enum(['full', 'incremental']);

export type ConnectionStatus = z.infer<typeof connectionStatusSchema>;
export type SyncState = z.infer<typeof syncStateSchema>;
export type SyncKind = z.infer<typeof syncKindSchema>;

export const jobberStatusSchema = z.object({
  connected: z.boolean(),
  connectionStatus: connectionStatusSchema,
  account_name: text,
  last_sync: text,
  token_expires_at: text,
  connection: z.object({ account_name: text, last_sync: text, connected_at: text }),
  needs_reconnect: z.boolean(),
  error_message: text,
  customers: z.object({ total: count, from_jobber: count }),
  sync: z.object({
    run_id: text,
    kind: syncKindSchema.nullable(),
    state: syncStateSchema,
    processed: count,
    total: count.nullable(),
    synced: count,
    errors: count,
    started_at: text,
    finished_at: text,
    error: text,
    // What the run changed, and the time an incremental run looked from: the card says "3 updated"
    // or "Up to date — no changes since …" instead of counting customers it merely looked at.
    created: count,
    updated: count,
    removed: count,
    since: text,
  }),
  webhooks: z.object({ last_event_at: text, pending: count, failed: count }),
  jobs: z.object({ completed_30d: count, last_completed_at: text }),
});

export type JobberStatus = z.output<typeof jobberStatusSchema>;

/** Validates a status JSON, from the view's `status` column or from jobber-status alike. */
export function parseStatus(data: unknown): JobberStatus {
  const parsed = jobberStatusSchema.safeParse(data);
  if (!parsed.success) throw new Error(`The Jobber status has an unexpected shape: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Jobber disconnected the app itself (APP_DISCONNECT, or Jobber refusing the connection as gone). */
export function isDisconnectedInJobber(status: JobberStatus): boolean {
  return status.connectionStatus === 'disconnected' && status.needs_reconnect;
}

export function isSyncActive(status: JobberStatus): boolean {
  return status.sync.state === 'queued' || status.sync.state === 'running';
}
