// The part of GoTrue that supabase-js needs for the seeded demo users: password sign-in, the
// refresh-token grant (tokens rotate, as GoTrue's do), /user and logout. Passwords are checked
// with pgcrypto's crypt() against auth.users, sessions kept in auth.refresh_tokens.
import type postgres from "postgres";
import { mintUserToken, verifyJwt } from "./jwt.ts";

type Sql = ReturnType<typeof postgres>;
const ACCESS_TOKEN_SECONDS = 3600;

interface UserRow {
  id: string;
  email: string | null;
  raw_app_meta_data: Record<string, unknown> | null;
  raw_user_meta_data: Record<string, unknown> | null;
  email_confirmed_at: Date | null;
  last_sign_in_at: Date | null;
  created_at: Date | null;
  updated_at: Date | null;
}

const authError = (status: number, errorCode: string, msg: string) =>
  Response.json({ code: status, error_code: errorCode, msg }, { status });

function userJson(u: UserRow) {
  return {
    id: u.id,
    aud: "authenticated",
    role: "authenticated",
    email: u.email,
    email_confirmed_at: u.email_confirmed_at,
    phone: "",
    confirmed_at: u.email_confirmed_at,
    last_sign_in_at: u.last_sign_in_at,
    app_metadata: u.raw_app_meta_data ?? {},
    user_metadata: u.raw_user_meta_data ?? {},
    identities: [],
    created_at: u.created_at,
    updated_at: u.updated_at,
    is_anonymous: false,
  };
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, (c) => ({ "+": "-", "/": "_", "=": "" })[c] ?? "");
}

export function createAuthServer(opts: { sql: Sql; jwtSecret: string; issuer: string }) {
  const { sql, jwtSecret, issuer } = opts;

  async function session(user: UserRow, sessionId: string, parent: string | null) {
    const refreshToken = randomToken();
    await sql`insert into auth.refresh_tokens (token, user_id, session_id, parent)
              values (${refreshToken}, ${user.id}, ${sessionId}, ${parent})`;
    const accessToken = await mintUserToken(jwtSecret, user, {
      issuer,
      sessionId,
      expiresInSeconds: ACCESS_TOKEN_SECONDS,
    });
    return Response.json({
      access_token: accessToken,
      token_type: "bearer",
      expires_in: ACCESS_TOKEN_SECONDS,
      expires_at: Math.floor(Date.now() / 1000) + ACCESS_TOKEN_SECONDS,
      refresh_token: refreshToken,
      user: userJson(user),
    });
  }

  async function passwordGrant(body: Record<string, unknown>) {
    const email = typeof body.email === "string" ? body.email.trim().toLowerCase() : "";
    const password = typeof body.password === "string" ? body.password : "";
    if (!email || !password) return authError(400, "validation_failed", "Email and password are required");
    const [user] = await sql<UserRow[]>`
      update auth.users set last_sign_in_at = now()
      where email = ${email} and deleted_at is null and (banned_until is null or banned_until < now())
        and encrypted_password = extensions.crypt(${password}, encrypted_password)
      returning id, email, raw_app_meta_data, raw_user_meta_data, email_confirmed_at, last_sign_in_at,
                created_at, updated_at`;
    if (!user) return authError(400, "invalid_credentials", "Invalid login credentials");
    return await session(user, crypto.randomUUID(), null);
  }

  async function refreshGrant(body: Record<string, unknown>) {
    const token = typeof body.refresh_token === "string" ? body.refresh_token : "";
    if (!token) return authError(400, "validation_failed", "refresh_token is required");
    return await sql.begin(async (tx) => {
      const [row] = await tx<{ user_id: string; session_id: string }[]>`
        update auth.refresh_tokens set revoked = true, updated_at = now()
        where token = ${token} and not revoked
        returning user_id, session_id`;
      if (!row) return authError(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
      const [user] = await tx<UserRow[]>`
        select id, email, raw_app_meta_data, raw_user_meta_data, email_confirmed_at, last_sign_in_at,
               created_at, updated_at
        from auth.users where id = ${row.user_id} and deleted_at is null`;
      if (!user) return authError(400, "user_not_found", "User not found");
      return await session(user, row.session_id, token);
    });
  }

  async function bearerClaims(req: Request) {
    const header = req.headers.get("authorization") ?? "";
    const token = header.toLowerCase().startsWith("bearer ") ? header.slice(7).trim() : "";
    if (!token) return null;
    try {
      const claims = await verifyJwt(jwtSecret, token);
      return claims.role === "authenticated" && typeof claims.sub === "string" ? claims : null;
    } catch {
      return null;
    }
  }

  return async function handleAuth(req: Request, path: string): Promise<Response> {
    const url = new URL(req.url);
    if (path === "/token" && req.method === "POST") {
      const body = await req.json().catch(() => ({})) as Record<string, unknown>;
      const grant = url.searchParams.get("grant_type");
      if (grant === "password") return await passwordGrant(body);
      if (grant === "refresh_token") return await refreshGrant(body);
      return authError(400, "unsupported_grant_type", `Unsupported grant_type "${grant ?? ""}"`);
    }
    if (path === "/user" && req.method === "GET") {
      const claims = await bearerClaims(req);
      if (!claims) return authError(401, "bad_jwt", "Invalid JWT");
      const [user] = await sql<UserRow[]>`
        select id, email, raw_app_meta_data, raw_user_meta_data, email_confirmed_at, last_sign_in_at,
               created_at, updated_at
        from auth.users where id = ${claims.sub as string} and deleted_at is null`;
      return user ? Response.json(userJson(user)) : authError(404, "user_not_found", "User not found");
    }
    if (path === "/logout" && req.method === "POST") {
      const claims = await bearerClaims(req);
      if (!claims) return authError(401, "bad_jwt", "Invalid JWT");
      const scope = url.searchParams.get("scope") ?? "global";
      if (scope === "local") {
        await sql`update auth.refresh_tokens set revoked = true where session_id = ${String(claims.session_id)}`;
      } else if (scope === "others") {
        await sql`update auth.refresh_tokens set revoked = true
                  where user_id = ${claims.sub as string} and session_id <> ${String(claims.session_id)}`;
      } else {
        await sql`update auth.refresh_tokens set revoked = true where user_id = ${claims.sub as string}`;
      }
      return new Response(null, { status: 204 });
    }
    if (path === "/.well-known/jwks.json" && req.method === "GET") {
      // Symmetric (HS256) projects publish no public keys; functions verify with the JWT secret.
      return Response.json({ keys: [] });
    }
    if (path === "/health" || path === "/settings") {
      return Response.json({ name: "local-auth", external: { email: true }, disable_signup: true });
    }
    return authError(404, "not_found", `No local auth endpoint for ${req.method} ${path}`);
  };
}
