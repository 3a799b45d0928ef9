// HS256 JWTs signed with the local JWT secret: the anon and service-role keys, and the demo
// users' sessions. Any tool can mint a token for a user id with `mintUserToken`.
import { jwtVerify, SignJWT, type JWTPayload } from "jose";

const encoder = new TextEncoder();

export async function signJwt(
  secret: string,
  claims: JWTPayload,
  expiresInSeconds: number,
  now = Math.floor(Date.now() / 1000),
): Promise<string> {
  return await new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(now)
    .setExpirationTime(now + expiresInSeconds)
    .sign(encoder.encode(secret));
}

export async function verifyJwt(secret: string, token: string): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, encoder.encode(secret), { algorithms: ["HS256"] });
  return payload;
}

// Fixed issue time and a long lifetime, so the keys are the same on every start for a given secret.
const KEYS_ISSUED_AT = 1_767_225_600; // 2026-01-01T00:00:00Z
const TEN_YEARS = 10 * 365 * 24 * 3600;

/** The project's API keys, as `supabase start` prints them: HS256 JWTs with role anon / service_role. */
export async function apiKeys(secret: string, issuer: string): Promise<{ anon: string; serviceRole: string }> {
  return {
    anon: await signJwt(secret, { iss: issuer, role: "anon", ref: "local" }, TEN_YEARS, KEYS_ISSUED_AT),
    serviceRole: await signJwt(secret, { iss: issuer, role: "service_role", ref: "local" }, TEN_YEARS, KEYS_ISSUED_AT),
  };
}

export async function mintUserToken(
  secret: string,
  user: { id: string; email?: string | null },
  opts: { issuer?: string; sessionId?: string; expiresInSeconds?: number } = {},
): Promise<string> {
  return await signJwt(secret, {
    iss: opts.issuer ?? "http://127.0.0.1:54321/auth/v1",
    aud: "authenticated",
    sub: user.id,
    email: user.email ?? "",
    phone: "",
    role: "authenticated",
    aal: "aal1",
    amr: [{ method: "password", timestamp: Math.floor(Date.now() / 1000) }],
    session_id: opts.sessionId ?? crypto.randomUUID(),
    is_anonymous: false,
    app_metadata: { provider: "email", providers: ["email"] },
    user_metadata: {},
  }, opts.expiresInSeconds ?? 3600);
}
