import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { createLogger } from "../log.ts";
import { jsonReply, manualClock, stubFetch, TEST_CLIENT_SECRET, testConfig } from "../testing.ts";
import { JobberAuthError, JobberError, JobberUnavailableError } from "./errors.ts";
import { accessTokenExpiry, buildAuthorizeUrl, exchangeCode, refreshTokens } from "./oauth.ts";

const config = testConfig({ JOBBER_REDIRECT_URI: "https://proj.supabase.co/functions/v1/jobber-callback" });

async function jobberAccessToken(exp: number): Promise<string> {
  return await new SignJWT({ sub: "1", account_id: "acc" }).setProtectedHeader({ alg: "HS256" })
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode("jobber-signs-its-own-tokens-with-this-key"));
}

async function rejection<T extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof type, `expected ${type.name}, got ${err}`);
    return err;
  }
  throw new Error("expected a rejection");
}

Deno.test("buildAuthorizeUrl carries response_type, client_id, the exact redirect_uri and state", () => {
  const url = new URL(buildAuthorizeUrl(config, "nonce-123"));
  assert.equal(url.origin + url.pathname, "http://127.0.0.1:54330/api/oauth/authorize");
  assert.equal(url.searchParams.get("response_type"), "code");
  assert.equal(url.searchParams.get("client_id"), "blipp-local");
  assert.equal(url.searchParams.get("redirect_uri"), "https://proj.supabase.co/functions/v1/jobber-callback");
  assert.equal(url.searchParams.get("state"), "nonce-123");
  assert.equal(new URL(buildAuthorizeUrl(config)).searchParams.has("state"), false);
});

Deno.test("exchangeCode posts a form with credentials in the body and reads expiry from the JWT exp", async () => {
  const exp = Math.floor(Date.parse("2025-10-12T04:27:49Z") / 1000);
  const access = await jobberAccessToken(exp);
  const fetch = stubFetch(() => jsonReply(200, { access_token: access, refresh_token: "r-1", extra: true }));
  const tokens = await exchangeCode(config, "code-abc", { fetch });
  assert.deepEqual(tokens, { accessToken: access, refreshToken: "r-1", expiresAt: new Date(exp * 1000) });

  const call = fetch.calls[0]!;
  assert.equal(call.url, "http://127.0.0.1:54330/api/oauth/token");
  assert.equal(call.method, "POST");
  assert.equal(call.headers.get("content-type"), "application/x-www-form-urlencoded");
  assert.equal(call.headers.get("authorization"), null);
  const form = new URLSearchParams(call.body);
  assert.equal(form.get("grant_type"), "authorization_code");
  assert.equal(form.get("client_id"), "blipp-local");
  assert.equal(form.get("client_secret"), TEST_CLIENT_SECRET);
  assert.equal(form.get("code"), "code-abc");
  assert.equal(form.get("redirect_uri"), "https://proj.supabase.co/functions/v1/jobber-callback");
});

Deno.test("refreshTokens sends the refresh grant and tolerates expires_at and warning", async () => {
  const exp = Math.floor(Date.parse("2025-10-12T05:00:00Z") / 1000);
  const access = await jobberAccessToken(exp);
  const fetch = stubFetch(() =>
    jsonReply(200, {
      access_token: access,
      refresh_token: "r-2",
      expires_at: "2024-04-09 21:04:31 UTC",
      warning: "Refresh token rotation is off",
    })
  );
  const lines: string[] = [];
  const tokens = await refreshTokens(config, "r-1", {
    fetch,
    logger: createLogger("t", (l) => lines.push(l)),
  });
  assert.equal(tokens.refreshToken, "r-2");
  assert.equal(tokens.expiresAt.toISOString(), "2025-10-12T05:00:00.000Z");
  const form = new URLSearchParams(fetch.calls[0]!.body);
  assert.equal(form.get("grant_type"), "refresh_token");
  assert.equal(form.get("refresh_token"), "r-1");
  assert.ok(lines.some((l) => l.includes("jobber_token_warning")));
  const all = lines.join("\n");
  for (const secret of ["r-1", "r-2", access, TEST_CLIENT_SECRET]) assert.equal(all.includes(secret), false);
});

Deno.test("accessTokenExpiry falls back to one hour when the token has no readable exp", () => {
  const now = new Date("2025-10-12T03:00:00Z");
  assert.equal(accessTokenExpiry("opaque-token", now).toISOString(), "2025-10-12T04:00:00.000Z");
});

Deno.test("a refused refresh token means reconnect, quoting Jobber's message", async () => {
  const fetch = stubFetch(() =>
    jsonReply(400, { error: "invalid_grant", error_description: "The provided refresh token is not valid." })
  );
  const err = await rejection(refreshTokens(config, "dead", { fetch }), JobberAuthError);
  assert.equal(err.kind, "invalid_grant");
  assert.equal(err.reconnectRequired, true);
  assert.equal(err.code, "jobber_error");
  assert.match(err.message, /Jobber refused the refresh token .*"The provided refresh token is not valid\."/);
  assert.equal(err.message.includes("dead"), false);
  assert.equal(fetch.calls.length, 1, "never retried");
});

Deno.test("any other 4xx on refresh also means reconnect", async () => {
  const fetch = stubFetch(() => new Response("nope", { status: 403 }));
  const err = await rejection(refreshTokens(config, "r", { fetch }), JobberAuthError);
  assert.equal(err.kind, "invalid_grant");
});

Deno.test("invalid_client points at the app credentials", async () => {
  const fetch = stubFetch(() => jsonReply(401, { error: "invalid_client" }));
  const err = await rejection(exchangeCode(config, "c", { fetch }), JobberAuthError);
  assert.equal(err.kind, "invalid_client");
  assert.match(err.message, /JOBBER_CLIENT_SECRET/);
  assert.equal(err.message.includes(TEST_CLIENT_SECRET), false);
});

Deno.test("a used code is invalid_grant; other refusals are 'rejected'", async () => {
  const used = await rejection(
    exchangeCode(config, "c", { fetch: stubFetch(() => jsonReply(400, { error: "invalid_grant" })) }),
    JobberAuthError,
  );
  assert.equal(used.kind, "invalid_grant");
  assert.match(used.message, /^Cannot exchange authorization code: Jobber answered 400 "invalid_grant"/);
  const mismatch = await rejection(
    exchangeCode(config, "c", {
      fetch: stubFetch(() =>
        jsonReply(400, { error: "invalid_request", error_description: "redirect_uri mismatch" })
      ),
    }),
    JobberAuthError,
  );
  assert.equal(mismatch.kind, "rejected");
});

Deno.test("a code exchange is retried after a refused connection, never after a timeout or 5xx", async () => {
  const clock = manualClock();
  const deps = { sleep: clock.sleep, now: clock.now, random: () => 0.5 };
  const refused = stubFetch(
    () =>
      Promise.reject(
        new TypeError("error sending request: client error (Connect): tcp connect error: Connection refused"),
      ),
    () => jsonReply(200, { access_token: "a", refresh_token: "r" }),
  );
  assert.equal((await exchangeCode(config, "c", { ...deps, fetch: refused })).refreshToken, "r");
  assert.equal(refused.calls.length, 2);

  const timedOut = stubFetch(() => Promise.reject(new DOMException("Signal timed out.", "TimeoutError")));
  const err = await rejection(
    exchangeCode(config, "c", { ...deps, fetch: timedOut }),
    JobberUnavailableError,
  );
  assert.equal(err.code, "jobber_unavailable");
  assert.equal(err.status, 503);
  assert.match(err.message, /did not answer within 10 seconds/);
  assert.equal(timedOut.calls.length, 1);

  const failing = stubFetch(() => new Response("oops", { status: 500 }));
  await rejection(exchangeCode(config, "c", { ...deps, fetch: failing }), JobberUnavailableError);
  assert.equal(failing.calls.length, 1);
});

Deno.test("429 is retried with Retry-After, then reported as unavailable", async () => {
  const clock = manualClock();
  const fetch = stubFetch(() => new Response("slow down", { status: 429, headers: { "retry-after": "2" } }));
  await rejection(
    refreshTokens(config, "r", { fetch, sleep: clock.sleep, now: clock.now, random: () => 0 }),
    JobberUnavailableError,
  );
  assert.equal(fetch.calls.length, 3);
  assert.deepEqual(clock.sleeps, [2000, 2000]);
});

Deno.test("a 200 without tokens is a jobber_error naming what is missing", async () => {
  const err = await rejection(
    exchangeCode(config, "c", { fetch: stubFetch(() => jsonReply(200, { access_token: "a" })) }),
    JobberError,
  );
  assert.equal(err.code, "jobber_error");
  assert.match(err.message, /no usable refresh_token/);
});

Deno.test("the request is aborted after the timeout", async () => {
  const fetch = stubFetch((call) => {
    void call;
    return new Promise<Response>(() => {});
  });
  // A fetch that honours the signal, as the real one does.
  const honouring: typeof globalThis.fetch = (input, init) =>
    new Promise((resolve, reject) => {
      init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      void fetch(input, init).then(resolve);
    });
  const err = await rejection(
    exchangeCode(config, "c", { fetch: honouring, timeoutMs: 20 }),
    JobberUnavailableError,
  );
  assert.match(err.message, /did not answer within/);
});
