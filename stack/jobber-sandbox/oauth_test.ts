import assert from "node:assert/strict";
import { decodeJwt } from "jose";
import { accountIds, connect, consent, gqlRaw, REDIRECT, tokenRequest, withSandbox } from "./test_helpers.ts";

Deno.test("the consent page names the app, lists the accounts and offers Allow access and Deny", async () => {
  await withSandbox({}, async (s) => {
    const q = new URLSearchParams({
      response_type: "code",
      client_id: "blipp-local",
      redirect_uri: REDIRECT,
      state: "s1",
    });
    const res = await fetch(`${s.url}/api/oauth/authorize?${q}`);
    const page = await res.text();
    assert.equal(res.status, 200);
    assert.match(page, /Blipp/);
    assert.match(page, /type="radio" name="account_id"/);
    assert.match(page, /Sparkle Cleaning Co\./);
    assert.match(page, /<button type="submit" name="decision" value="allow">Allow access<\/button>/);
    assert.match(page, /<button type="submit" name="decision" value="deny">Deny<\/button>/);
  });
});

Deno.test("authorize rejects a redirect_uri that differs only by a trailing slash, without redirecting", async () => {
  await withSandbox({}, async (s) => {
    const q = new URLSearchParams({
      response_type: "code",
      client_id: "blipp-local",
      redirect_uri: `${REDIRECT}/`,
    });
    const res = await fetch(`${s.url}/api/oauth/authorize?${q}`, { redirect: "manual" });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get("location"), null);
    assert.match(await res.text(), /redirect uri/i);
    const wrongClient = await fetch(
      `${s.url}/api/oauth/authorize?${new URLSearchParams({
        response_type: "code",
        client_id: "other",
        redirect_uri: REDIRECT,
      })}`,
    );
    assert.equal(wrongClient.status, 400);
    await wrongClient.body?.cancel();
  });
});

Deno.test("deny redirects to the callback with no query parameters at all", async () => {
  await withSandbox({}, async (s) => {
    assert.equal(await consent(s, { decision: "deny", state: "abc" }), REDIRECT);
  });
});

Deno.test("allow redirects with a code and the given state, and with only a code when no state was given", async () => {
  await withSandbox({}, async (s) => {
    const withState = new URL(await consent(s, { state: "abc" }));
    assert.deepEqual([...withState.searchParams.keys()].sort(), ["code", "state"]);
    assert.equal(withState.searchParams.get("state"), "abc");
    const marketplace = new URL(await consent(s, { state: null }));
    assert.deepEqual([...marketplace.searchParams.keys()], ["code"]);
  });
});

Deno.test("the token response has only access_token and refresh_token, and the JWT exp honours the lifetime", async () => {
  await withSandbox({ accessTokenLifetimeSeconds: 1234 }, async (s) => {
    const code = new URL(await consent(s)).searchParams.get("code")!;
    const res = await tokenRequest(s, { grant_type: "authorization_code", code, redirect_uri: REDIRECT });
    const body = await res.json();
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(body).sort(), ["access_token", "refresh_token"]);
    const claims = decodeJwt(body.access_token);
    assert.equal(typeof claims.exp, "number");
    assert.equal(claims.exp! - claims.iat!, 1234);
    assert.equal(claims.account_id, (await accountIds(s))[0]);
    assert.equal(typeof claims.app_id, "string");
  });
});

Deno.test("an access token past its exp is answered 401", async () => {
  await withSandbox({ accessTokenLifetimeSeconds: 1 }, async (s) => {
    const t = await connect(s);
    const ok = await gqlRaw(s, t.access_token, "{ account { id } }");
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    await new Promise((r) => setTimeout(r, 1100));
    const expired = await gqlRaw(s, t.access_token, "{ account { id } }");
    assert.equal(expired.status, 401);
    assert.deepEqual(await expired.json(), { message: "Unauthorized" });
  });
});

Deno.test("an authorization code works once and only with the redirect_uri it was issued for", async () => {
  await withSandbox({ redirectUris: [REDIRECT, "http://127.0.0.1:2/other"] }, async (s) => {
    const code = new URL(await consent(s)).searchParams.get("code")!;
    const wrongUri = await tokenRequest(s, {
      grant_type: "authorization_code",
      code,
      redirect_uri: "http://127.0.0.1:2/other",
    });
    assert.equal(wrongUri.status, 400);
    assert.equal((await wrongUri.json()).error, "invalid_grant");

    const code2 = new URL(await consent(s)).searchParams.get("code")!;
    const first = await tokenRequest(s, {
      grant_type: "authorization_code",
      code: code2,
      redirect_uri: REDIRECT,
    });
    assert.equal(first.status, 200);
    await first.body?.cancel();
    const again = await tokenRequest(s, {
      grant_type: "authorization_code",
      code: code2,
      redirect_uri: REDIRECT,
    });
    assert.equal(again.status, 400);
    assert.equal((await again.json()).error, "invalid_grant");
  });
});

Deno.test("refresh rotates the refresh token and rejects the previous one with Jobber's message", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    const res = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: t.refresh_token });
    const next = await res.json();
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(next).sort(), ["access_token", "refresh_token"]);
    assert.notEqual(next.refresh_token, t.refresh_token);
    const reused = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: t.refresh_token });
    assert.equal(reused.status, 400);
    assert.deepEqual(await reused.json(), {
      error: "invalid_grant",
      error_description: "The provided refresh token is not valid.",
    });
    const counters = await (await fetch(`${s.url}/_sandbox/counters`)).json();
    assert.deepEqual(counters.tokenCalls, { authorization_code: 1, refresh_token: 2 });
  });
});

Deno.test("a wrong client secret is answered 401 invalid_client", async () => {
  await withSandbox({}, async (s) => {
    const res = await tokenRequest(s, {
      grant_type: "refresh_token",
      refresh_token: "x",
      client_secret: "nope",
    });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { error: "invalid_client" });
  });
});

Deno.test("failNext.token5xx makes the next token call fail with a 5xx, then recovers", async () => {
  await withSandbox({}, async (s) => {
    const t = await connect(s);
    await (await fetch(`${s.url}/_sandbox/faults`, {
      method: "PUT",
      body: JSON.stringify({ failNext: { token5xx: 1 } }),
    })).body?.cancel();
    const failed = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: t.refresh_token });
    assert.equal(failed.status, 503);
    await failed.body?.cancel();
    const ok = await tokenRequest(s, { grant_type: "refresh_token", refresh_token: t.refresh_token });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
  });
});
