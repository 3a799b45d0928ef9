// Backoff helpers shared by the OAuth and GraphQL clients. Randomness and sleeping are injected
// so tests are instant and deterministic.

export type Sleep = (ms: number) => Promise<void>;
export type Random = () => number;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * "Full jitter" exponential backoff: a random wait in [0, min(cap, base * 2^(attempt-1))).
 * Spreading retries over the whole window stops many workers retrying in lock-step.
 */
export function backoffDelay(attempt: number, random: Random, baseMs = 500, capMs = 30_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Retry-After as milliseconds (seconds or an HTTP date), or null when absent or unusable. */
export function retryAfterMs(header: string | null, now: Date): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now.getTime());
}

/**
 * True for fetch failures that happened before the request could reach the server (refused
 * connection, DNS failure). Only those are safe to retry for single-use credentials: after a
 * timeout or a dropped response the server may already have consumed the code or token.
 */
export function failedBeforeSending(err: unknown): boolean {
  if (!(err instanceof TypeError)) return false;
  const text = `${err.message} ${String((err as { cause?: unknown }).cause ?? "")}`;
  return /connection refused|ECONNREFUSED|tcp connect error|dns error|failed to lookup|ENOTFOUND|EAI_AGAIN|Name or service not known/i
    .test(text);
}

export function isTimeout(err: unknown): boolean {
  return err instanceof DOMException && (err.name === "TimeoutError" || err.name === "AbortError");
}
