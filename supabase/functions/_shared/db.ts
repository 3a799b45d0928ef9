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

async function runAs<T>(
  sql: Sql,
  session: SessionSettings,
  fn: (tx: TransactionSql) => Promise<T>,
): Promise<T> {
  const result = await sql.begin(async (tx) => {
    await applySession(tx, session);
    return await fn(tx);
  });
  return result as T;
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
