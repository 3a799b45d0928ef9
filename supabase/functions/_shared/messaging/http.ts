// One provider call: fetch with a timeout, the answer read as text. Failures are classified by
// whether the request could have reached the provider, which decides if a retry is safe.
import { failedBeforeSending, isTimeout } from "../jobber/retry.ts";

export const DEFAULT_TIMEOUT_MS = 15_000;

export type ProviderAnswer =
  | { ok: true; status: number; text: string; headers: Headers }
  /** `reachedProvider`: the request may have been received (timeout, dropped answer). */
  | { ok: false; reachedProvider: boolean; reason: string };

export async function call(
  fetchImpl: typeof fetch,
  url: string,
  init: RequestInit,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<ProviderAnswer> {
  try {
    const res = await fetchImpl(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    return { ok: true, status: res.status, text, headers: res.headers };
  } catch (err) {
    if (failedBeforeSending(err)) return { ok: false, reachedProvider: false, reason: "connection refused" };
    return { ok: false, reachedProvider: true, reason: isTimeout(err) ? "timed out" : "the connection dropped" };
  }
}
