import assert from "node:assert/strict";
import { loadConfig } from "./config.ts";
import { TEST_CLIENT_SECRET, testEnv } from "./testing.ts";

Deno.test("applies local defaults and derives Jobber endpoints", () => {
  const config = loadConfig(testEnv({ JWT_SECRET: undefined }));
  assert.equal(config.jobberApiBase, "http://127.0.0.1:54330");
  assert.equal(config.jobberClientId, "blipp-local");
  assert.equal(config.jobberClientSecret, TEST_CLIENT_SECRET);
  assert.equal(config.jobberGraphqlVersion, "2025-04-16");
  assert.equal(config.jobberRedirectUri, "http://127.0.0.1:54321/functions/v1/jobber-callback");
  assert.equal(config.appOrigin, "http://localhost:5173");
  assert.deepEqual(config.jobber, {
    authorizeUrl: "http://127.0.0.1:54330/api/oauth/authorize",
    tokenUrl: "http://127.0.0.1:54330/api/oauth/token",
    graphqlUrl: "http://127.0.0.1:54330/api/graphql",
  });
  assert.equal(config.jwtSecret, null);
  assert.equal(config.jwksUrl, "http://127.0.0.1:54321/auth/v1/.well-known/jwks.json");
});

Deno.test("returns a deeply frozen object", () => {
  const config = loadConfig(testEnv());
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.jobber));
  assert.throws(() => {
    (config as { appOrigin: string }).appOrigin = "https://evil.test";
  }, TypeError);
});

Deno.test("uses real Jobber when JOBBER_API_BASE says so, without a trailing slash", () => {
  const config = loadConfig(testEnv({ JOBBER_API_BASE: "https://api.getjobber.com/" }));
  assert.equal(config.jobber.tokenUrl, "https://api.getjobber.com/api/oauth/token");
});

Deno.test("names the missing variable", () => {
  for (
    const name of ["JOBBER_CLIENT_SECRET", "SUPABASE_URL", "SUPABASE_DB_URL", "SUPABASE_SERVICE_ROLE_KEY"]
  ) {
    assert.throws(() => loadConfig(testEnv({ [name]: undefined })), {
      message: `Invalid configuration: ${name} is required`,
    });
    assert.throws(() => loadConfig(testEnv({ [name]: "   " })), {
      message: `Invalid configuration: ${name} is required`,
    });
  }
});

Deno.test("rejects a client secret pasted with whitespace, without echoing it", () => {
  const err = (() => {
    try {
      loadConfig(testEnv({ JOBBER_CLIENT_SECRET: "abc123\n" }));
    } catch (e) {
      return e as Error;
    }
    throw new Error("expected a failure");
  })();
  assert.match(
    err.message,
    /^Invalid configuration: JOBBER_CLIENT_SECRET has leading or trailing whitespace/,
  );
  assert.equal(err.message.includes("abc123"), false);
});

Deno.test("uses an explicit redirect URI byte for byte but refuses surrounding whitespace", () => {
  const uri = "https://proj.supabase.co/functions/v1/jobber-callback";
  assert.equal(loadConfig(testEnv({ JOBBER_REDIRECT_URI: uri })).jobberRedirectUri, uri);
  assert.throws(
    () => loadConfig(testEnv({ JOBBER_REDIRECT_URI: `${uri}\n` })),
    /JOBBER_REDIRECT_URI has leading or trailing whitespace/,
  );
});

Deno.test("requires APP_ORIGIN when the functions do not run on this machine", () => {
  assert.throws(
    () => loadConfig(testEnv({ SUPABASE_URL: "https://abcdefghijklmnop.supabase.co", APP_ORIGIN: undefined })),
    {
      message:
        "Invalid configuration: APP_ORIGIN is required when the functions do not run locally (SUPABASE_URL is https://abcdefghijklmnop.supabase.co); set it to the dashboard's origin, e.g. https://app.example.com",
    },
  );
  assert.throws(
    () => loadConfig(testEnv({ SUPABASE_URL: "https://abcdefghijklmnop.supabase.co", APP_ORIGIN: " " })),
    /APP_ORIGIN is required/,
  );
  const deployed = loadConfig(
    testEnv({ SUPABASE_URL: "https://abcdefghijklmnop.supabase.co", APP_ORIGIN: "https://app.blipp.test" }),
  );
  assert.equal(deployed.appOrigin, "https://app.blipp.test");
});

Deno.test("defaults APP_ORIGIN to the local demo page only for a local SUPABASE_URL", () => {
  for (const url of ["http://127.0.0.1:54321", "http://localhost:54321", "http://[::1]:54321", "http://kong:8000"]) {
    assert.equal(loadConfig(testEnv({ SUPABASE_URL: url, APP_ORIGIN: undefined })).appOrigin, "http://localhost:5173", url);
  }
});

Deno.test("APP_ORIGIN must be a bare origin", () => {
  assert.equal(
    loadConfig(testEnv({ APP_ORIGIN: "https://app.blipp.test/" })).appOrigin,
    "https://app.blipp.test",
  );
  assert.throws(
    () => loadConfig(testEnv({ APP_ORIGIN: "https://app.blipp.test/dashboard" })),
    {
      message:
        'Invalid configuration: APP_ORIGIN must be an origin such as https://app.example.com with no path, got "https://app.blipp.test/dashboard"',
    },
  );
  assert.throws(
    () => loadConfig(testEnv({ APP_ORIGIN: "not a url" })),
    /APP_ORIGIN must be an http\(s\) URL/,
  );
});

Deno.test("JOBBER_GRAPHQL_VERSION must be a real YYYY-MM-DD date", () => {
  assert.equal(
    loadConfig(testEnv({ JOBBER_GRAPHQL_VERSION: "2024-06-10" })).jobberGraphqlVersion,
    "2024-06-10",
  );
  for (const bad of ["2025-4-16", "2025-02-30", "latest"]) {
    assert.throws(() => loadConfig(testEnv({ JOBBER_GRAPHQL_VERSION: bad })), {
      message: `Invalid configuration: JOBBER_GRAPHQL_VERSION must be a date like 2025-04-16, got ${
        JSON.stringify(bad)
      }`,
    });
  }
});

Deno.test("SUPABASE_DB_URL must be a postgres URL and is never quoted back", () => {
  const err = (() => {
    try {
      loadConfig(testEnv({ SUPABASE_DB_URL: "mysql://root:topsecret@db/x" }));
    } catch (e) {
      return e as Error;
    }
    throw new Error("expected a failure");
  })();
  assert.equal(
    err.message,
    "Invalid configuration: SUPABASE_DB_URL must be a postgres:// or postgresql:// connection URL",
  );
});

Deno.test("JWT_SECRET takes precedence over SUPABASE_JWT_SECRET", () => {
  const a = "a".repeat(40);
  const b = "b".repeat(40);
  assert.equal(loadConfig(testEnv({ JWT_SECRET: a, SUPABASE_JWT_SECRET: b })).jwtSecret, a);
  assert.equal(loadConfig(testEnv({ JWT_SECRET: undefined, SUPABASE_JWT_SECRET: b })).jwtSecret, b);
  assert.equal(loadConfig(testEnv({ JWT_SECRET: "", SUPABASE_JWT_SECRET: b })).jwtSecret, b);
  assert.throws(() => loadConfig(testEnv({ JWT_SECRET: "short" })), {
    message: "Invalid configuration: JWT_SECRET must be at least 32 characters long",
  });
});

Deno.test("empty optional variables fall back to their defaults", () => {
  const config = loadConfig(testEnv({ JOBBER_API_BASE: "", APP_ORIGIN: "", JOBBER_CLIENT_ID: "" }));
  assert.equal(config.jobberApiBase, "http://127.0.0.1:54330");
  assert.equal(config.appOrigin, "http://localhost:5173");
  assert.equal(config.jobberClientId, "blipp-local");
});
