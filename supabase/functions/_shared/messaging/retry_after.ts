// When a provider says "later": Retry-After (seconds or an HTTP date) wins, else a default.
import { retryAfterMs } from "../jobber/retry.ts";

export const DEFAULT_RATE_LIMIT_WAIT_MS = 1_000;
export const DEFAULT_SERVER_ERROR_WAIT_MS = 2_000;

export function laterFrom(headers: Headers, now: Date, fallbackMs: number): Date {
  const ms = retryAfterMs(headers.get("retry-after"), now);
  return new Date(now.getTime() + (ms ?? fallbackMs));
}
