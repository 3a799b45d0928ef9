// The one place that opens database connections, and the one place that decides which Postgres
// role a piece of work runs as. User work runs exactly as PostgREST runs it (role + claims set
// locally in a transaction), so RLS — not function code — keeps businesses apart.
import postgres from "postgres";
import type { Config } from "./config.ts";
import type { VerifiedUser } from "./auth.ts";

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;

export interface DbOptions {
  max?: number;
  idleTimeoutSeconds?: number;
}

export function createDb(config: Pick<Config, "supabaseDbUrl">, options: DbOptions = {}): Sql {
  return postgres(config.supabaseDbUrl, {
    // The hosted transaction pooler (Supavisor, port 6543) cannot keep prepared statements.
    prepare: false,
    max: options.max ?? 5,
    idle_timeout: options.idleTimeoutSeconds ?? 20,
    // After the database went away (a restart, a failover), try again soon: the driver's default
    // backoff grows to 20 s between attempts, and webhooks arriving meanwhile are answered 503.
    backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, 2),
    connection: { application_name: "edge-functions" },
  });
}

export type DbRole = "authenticated" | "service_role";

export interface SessionSettings {
  role: DbRole;
  claims: Record<string, unknown>;
  sub: string;
}

/** The settings PostgREST applies for a user; `sub` and `role` always come from the verified identity. */
export function userSession(user: Pick<VerifiedUser, "userId" | "claims">): SessionSettings {
  return {
    role: "authenticated",
    claims: { ...user.claims, sub: user.userId, role: "authenticated" },
    sub: user.userId,
  };
}

export function serviceSession(): SessionSettings {
  return { role: "service_role", claims: { role: "service_role" }, sub: "" };
}

/** Applies role and claims transaction-locally (is_local = true), so they vanish at commit. */
export async function applySession(tx: TransactionSql, session: SessionSettings): Promise<void> {
  await tx`
    select
      set_config('role', ${session.role}, true),
      set_config('request.jwt.claims', ${JSON.stringify(session.claims)}, true),
      set_config('request.jwt.claim.sub', ${session.sub}, true),
      set_config('request.jwt.claim.role', ${session.role}, true)
  `;
}

// A pooled connection the database cut while it sat idle (a restart, a failover, a pooler
// recycling it) reports so only when it is next used: its BEGIN, or the session settings right
// after it, fail with one of these. So does one the driver opened while the database was shutting
// down or starting (57P03), even once the database is back.
const CUT_CONNECTION = new Set([
  "57P01", "57P02", "57P03", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "ECONNRESET", "EPIPE",
]);

async function runAs<T>(
  sql: Sql,
  session: SessionSettings,
  fn: (tx: TransactionSql) => Promise<T>,
): Promise<T> {
  for (let attempt = 1;; attempt++) {
    let began = false;
    try {
      const result = await sql.begin(async (tx) => {
        await applySession(tx, session);
        began = true;
        return await fn(tx);
      });
      return result as T;
    } catch (err) {
      // Nothing of the caller's ran on a connection that failed before its work began, so the
      // transaction starts again on another; anything that failed later is the caller's to judge.
      const code = (err as { code?: unknown } | null)?.code;
      if (began || attempt >= 3 || typeof code !== "string" || !CUT_CONNECTION.has(code)) throw err;
    }
  }
}

/** Runs `fn` in a transaction as the signed-in user, under RLS. */
export function asUser<T>(
  sql: Sql,
  user: Pick<VerifiedUser, "userId" | "claims">,
  fn: (tx: TransactionSql) => Promise<T>,
): Promise<T> {
  return runAs(sql, userSession(user), fn);
}

/** Runs `fn` in a transaction as service_role: for the privileged SQL functions only it may execute. */
export function asService<T>(sql: Sql, fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
  return runAs(sql, serviceSession(), fn);
}
