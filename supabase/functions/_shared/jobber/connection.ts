// A business's Jobber connection as code sees it: read the tokens, refresh them the one safe way,
// and build a GraphQL client that uses them. The refresh routine is the only place that spends a
// refresh token, and it only does so holding the connection's row lock (SPEC §8, jobber-api §1).
import type { Runtime } from "../runtime.ts";
import type { Logger } from "../log.ts";
import { asService, type TransactionSql } from "../db.ts";
import { notConnected } from "../errors.ts";
import { refreshTokens } from "./oauth.ts";
import { JobberAuthError, JobberDisconnectedError } from "./errors.ts";
import { createJobberClient, type JobberClient } from "./graphql.ts";

interface TokenRow {
  access_token: string | null;
  refresh_token: string | null;
  token_expires_at: Date | null;
  connection_status: string;
  account_id: string | null;
  refresh_failures: number;
  refresh_retry_at: Date | null;
}

export type RefreshOutcome =
  | { kind: "refreshed"; accessToken: string; expiresAt: Date }
  | { kind: "already_fresh"; accessToken: string; expiresAt: Date }
  | { kind: "reconnect_required"; message: string }
  | { kind: "cooling_down"; retryAt: Date }
  | { kind: "transient_failure"; message: string; retryAt: Date }
  | { kind: "not_connected" };

export interface RefreshOptions {
  /** Refresh when the token expires within this window (default: the runtime's refresh margin). */
  marginMs?: number;
  /**
   * The access token Jobber just refused with 401. The refresh is forced unless the stored token
   * already differs from it (someone else refreshed while we were calling).
   */
  rejectedAccessToken?: string;
}

const COOLDOWN_BASE_MS = 30_000;
const COOLDOWN_CAP_MS = 15 * 60_000;

async function readTokens(tx: TransactionSql, businessId: string, lock: boolean): Promise<TokenRow | undefined> {
  const rows = lock
    ? await tx<TokenRow[]>`select * from private.jobber_lock_tokens(${businessId})`
    : await tx<TokenRow[]>`select * from private.jobber_read_tokens(${businessId})`;
  return rows[0];
}

/**
 * Rotation-safe refresh: lock the connection, re-read, skip when someone else already refreshed,
 * otherwise call the token endpoint and store the new pair in the same transaction, before any
 * caller can use it. A refused refresh token flags the connection for reconnect; other failures
 * leave it connected and set a cooldown with exponential backoff.
 */
export async function refreshConnection(
  rt: Runtime,
  businessId: string,
  log: Logger,
  options: RefreshOptions = {},
): Promise<RefreshOutcome> {
  const marginMs = options.marginMs ?? rt.tuning.refreshMarginMs;
  return await asService(rt.sql, async (tx) => {
    const row = await readTokens(tx, businessId, true);
    if (!row || row.connection_status !== "connected" || !row.access_token || !row.refresh_token) {
      return { kind: "not_connected" } as const;
    }
    const now = rt.now();
    const expiresAt = row.token_expires_at ?? now;
    const forced = options.rejectedAccessToken !== undefined;
    if (forced && row.access_token !== options.rejectedAccessToken) {
      return { kind: "already_fresh", accessToken: row.access_token, expiresAt } as const;
    }
    if (!forced && expiresAt.getTime() - now.getTime() > marginMs) {
      return { kind: "already_fresh", accessToken: row.access_token, expiresAt } as const;
    }
    if (!forced && row.refresh_retry_at && row.refresh_retry_at > now) {
      return { kind: "cooling_down", retryAt: row.refresh_retry_at } as const;
    }

    try {
      const tokens = await refreshTokens(rt.config, row.refresh_token, jobberDeps(rt, log));
      await tx`select private.jobber_save_tokens(${businessId}, ${tokens.accessToken}, ${tokens.refreshToken},
                                                 ${tokens.expiresAt})`;
      log.info("token_refreshed", { business_id: businessId, token_expires_at: tokens.expiresAt.toISOString() });
      return { kind: "refreshed", accessToken: tokens.accessToken, expiresAt: tokens.expiresAt } as const;
    } catch (err) {
      if (err instanceof JobberAuthError && err.kind !== "invalid_client") {
        const message = "Jobber no longer accepts this connection's refresh token. Reconnect Jobber to resume syncing.";
        await tx`select private.jobber_record_refresh_failure(${businessId}, true, ${message})`;
        log.warn("token_refresh_refused", { business_id: businessId, error_code: err.kind });
        return { kind: "reconnect_required", message } as const;
      }
      const failures = row.refresh_failures + 1;
      const delay = Math.min(COOLDOWN_CAP_MS, COOLDOWN_BASE_MS * 2 ** (failures - 1));
      const retryAt = new Date(now.getTime() + delay);
      const message = err instanceof JobberAuthError
        ? "Jobber rejected this app's credentials while refreshing the token."
        : "Jobber could not be reached to refresh the token; retrying shortly.";
      await tx`select private.jobber_record_refresh_failure(${businessId}, false, ${message}, ${retryAt})`;
      log.warn("token_refresh_failed", {
        business_id: businessId,
        failures,
        retry_at: retryAt.toISOString(),
        error: err instanceof Error ? err.name : String(err),
      });
      return { kind: "transient_failure", message, retryAt } as const;
    }
  });
}

/** The current access token, refreshed first when it is within the refresh margin. */
export async function validAccessToken(rt: Runtime, businessId: string, log: Logger): Promise<string> {
  const row = await asService(rt.sql, (tx) => readTokens(tx, businessId, false));
  if (!row || row.connection_status !== "connected" || !row.access_token) throw notConnected();
  const expiresAt = row.token_expires_at?.getTime() ?? 0;
  if (expiresAt - rt.now().getTime() > rt.tuning.refreshMarginMs) return row.access_token;
  const outcome = await refreshConnection(rt, businessId, log);
  switch (outcome.kind) {
    case "refreshed":
    case "already_fresh":
      return outcome.accessToken;
    case "reconnect_required":
      throw notConnected(outcome.message);
    case "not_connected":
      throw notConnected();
    case "cooling_down":
    case "transient_failure":
      // The stored token may still be valid for a few minutes; Jobber's 401 will tell.
      return row.access_token;
  }
}

/** What every Jobber call takes from the runtime: config, fetch, clock, sleep, randomness, logger. */
export function jobberDeps(rt: Runtime, log: Logger) {
  return { config: rt.config, fetch: rt.fetch, sleep: rt.sleep, now: rt.now, random: rt.random, logger: log };
}

/** A GraphQL client for one business: fresh token first, and one locked refresh after a 401. */
export function jobberClientFor(rt: Runtime, businessId: string, log: Logger): JobberClient {
  let current: string | null = null;
  return createJobberClient({
    ...jobberDeps(rt, log),
    getAccessToken: async () => (current ??= await validAccessToken(rt, businessId, log)),
    onUnauthorized: async () => {
      const rejected = current ?? (await validAccessToken(rt, businessId, log));
      const outcome = await refreshConnection(rt, businessId, log, { rejectedAccessToken: rejected });
      if (outcome.kind === "refreshed" || outcome.kind === "already_fresh") {
        current = outcome.accessToken;
        return current;
      }
      throw new JobberDisconnectedError(
        outcome.kind === "reconnect_required" ? outcome.message : "Jobber refused the access token and it could not be refreshed.",
      );
    },
  });
}

/** A client for a token we hold in hand (the callback, before anything is stored). */
export function jobberClientWithToken(rt: Runtime, accessToken: string, log: Logger): JobberClient {
  return createJobberClient({
    ...jobberDeps(rt, log),
    maxRetries: 2,
    getAccessToken: () => Promise.resolve(accessToken),
    onUnauthorized: () => Promise.reject(new JobberAuthError("unauthorized", "Jobber refused the new access token.")),
  });
}
