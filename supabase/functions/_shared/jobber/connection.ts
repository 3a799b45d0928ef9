// A business's Jobber connection as code sees it: read the tokens, refresh them the one safe way,
// and build a GraphQL client that uses them. The refresh routine is the only place that spends a
// refresh token. It holds no database connection while Jobber answers (a slow token endpoint must
// not drain the pool other work needs): it claims the refresh in one short transaction, calls
// Jobber, and saves the new pair in another, compare-and-set on the token generation it read
// (SPEC §8, jobber-api §1; the SQL side is the claim_jobber_token_refresh migration).
import type { Runtime } from "../runtime.ts";
import type { Logger } from "../log.ts";
import { asService } from "../db.ts";
import { notConnected } from "../errors.ts";
import { refreshTokens } from "./oauth.ts";
import { JobberAuthError, JobberDisconnectedError } from "./errors.ts";
import { createJobberClient, type JobberClient } from "./graphql.ts";
import { jobberSaysDisconnected } from "./disconnected.ts";

export interface TokenRow {
  access_token: string | null;
  token_expires_at: Date | null;
  connection_status: string;
  refresh_failures: number;
  refresh_retry_at: Date | null;
  /** Bumped by every save and reconnect; a refresh saves only over the generation it read. */
  token_generation: string;
}

export type RefreshOutcome =
  | { kind: "refreshed"; accessToken: string; expiresAt: Date }
  | { kind: "already_fresh"; accessToken: string; expiresAt: Date }
  | { kind: "reconnect_required"; message: string }
  /** Jobber answered the refresh saying the app was disconnected: the business now is. */
  | { kind: "disconnected"; message: string }
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
/**
 * How long a claim keeps other refreshers away: longer than the token request's longest retry
 * sequence (3 attempts of up to 10 s, waits of up to 30 s between them), so two callers never
 * spend one refresh token.
 */
export const REFRESH_CLAIM_MS = 120_000;
// Callers that find a refresh in progress read again after these waits, holding no connection.
const CLAIM_POLL_FIRST_MS = 25;
const CLAIM_POLL_CAP_MS = 1_000;

async function readTokens(rt: Runtime, businessId: string): Promise<TokenRow | undefined> {
  const [row] = await asService(rt.sql, (tx) => tx<TokenRow[]>`select * from private.jobber_read_tokens(${businessId})`);
  return row;
}

/** What a read of the connection says to do: answer now, or refresh. Pure, for tests. */
export function refreshDecision(
  row: TokenRow | undefined,
  now: Date,
  marginMs: number,
  rejectedAccessToken?: string,
): Exclude<RefreshOutcome, { kind: "refreshed" | "transient_failure" | "reconnect_required" | "disconnected" }> | {
  kind: "refresh";
} {
  if (!row || row.connection_status !== "connected" || !row.access_token) return { kind: "not_connected" };
  const expiresAt = row.token_expires_at ?? now;
  const fresh = { kind: "already_fresh", accessToken: row.access_token, expiresAt } as const;
  if (rejectedAccessToken !== undefined) return row.access_token !== rejectedAccessToken ? fresh : { kind: "refresh" };
  if (expiresAt.getTime() - now.getTime() > marginMs) return fresh;
  if (row.refresh_retry_at && row.refresh_retry_at > now) return { kind: "cooling_down", retryAt: row.refresh_retry_at };
  return { kind: "refresh" };
}

/**
 * Rotation-safe refresh: read; if a refresh is due, claim it (only one claimer at a time, and only
 * while the tokens are still the ones read), call the token endpoint, and save the new pair only
 * over the generation it was refreshed from. Callers that find another refresh in progress wait
 * for it without holding a connection and then use its result. A refused refresh token flags the
 * connection for reconnect; other failures leave it connected and set a cooldown with exponential
 * backoff.
 */
export async function refreshConnection(
  rt: Runtime,
  businessId: string,
  log: Logger,
  options: RefreshOptions = {},
): Promise<RefreshOutcome> {
  const marginMs = options.marginMs ?? rt.tuning.refreshMarginMs;
  const claimer = `refresh:${crypto.randomUUID()}`;
  let pollMs = CLAIM_POLL_FIRST_MS;
  while (true) {
    const row = await readTokens(rt, businessId);
    const decision = refreshDecision(row, rt.now(), marginMs, options.rejectedAccessToken);
    if (decision.kind !== "refresh") return decision;

    const [claim] = await asService(rt.sql, (tx) =>
      tx<{ outcome: "claimed" | "changed" | "busy" | "not_connected"; refresh_token: string | null }[]>`
        select * from private.jobber_claim_refresh(${businessId}, ${claimer}, ${row!.token_generation}, ${REFRESH_CLAIM_MS})`
    );
    switch (claim?.outcome) {
      case "claimed": {
        const outcome = await spendRefreshToken(rt, businessId, log, claimer, row!, claim.refresh_token!);
        if (outcome) return outcome;
        continue; // The connection changed under us (reconnected or disconnected): read again.
      }
      case "changed":
        continue;
      case "busy":
        await rt.sleep(pollMs);
        pollMs = Math.min(CLAIM_POLL_CAP_MS, pollMs * 2);
        continue;
      default:
        return { kind: "not_connected" };
    }
  }
}

/** Calls Jobber with the claimed refresh token, then stores the outcome; null when superseded. */
async function spendRefreshToken(
  rt: Runtime,
  businessId: string,
  log: Logger,
  claimer: string,
  row: TokenRow,
  refreshToken: string,
): Promise<RefreshOutcome | null> {
  const generation = row.token_generation;
  let tokens;
  try {
    tokens = await refreshTokens(rt.config, refreshToken, jobberDeps(rt, log));
  } catch (err) {
    if (err instanceof JobberDisconnectedError) {
      await asService(rt.sql, (tx) =>
        tx`select private.jobber_record_refresh_failure(${businessId}, ${claimer}, ${generation}, false, ${err.message})`
      );
      await jobberSaysDisconnected(rt, businessId, log, { source: "refresh", tokenGeneration: generation });
      return { kind: "disconnected", message: err.message };
    }
    if (err instanceof JobberAuthError && err.kind !== "invalid_client") {
      const message = "Jobber no longer accepts this connection's refresh token. Reconnect Jobber to resume syncing.";
      await asService(rt.sql, (tx) =>
        tx`select private.jobber_record_refresh_failure(${businessId}, ${claimer}, ${generation}, true, ${message})`
      );
      log.warn("token_refresh_refused", { business_id: businessId, error_code: err.kind });
      return { kind: "reconnect_required", message };
    }
    const failures = row.refresh_failures + 1;
    const delay = Math.min(COOLDOWN_CAP_MS, COOLDOWN_BASE_MS * 2 ** (failures - 1));
    const retryAt = new Date(rt.now().getTime() + delay);
    const message = err instanceof JobberAuthError
      ? "Jobber rejected this app's credentials while refreshing the token."
      : "Jobber could not be reached to refresh the token; retrying shortly.";
    await asService(rt.sql, (tx) =>
      tx`select private.jobber_record_refresh_failure(${businessId}, ${claimer}, ${generation}, false, ${message}, ${retryAt})`
    );
    log.warn("token_refresh_failed", {
      business_id: businessId,
      failures,
      retry_at: retryAt.toISOString(),
      error: err instanceof Error ? err.name : String(err),
    });
    return { kind: "transient_failure", message, retryAt };
  }

  const [saved] = await asService(rt.sql, (tx) =>
    tx<{ saved: boolean }[]>`
      select private.jobber_save_tokens(${businessId}, ${claimer}, ${generation}, ${tokens.accessToken},
                                        ${tokens.refreshToken}, ${tokens.expiresAt}) as saved`
  );
  if (!saved?.saved) {
    log.warn("token_refresh_superseded", { business_id: businessId });
    return null;
  }
  log.info("token_refreshed", { business_id: businessId, token_expires_at: tokens.expiresAt.toISOString() });
  return { kind: "refreshed", accessToken: tokens.accessToken, expiresAt: tokens.expiresAt };
}

/** An access token and the token generation it belongs to. */
interface HeldToken {
  accessToken: string;
  generation: string;
}

/** The stored token as it is now (after a refresh: the refreshed one, with its generation). */
async function storedToken(rt: Runtime, businessId: string): Promise<HeldToken> {
  const row = await readTokens(rt, businessId);
  if (!row || row.connection_status !== "connected" || !row.access_token) throw notConnected();
  return { accessToken: row.access_token, generation: row.token_generation };
}

/** The current access token (with its generation), refreshed first when it is within the refresh margin. */
async function validToken(rt: Runtime, businessId: string, log: Logger): Promise<HeldToken> {
  const row = await readTokens(rt, businessId);
  if (!row || row.connection_status !== "connected" || !row.access_token) throw notConnected();
  const expiresAt = row.token_expires_at?.getTime() ?? 0;
  if (expiresAt - rt.now().getTime() > rt.tuning.refreshMarginMs) {
    return { accessToken: row.access_token, generation: row.token_generation };
  }
  const outcome = await refreshConnection(rt, businessId, log);
  switch (outcome.kind) {
    case "refreshed":
    case "already_fresh":
      return await storedToken(rt, businessId);
    case "reconnect_required":
    case "disconnected":
      throw notConnected(outcome.message);
    case "not_connected":
      throw notConnected();
    case "cooling_down":
    case "transient_failure":
      // The stored token may still be valid for a few minutes; Jobber's 401 will tell.
      return { accessToken: row.access_token, generation: row.token_generation };
  }
}

/** The current access token, refreshed first when it is within the refresh margin. */
export async function validAccessToken(rt: Runtime, businessId: string, log: Logger): Promise<string> {
  return (await validToken(rt, businessId, log)).accessToken;
}

/** What every Jobber call takes from the runtime: config, fetch, clock, sleep, randomness, logger. */
export function jobberDeps(rt: Runtime, log: Logger) {
  return { config: rt.config, fetch: rt.fetch, sleep: rt.sleep, now: rt.now, random: rt.random, logger: log };
}

/**
 * A GraphQL client for one business: fresh token first, and one locked refresh after a 401. When
 * Jobber answers that the app was disconnected (or the account is inactive), the "Jobber says
 * disconnected" routine runs before the error reaches the caller - for the sync, the webhook
 * worker, reconciliation and every other caller alike. A refresh Jobber merely refuses is not
 * that: the connection is left `error` + needs_reconnect by the refresh, and the call fails
 * not_connected.
 */
export function jobberClientFor(rt: Runtime, businessId: string, log: Logger): JobberClient {
  let current: HeldToken | null = null;
  const client = createJobberClient({
    ...jobberDeps(rt, log),
    getAccessToken: async () => (current ??= await validToken(rt, businessId, log)).accessToken,
    onUnauthorized: async () => {
      const rejected = current ?? (await validToken(rt, businessId, log));
      const outcome = await refreshConnection(rt, businessId, log, { rejectedAccessToken: rejected.accessToken });
      if (outcome.kind === "refreshed" || outcome.kind === "already_fresh") {
        current = await storedToken(rt, businessId);
        return current.accessToken;
      }
      throw notConnected(
        outcome.kind === "reconnect_required" || outcome.kind === "disconnected"
          ? outcome.message
          : "Jobber refused the access token and it could not be refreshed.",
      );
    },
  });
  return {
    async request(document, variables, resultSchema, options) {
      try {
        return await client.request(document, variables, resultSchema, options);
      } catch (err) {
        if (err instanceof JobberDisconnectedError) {
          await jobberSaysDisconnected(rt, businessId, log, { source: "graphql", tokenGeneration: current?.generation ?? null });
        }
        throw err;
      }
    },
  };
}

/**
 * A client for a token we hold in hand (a new connection, before anything is stored). `maxRetries`
 * is 0 where a caller must not multiply its calls to Jobber (the anonymous Marketplace path).
 */
export function jobberClientWithToken(rt: Runtime, accessToken: string, log: Logger, maxRetries = 2): JobberClient {
  return createJobberClient({
    ...jobberDeps(rt, log),
    maxRetries,
    getAccessToken: () => Promise.resolve(accessToken),
    onUnauthorized: () => Promise.reject(new JobberAuthError("unauthorized", "Jobber refused the new access token.")),
  });
}
