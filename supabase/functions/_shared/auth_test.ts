import assert from "node:assert/strict";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { createJwks, verifyServiceRole, verifyUserJwt } from "./auth.ts";
import { AppError } from "./errors.ts";
import { hs256Jwt, jsonReply, stubFetch, TEST_SERVICE_ROLE_KEY, testConfig } from "./testing.ts";

const USER = "0f8c3a5e-2d4b-4f6a-8e1c-9b7d5a3c1e2f";

function withAuth(headers: Record<string, string>) {
  return new Request("http://fn.test/x", { method: "POST", headers });
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof AppError);
    return err;
  }
  throw new Error("expected a rejection");
}

Deno.test("verifyUserJwt accepts a signed-in user's HS256 token", async () => {
  const token = await hs256Jwt({
    sub: USER,
    role: "authenticated",
    aud: "authenticated",
    email: "owner@demo.test",
  });
  const user = await verifyUserJwt(withAuth({ Authorization: `Bearer ${token}` }), testConfig());
  assert.equal(user.userId, USER);
  assert.equal(user.claims.email, "owner@demo.test");
});

Deno.test("verifyUserJwt rejects missing, malformed, expired and wrongly signed tokens with 401", async () => {
  const config = testConfig();
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{}, /no bearer access token/],
    [{ Authorization: "Basic abc" }, /no bearer access token/],
    [{ Authorization: "Bearer not-a-jwt" }, /missing, expired or invalid/],
    [{
      Authorization: `Bearer ${await hs256Jwt({ sub: USER, role: "authenticated" }, {
        issuedAt: new Date(Date.now() - 7200_000),
        expiresAt: new Date(Date.now() - 3600_000),
      })}`,
    }, /has expired/],
    [{
      Authorization: `Bearer ${await hs256Jwt({ sub: USER, role: "authenticated" }, {
        secret: "x".repeat(40),
      })}`,
    }, /missing, expired or invalid/],
  ];
  for (const [headers, message] of cases) {
    const err = await rejection(verifyUserJwt(withAuth(headers), config));
    assert.equal(err.status, 401);
    assert.equal(err.code, "unauthenticated");
    assert.match(err.message, message);
  }
});

Deno.test("verifyUserJwt refuses anon and service-role tokens and tokens without a user id", async () => {
  const config = testConfig();
  for (
    const claims of [{ role: "anon", sub: USER }, { role: "service_role", sub: USER }, {
      role: "authenticated",
      sub: "admin",
    }]
  ) {
    const token = await hs256Jwt(claims);
    const err = await rejection(verifyUserJwt(withAuth({ Authorization: `Bearer ${token}` }), config));
    assert.equal(err.code, "unauthenticated");
  }
});

Deno.test("verifyUserJwt refuses an alg:none token", async () => {
  const header = btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "");
  const payload = btoa(
    JSON.stringify({ sub: USER, role: "authenticated", exp: Math.floor(Date.now() / 1000) + 600 }),
  ).replace(/=+$/, "");
  const err = await rejection(
    verifyUserJwt(withAuth({ Authorization: `Bearer ${header}.${payload}.` }), testConfig()),
  );
  assert.equal(err.code, "unauthenticated");
});

Deno.test("verifyUserJwt uses the project's JWKS when no JWT secret is configured", async () => {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "key-1", alg: "ES256", use: "sig" };
  const fetchJwks = stubFetch(() => jsonReply(200, { keys: [jwk] }));
  const config = testConfig({ JWT_SECRET: undefined });
  const token = await new SignJWT({ sub: USER, role: "authenticated" })
    .setProtectedHeader({ alg: "ES256", kid: "key-1" })
    .setExpirationTime("10m")
    .sign(privateKey);
  const jwks = createJwks(config, fetchJwks);
  const user = await verifyUserJwt(withAuth({ Authorization: `Bearer ${token}` }), config, { jwks });
  assert.equal(user.userId, USER);
  assert.equal(fetchJwks.calls[0]?.url, "http://127.0.0.1:54321/auth/v1/.well-known/jwks.json");

  // An HS256 token cannot pass in JWKS mode, whatever secret it was signed with.
  const hs = await hs256Jwt({ sub: USER, role: "authenticated" });
  const err = await rejection(verifyUserJwt(withAuth({ Authorization: `Bearer ${hs}` }), config, { jwks }));
  assert.equal(err.code, "unauthenticated");
});

Deno.test("verifyUserJwt answers 401 when the JWKS cannot be fetched", async () => {
  const config = testConfig({ JWT_SECRET: undefined });
  const { privateKey } = await generateKeyPair("ES256");
  const token = await new SignJWT({ sub: USER, role: "authenticated" }).setProtectedHeader({
    alg: "ES256",
    kid: "k",
  })
    .setExpirationTime("10m").sign(privateKey);
  const err = await rejection(verifyUserJwt(withAuth({ Authorization: `Bearer ${token}` }), config, {
    fetchJwks: stubFetch(() => new Response("down", { status: 503 })),
  }));
  assert.equal(err.code, "unauthenticated");
});

Deno.test("verifyServiceRole accepts the service key as bearer or apikey", async () => {
  const config = testConfig();
  await verifyServiceRole(withAuth({ Authorization: `Bearer ${TEST_SERVICE_ROLE_KEY}` }), config);
  await verifyServiceRole(withAuth({ apikey: TEST_SERVICE_ROLE_KEY }), config);
});

Deno.test("verifyServiceRole accepts an HS256 service_role JWT only when the secret is set", async () => {
  const token = await hs256Jwt({ role: "service_role" });
  await verifyServiceRole(withAuth({ Authorization: `Bearer ${token}` }), testConfig());
  const err = await rejection(
    verifyServiceRole(withAuth({ Authorization: `Bearer ${token}` }), testConfig({ JWT_SECRET: undefined })),
  );
  assert.equal(err.status, 401);
});

Deno.test("verifyServiceRole refuses user tokens, anon tokens, wrong keys and nothing", async () => {
  const config = testConfig();
  const headersList: Record<string, string>[] = [
    {},
    { Authorization: "Bearer wrong-key" },
    { apikey: `${TEST_SERVICE_ROLE_KEY}x` },
    { Authorization: `Bearer ${await hs256Jwt({ role: "anon" })}` },
    { Authorization: `Bearer ${await hs256Jwt({ role: "authenticated", sub: USER })}` },
  ];
  for (const headers of headersList) {
    const err = await rejection(verifyServiceRole(withAuth(headers), config));
    assert.equal(err.code, "unauthenticated");
    assert.equal(err.message, "This endpoint needs the service key.");
  }
});
