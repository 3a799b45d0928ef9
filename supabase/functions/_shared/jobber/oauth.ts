// Jobber OAuth: the authorize URL, the code exchange and token refresh.
// Jobber sends no expires_in; the expiry is the access token's JWT `exp`.
import { decodeJwt } from "jose";
import { z } from "zod";
import type { Config } from "../config.ts";
import { silentLogger } from "../log.ts";
import type { Logger } from "../log.ts";
import {
  excerpt,
  JobberAuthError,
  JobberDisconnectedError,
  JobberError,
  JobberUnavailableError,
  saysDisconnected,
} from "./errors.ts";
import { backoffDelay, failedBeforeSending, isTimeout, realSleep, retryAfterMs } from "./retry.ts";
import type { Random, Sleep } from "./retry.ts";

export type OAuthConfig = Pick<
  Config,
  "jobberClientId" | "jobberClientSecret" | "jobberRedirectUri" | "jobber"
>;

export interface OAuthDeps {
  fetch?: typeof fetch;
  now?: () => Date;
  sleep?: Sleep;
  random?: Random;
  logger?: Logger;
  /** Per attempt; default 10 s. */
  timeoutMs?: number;
  /** Total attempts for failures that are safe to retry; default 3. */
  maxAttempts?: number;
}

export interface JobberTokens {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
}

/** Used when the access token carries no readable `exp`: Jobber's documented default lifetime. */
export const DEFAULT_ACCESS_TOKEN_LIFETIME_MS = 60 * 60 * 1000;

/** The URL that sends the owner to Jobber's consent page. `state` is omitted when not given. */
export function buildAuthorizeUrl(config: OAuthConfig, state?: string): string {
  const params = new URLSearchParams({
    response_type: "code",
    client_id: config.jobberClientId,
    redirect_uri: config.jobberRedirectUri,
  });
  if (state !== undefined) params.set("state", state);
  return `${config.jobber.authorizeUrl}?${params.toString()}`;
}

/** Expiry from the JWT `exp` (read without verifying: it is our own token from Jobber). */
export function accessTokenExpiry(accessToken: string, now: Date): Date {
  try {
    const { exp } = decodeJwt(accessToken);
    if (typeof exp === "number" && Number.isFinite(exp) && exp > 0) return new Date(exp * 1000);
  } catch {
    // Not a JWT: fall through to the documented default lifetime.
  }
  return new Date(now.getTime() + DEFAULT_ACCESS_TOKEN_LIFETIME_MS);
}

// Only the two tokens are required; Jobber may add expires_at, warning and more.
const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  warning: z.string().optional(),
});

const oauthErrorSchema = z.looseObject({
  error: z.unknown().optional(),
  error_description: z.unknown().optional(),
  message: z.unknown().optional(),
});

type Grant = "authorization_code" | "refresh_token";

/** Exchanges the callback's authorization code for tokens. A code is single use. */
export function exchangeCode(config: OAuthConfig, code: string, deps: OAuthDeps = {}): Promise<JobberTokens> {
  return tokenRequest(config, "authorization_code", {
    code,
    redirect_uri: config.jobberRedirectUri,
  }, deps);
}

/**
 * Trades a refresh token for a new pair. Jobber rotates refresh tokens: the old one dies at once,
 * so callers must hold the per-connection lock and store the new pair in the same transaction.
 */
export function refreshTokens(
  config: OAuthConfig,
  refreshToken: string,
  deps: OAuthDeps = {},
): Promise<JobberTokens> {
  return tokenRequest(config, "refresh_token", { refresh_token: refreshToken }, deps);
}

async function tokenRequest(
  config: OAuthConfig,
  grant: Grant,
  fields: Record<string, string>,
  deps: OAuthDeps,
): Promise<JobberTokens> {
  const fetchImpl = deps.fetch ?? fetch;
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? realSleep;
  const random = deps.random ?? Math.random;
  const log = deps.logger ?? silentLogger;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const maxAttempts = Math.max(1, deps.maxAttempts ?? 3);
  const what = grant === "authorization_code"
    ? "exchange the authorization code"
    : "refresh the Jobber token";

  // Credentials go in the form body, as Jobber documents (not HTTP Basic).
  const body = new URLSearchParams({
    client_id: config.jobberClientId,
    client_secret: config.jobberClientSecret,
    grant_type: grant,
    ...fields,
  }).toString();

  for (let attempt = 1;; attempt++) {
    const started = now().getTime();
    let res: Response;
    try {
      res = await fetchImpl(config.jobber.tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      // Retry only when the request never left: a code or rotated refresh token the server may
      // already have consumed must not be sent twice (the second try would fail invalid_grant
      // and hide the real outcome).
      const safe = failedBeforeSending(err);
      log.warn("jobber_token_request_failed", {
        grant_type: grant,
        attempt,
        reason: isTimeout(err) ? "timeout" : "network",
        will_retry: safe && attempt < maxAttempts,
      });
      if (safe && attempt < maxAttempts) {
        await sleep(backoffDelay(attempt, random, 500, 5_000));
        continue;
      }
      throw new JobberUnavailableError(
        isTimeout(err)
          ? `Cannot ${what}: Jobber did not answer within ${Math.round(timeoutMs / 1000)} seconds.`
          : `Cannot ${what}: Jobber could not be reached.`,
        { cause: err },
      );
    }

    const text = await res.text().catch(() => "");
    log.info("jobber_token_response", {
      grant_type: grant,
      attempt,
      status: res.status,
      duration_ms: now().getTime() - started,
    });

    // 429 and 503 are answered before the grant is looked at, so repeating the request is safe.
    if ((res.status === 429 || res.status === 503) && attempt < maxAttempts) {
      const wait = retryAfterMs(res.headers.get("retry-after"), now());
      await sleep(Math.min(wait ?? backoffDelay(attempt, random, 1_000, 10_000), 30_000));
      continue;
    }
    if (res.status === 429 || res.status >= 500) {
      throw new JobberUnavailableError(`Cannot ${what}: Jobber answered ${res.status}.`);
    }
    // A refresh refused because Jobber no longer has the app on the account: the "Jobber says
    // disconnected" routine's business, not a mere reconnect prompt.
    if (res.status >= 400 && res.status < 500 && grant === "refresh_token" && saysDisconnected(text)) {
      throw new JobberDisconnectedError();
    }
    if (res.status >= 400) throw oauthFailure(grant, what, res.status, text);
    if (res.status !== 200 && res.status !== 201) {
      throw new JobberError(`Cannot ${what}: Jobber answered ${res.status}.`);
    }

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new JobberError(`Cannot ${what}: Jobber's answer is not JSON.`);
    }
    const parsed = tokenResponseSchema.safeParse(json);
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path.join(".") || "body";
      throw new JobberError(`Cannot ${what}: Jobber's answer has no usable ${field}.`);
    }
    if (parsed.data.warning) {
      log.warn("jobber_token_warning", { grant_type: grant, warning: excerpt(parsed.data.warning) });
    }
    return {
      accessToken: parsed.data.access_token,
      refreshToken: parsed.data.refresh_token,
      expiresAt: accessTokenExpiry(parsed.data.access_token, now()),
    };
  }
}

function oauthFailure(grant: Grant, what: string, status: number, text: string): JobberAuthError {
  let error = "";
  let description = "";
  try {
    const parsed = oauthErrorSchema.safeParse(JSON.parse(text));
    if (parsed.success) {
      if (typeof parsed.data.error === "string") error = parsed.data.error;
      if (typeof parsed.data.error_description === "string") description = parsed.data.error_description;
      else if (typeof parsed.data.message === "string") description = parsed.data.message;
    }
  } catch {
    description = text;
  }
  const said = [error && JSON.stringify(error), description && JSON.stringify(excerpt(description))]
    .filter(Boolean)
    .join(": ");
  const suffix = said ? ` ${said}` : "";

  if (error === "invalid_client" || (status === 401 && error === "")) {
    return new JobberAuthError(
      "invalid_client",
      `Cannot ${what}: Jobber rejected the app credentials (answered ${status}${suffix}); check JOBBER_CLIENT_ID and JOBBER_CLIENT_SECRET.`,
    );
  }
  if (grant === "refresh_token") {
    // Jobber documents only the message text for a dead refresh token, so every other 4xx on a
    // refresh means the same thing: the owner has to connect again.
    return new JobberAuthError(
      "invalid_grant",
      `Jobber refused the refresh token (answered ${status}${suffix}); connect Jobber again.`,
    );
  }
  if (error === "invalid_grant") {
    return new JobberAuthError(
      "invalid_grant",
      `Cannot exchange authorization code: Jobber answered ${status}${suffix}. Start the connection again.`,
    );
  }
  return new JobberAuthError(
    "rejected",
    `Cannot exchange authorization code: Jobber answered ${status}${suffix}.`,
  );
}
