// Failures talking to Jobber. They extend AppError so a handler that lets one escape still
// answers with the right code: jobber_error (502), jobber_unavailable (503) or not_connected (422).
import { AppError } from "../errors.ts";

/** Jobber answered, but not with something we can use (HTTP 4xx we did not expect, odd shapes). */
export class JobberError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("jobber_error", message, options);
    this.name = "JobberError";
  }
}

/** A GraphQL error, or a result whose shape we do not recognise. */
export class JobberGraphQLError extends JobberError {
  constructor(
    message: string,
    readonly graphqlErrors: readonly unknown[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "JobberGraphQLError";
  }
}

/** Jobber could not be reached, timed out, failed with 5xx, or kept rate-limiting us. */
export class JobberUnavailableError extends AppError {
  constructor(
    message = "Jobber could not be reached; try again in a minute.",
    options?: { cause?: unknown },
  ) {
    super("jobber_unavailable", message, options);
    this.name = "JobberUnavailableError";
  }
}

/**
 * - invalid_grant: the code or refresh token is dead; the owner must reconnect.
 * - invalid_client: our client id / secret are wrong (configuration, not the user's fault).
 * - rejected: Jobber refused the code exchange for another reason (e.g. redirect_uri mismatch).
 * - unauthorized: the access token was refused even after a refresh.
 */
export type JobberAuthErrorKind = "invalid_grant" | "invalid_client" | "rejected" | "unauthorized";

export class JobberAuthError extends JobberError {
  constructor(readonly kind: JobberAuthErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "JobberAuthError";
  }

  /** True when only a new OAuth connection can fix it. */
  get reconnectRequired(): boolean {
    return this.kind === "invalid_grant" || this.kind === "unauthorized";
  }
}

// Jobber's words for "this connection is gone from our side": after a disconnect (jobber-api §6)
// and for an account that is no longer active.
const DISCONNECTED_PATTERN = /User has disconnected this app|This account is not active/i;

/** True when Jobber's answer says the app was disconnected or the account is inactive. */
export function saysDisconnected(text: string): boolean {
  return DISCONNECTED_PATTERN.test(text);
}

/**
 * Jobber says the app was disconnected or the account is inactive: stop, delete the tokens
 * (jobberSaysDisconnected in ./disconnected.ts). Raised only on Jobber's own word - a refresh
 * token Jobber merely refuses is a reconnect prompt, not this.
 */
export class JobberDisconnectedError extends AppError {
  constructor(
    message = "Jobber says this app is no longer connected to the account; connect Jobber again.",
    options?: { cause?: unknown },
  ) {
    super("not_connected", message, options);
    this.name = "JobberDisconnectedError";
  }
}

/** A short, log- and user-safe excerpt of what Jobber said (JWT-looking strings removed). */
export function excerpt(text: string, max = 200): string {
  const clean = text.replace(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)?/g, "[token]").replace(
    /\s+/g,
    " ",
  ).trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
