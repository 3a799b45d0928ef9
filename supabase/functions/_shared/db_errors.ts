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
