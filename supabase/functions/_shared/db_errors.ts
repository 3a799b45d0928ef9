// The privileged SQL functions raise SQLSTATEs of class BJ (see the connection-functions
// migration); this turns them into the HTTP errors of SPEC §5, keeping the SQL's sentence.
import { AppError, type ErrorCode } from "./errors.ts";

const SQLSTATE_CODES: Record<string, ErrorCode> = {
  BJ001: "not_a_member",
  BJ002: "forbidden_role",
  BJ003: "already_connected",
  BJ004: "account_in_use",
  BJ005: "not_connected",
  BJ006: "not_found",
};

export function toAppError(err: unknown): unknown {
  const sqlState = (err as { code?: unknown })?.code;
  if (typeof sqlState === "string" && sqlState in SQLSTATE_CODES) {
    return new AppError(SQLSTATE_CODES[sqlState]!, (err as Error).message, { cause: err });
  }
  return err;
}

/** Runs a database call, rethrowing our BJ SQLSTATEs as AppErrors. */
export async function mappingDbErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toAppError(err);
  }
}

// What the postgres driver says when it cannot reach the database at all (refused, reset, timed
// out, a connection closed under it), and the SQLSTATEs of a server that is shutting down,
// starting up or out of connections: the request may succeed if simply sent again.
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);

/** True when `err` means the database could not be reached or is not accepting work right now. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return false;
  // Class 08: connection exceptions.
  return UNREACHABLE_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code);
}
