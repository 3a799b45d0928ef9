// The one error type handlers throw. Each code maps to exactly one HTTP status (SPEC §5),
// so the card can switch on `code` and never has to parse messages.

export const ERROR_STATUS = {
  invalid_request: 400,
  unauthenticated: 401,
  invalid_signature: 401,
  not_a_member: 403,
  forbidden_role: 403,
  not_initiator: 403,
  not_found: 404,
  method_not_allowed: 405,
  already_connected: 409,
  account_in_use: 409,
  payload_too_large: 413,
  not_connected: 422,
  rate_limited: 429,
  internal_error: 500,
  jobber_error: 502,
  jobber_unavailable: 503,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly status: number;
  readonly code: ErrorCode;

  /** `message` is shown to the caller: say what failed, never include secrets or stack traces. */
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AppError";
    this.code = code;
    this.status = ERROR_STATUS[code];
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

export const invalidRequest = (message: string) => new AppError("invalid_request", message);
export const unauthenticated = (
  message = "Sign in again: the access token is missing, expired or invalid.",
) => new AppError("unauthenticated", message);
export const invalidSignature = (message = "The webhook signature is missing or does not match.") =>
  new AppError("invalid_signature", message);
/** Same answer for "no such business" and "not a member", so business ids cannot be probed. */
export const notAMember = (
  message = "You are not a member of this business, or it does not exist.",
) => new AppError("not_a_member", message);
export const forbiddenRole = (
  message = "Only an owner or admin of this business can do that.",
) => new AppError("forbidden_role", message);
/** SPEC §12: a connection is finished only by the user who started it. */
export const notInitiator = (
  message = "Only the person who started connecting Jobber can finish it. Start again from Blipp.",
) => new AppError("not_initiator", message);
export const notFound = (message: string) => new AppError("not_found", message);
export const methodNotAllowed = (method: string, allowed: readonly string[]) =>
  new AppError(
    "method_not_allowed",
    `Method ${JSON.stringify(method)} is not allowed here; use ${allowed.join(" or ")}.`,
  );
export const payloadTooLarge = (maxBytes: number) =>
  new AppError("payload_too_large", `The request body is larger than the ${maxBytes}-byte limit.`);
/** Our own database could not be reached: the caller should try again (Jobber retries a 503). */
export const serviceUnavailable = (
  message = "Blipp cannot record this right now; send it again in a moment.",
) => new AppError("service_unavailable", message);
export const notConnected = (message = "This business is not connected to Jobber.") =>
  new AppError("not_connected", message);
