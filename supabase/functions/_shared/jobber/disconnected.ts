// "Jobber says disconnected" (SPEC §9, APP_DISCONNECT's row): the one routine for APP_DISCONNECT,
// for any Jobber call that answers that the app was disconnected or the account is not active,
// and for the sync and the token refresh meeting either (they meet it through the client in
// connection.ts). The SQL side (private.jobber_disconnected_in_jobber) deletes the tokens, marks
// the business disconnected with needs_reconnect and a message the card shows, cancels its syncs
// and stops its scheduled work. Nothing calls appDisconnect back.
import type { Runtime } from "../runtime.ts";
import type { Logger } from "../log.ts";
import { asService } from "../db.ts";

export interface DisconnectedEvidence {
  /** Where Jobber said so, for the log: "app_disconnect", "graphql", "refresh". */
  source: "app_disconnect" | "graphql" | "refresh";
  /** The token generation of the refused call: tokens refreshed or reconnected since are kept. */
  tokenGeneration?: string | null;
  /** APP_DISCONNECT's occurredAt: an event from before the current connection is not about it. */
  occurredAt?: Date | null;
}

/** Runs the routine; true when the business was disconnected by it (false: nothing to do). */
export async function jobberSaysDisconnected(
  rt: Runtime,
  businessId: string,
  log: Logger,
  evidence: DisconnectedEvidence,
): Promise<boolean> {
  const [row] = await asService(rt.sql, (tx) =>
    tx<{ disconnected: boolean }[]>`
      select private.jobber_disconnected_in_jobber(${businessId}, ${evidence.tokenGeneration ?? null}::bigint,
                                                   ${evidence.occurredAt ?? null}::timestamptz) as disconnected`
  );
  const disconnected = row?.disconnected === true;
  if (disconnected) log.warn("jobber_disconnected_in_jobber", { business_id: businessId, source: evidence.source });
  return disconnected;
}
