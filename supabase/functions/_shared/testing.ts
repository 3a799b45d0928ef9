// Test doubles shared by the *_test.ts files: a recording fetch stub, a manual clock and sleep.
import { SignJWT } from "jose";
import type { Config } from "./config.ts";
import { loadConfig } from "./config.ts";

export interface RecordedCall {
  url: string;
  method: string;
  headers: Headers;
  body: string;
}

export type Responder = (call: RecordedCall, index: number) => Response | Promise<Response>;

/** A fetch that never leaves the process: answers from `responders` in order (the last repeats). */
export function stubFetch(...responders: Responder[]): typeof fetch & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const fn = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const call: RecordedCall = {
      url: request.url,
      method: request.method,
      headers: request.headers,
      body: init?.body === undefined || init.body === null ? "" : await request.text(),
    };
    calls.push(call);
    const responder = responders[Math.min(calls.length - 1, responders.length - 1)];
    if (!responder) throw new Error("stubFetch has no responder");
    return await responder(call, calls.length - 1);
  };
  return Object.assign(fn as typeof fetch, { calls });
}

export function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A clock that only moves when told to, plus a sleep that advances it and records each wait. */
export function manualClock(start = "2025-10-12T03:00:00.000Z") {
  let current = new Date(start).getTime();
  const sleeps: number[] = [];
  return {
    now: () => new Date(current),
    advance: (ms: number) => {
      current += ms;
    },
    sleep: (ms: number) => {
      sleeps.push(ms);
      current += ms;
      return Promise.resolve();
    },
    sleeps,
  };
}

export const TEST_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";
export const TEST_SERVICE_ROLE_KEY = "service-role-key-for-tests-only";
export const TEST_CLIENT_SECRET = "jobber-client-secret-for-tests";

export function testEnv(
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    JOBBER_CLIENT_SECRET: TEST_CLIENT_SECRET,
    SUPABASE_URL: "http://127.0.0.1:54321",
    SUPABASE_DB_URL: "postgresql://postgres:postgres@127.0.0.1:54322/postgres",
    SUPABASE_SERVICE_ROLE_KEY: TEST_SERVICE_ROLE_KEY,
    JWT_SECRET: TEST_JWT_SECRET,
    ...overrides,
  };
}

export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig(testEnv(overrides));
}

export async function hs256Jwt(
  claims: Record<string, unknown>,
  options: { secret?: string; expiresAt?: Date; issuedAt?: Date } = {},
): Promise<string> {
  const issuedAt = options.issuedAt ?? new Date();
  const expiresAt = options.expiresAt ?? new Date(issuedAt.getTime() + 3600_000);
  return await new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}
