// Who is calling: a signed-in user (their Supabase JWT) or the platform itself (service key).
// Functions check this themselves instead of relying on the platform's verify_jwt.
import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify } from "jose";
import type { JWTPayload, JWTVerifyGetKey } from "jose";
import type { Config } from "./config.ts";
import { timingSafeEqual } from "./crypto.ts";
import { unauthenticated } from "./errors.ts";

export interface UserClaims extends JWTPayload {
  sub: string;
  role: "authenticated";
  [claim: string]: unknown;
}

export interface VerifiedUser {
  userId: string;
  claims: UserClaims;
}

export type AuthConfig = Pick<Config, "jwtSecret" | "jwksUrl">;

export interface VerifyUserDeps {
  /** A JWKS key getter, e.g. from createJwks(); kept between requests so keys are cached. */
  jwks?: JWTVerifyGetKey;
  /** Used only when `jwks` is not given, to fetch the project's JWKS. */
  fetchJwks?: typeof fetch;
  now?: () => Date;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ASYMMETRIC_ALGORITHMS = ["ES256", "RS256", "EdDSA"];
const CLOCK_TOLERANCE_SECONDS = 30;
const encoder = new TextEncoder();

/** A cached remote JWKS for `<SUPABASE_URL>/auth/v1/.well-known/jwks.json`. */
export function createJwks(config: Pick<Config, "jwksUrl">, fetchImpl?: typeof fetch): JWTVerifyGetKey {
  const options = fetchImpl
    ? { [customFetch]: (url: string, init: RequestInit) => fetchImpl(url, init) }
    : {};
  return createRemoteJWKSet(new URL(config.jwksUrl), options);
}

/** The token from `Authorization: Bearer <token>`, or null. */
export function bearerToken(req: Request): string | null {
  const header = req.headers.get("authorization");
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * Verifies the caller's Supabase access token: HS256 with JWT_SECRET when it is set, otherwise
 * the project's JWKS. Requires a UUID `sub` and `role: "authenticated"`, so anon and
 * service-role keys cannot act as a user.
 */
export async function verifyUserJwt(
  req: Request,
  config: AuthConfig,
  deps: VerifyUserDeps = {},
): Promise<VerifiedUser> {
  const token = bearerToken(req);
  if (!token) throw unauthenticated("Sign in again: the request has no bearer access token.");
  let payload: JWTPayload;
  try {
    payload = await verifyJwt(token, config, deps);
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) {
      throw unauthenticated("Sign in again: the access token has expired.");
    }
    // A bad signature, wrong algorithm or an unreachable JWKS all mean "cannot verify": 401.
    throw unauthenticated();
  }
  if (typeof payload.sub !== "string" || !UUID_PATTERN.test(payload.sub)) {
    throw unauthenticated("Sign in again: the access token does not name a user.");
  }
  if (payload.role !== "authenticated") {
    throw unauthenticated("Sign in again: the access token is not a signed-in user's token.");
  }
  return { userId: payload.sub, claims: payload as UserClaims };
}

async function verifyJwt(token: string, config: AuthConfig, deps: VerifyUserDeps): Promise<JWTPayload> {
  const common = {
    requiredClaims: ["exp", "sub"],
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    ...(deps.now ? { currentDate: deps.now() } : {}),
  };
  if (config.jwtSecret !== null) {
    const { payload } = await jwtVerify(token, encoder.encode(config.jwtSecret), {
      ...common,
      algorithms: ["HS256"],
    });
    return payload;
  }
  const jwks = deps.jwks ?? createJwks(config, deps.fetchJwks);
  const { payload } = await jwtVerify(token, jwks, { ...common, algorithms: ASYMMETRIC_ALGORITHMS });
  return payload;
}

/**
 * Accepts the service-role key itself (`Authorization: Bearer <key>` or `apikey: <key>`,
 * compared in constant time) or, when JWT_SECRET is set, any HS256 JWT whose role is
 * service_role. Used by jobber-worker, which pg_cron calls through pg_net.
 */
export async function verifyServiceRole(
  req: Request,
  config: Pick<Config, "jwtSecret" | "supabaseServiceRoleKey">,
  deps: Pick<VerifyUserDeps, "now"> = {},
): Promise<void> {
  const candidates = [bearerToken(req), req.headers.get("apikey")?.trim() ?? null].filter(
    (v): v is string => typeof v === "string" && v.length > 0,
  );
  if (candidates.length === 0) throw unauthenticated("This endpoint needs the service key.");

  for (const candidate of candidates) {
    if (timingSafeEqual(candidate, config.supabaseServiceRoleKey)) return;
  }
  if (config.jwtSecret !== null) {
    for (const candidate of candidates) {
      try {
        const { payload } = await jwtVerify(candidate, encoder.encode(config.jwtSecret), {
          algorithms: ["HS256"],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          ...(deps.now ? { currentDate: deps.now() } : {}),
        });
        if (payload.role === "service_role") return;
      } catch {
        // Try the next candidate; a bad one is reported below like a missing one.
      }
    }
  }
  throw unauthenticated("This endpoint needs the service key.");
}
