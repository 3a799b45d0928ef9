// All configuration comes from environment variables and is validated here, once, at start-up.
// This is the only module that reads Deno.env.
import { z } from "zod";

export interface Config {
  /** Jobber's origin, without a trailing slash. Only this decides which Jobber we talk to. */
  readonly jobberApiBase: string;
  readonly jobberClientId: string;
  /** Also the key of Jobber's webhook HMACs. */
  readonly jobberClientSecret: string;
  /** Pinned X-JOBBER-GRAPHQL-VERSION (YYYY-MM-DD). */
  readonly jobberGraphqlVersion: string;
  /** Sent to Jobber byte for byte; must equal the callback URL registered on the app. */
  readonly jobberRedirectUri: string;
  readonly jobber: {
    readonly authorizeUrl: string;
    readonly tokenUrl: string;
    readonly graphqlUrl: string;
  };
  /**
   * The dashboard origin: CORS origin, postMessage target, where the callback lands. Required
   * unless the functions run on this machine (SUPABASE_URL on a loopback address).
   */
  readonly appOrigin: string;
  readonly supabaseUrl: string;
  readonly supabaseDbUrl: string;
  readonly supabaseServiceRoleKey: string;
  /** HS256 secret for user JWTs; null means verify against the project's JWKS instead. */
  readonly jwtSecret: string | null;
  readonly jwksUrl: string;
}

import { ConfigError, type Env } from "./config_error.ts";
export { ConfigError, type Env };

export const DEFAULTS = {
  JOBBER_API_BASE: "http://127.0.0.1:54330",
  JOBBER_CLIENT_ID: "blipp-local",
  JOBBER_GRAPHQL_VERSION: "2025-04-16",
  APP_ORIGIN: "http://localhost:5173",
} as const;

// An empty variable (`FOO=` in a .env file) means "not set", so defaults still apply.
const optional = z.preprocess(
  (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
  z.string().optional(),
);
const required = z.preprocess(
  (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
  z.string({ error: (iss) => (iss.input === undefined ? "is required" : "must be a string") }),
);

const envSchema = z.object({
  JOBBER_API_BASE: optional,
  JOBBER_CLIENT_ID: optional,
  JOBBER_CLIENT_SECRET: required,
  JOBBER_GRAPHQL_VERSION: optional,
  JOBBER_REDIRECT_URI: optional,
  APP_ORIGIN: optional,
  SUPABASE_URL: required,
  SUPABASE_DB_URL: required,
  SUPABASE_SERVICE_ROLE_KEY: required,
  JWT_SECRET: optional,
  SUPABASE_JWT_SECRET: optional,
});

function httpUrl(variable: string, value: string, quote = true): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(
      variable,
      quote ? `must be an http(s) URL, got ${JSON.stringify(value)}` : "must be an http(s) URL",
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(variable, `must use http or https, got ${JSON.stringify(url.protocol)}`);
  }
  return url;
}

function noSurroundingWhitespace(variable: string, value: string, hint: string): string {
  if (value !== value.trim()) throw new ConfigError(variable, `has leading or trailing whitespace; ${hint}`);
  return value;
}

const withoutTrailingSlash = (value: string) => value.replace(/\/+$/, "");

function parseOrigin(variable: string, value: string): string {
  noSurroundingWhitespace(variable, value, "remove it");
  const url = httpUrl(variable, value);
  // A bare origin (optionally with one trailing slash) is all CORS and postMessage can use.
  if (url.pathname !== "/" || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(
      variable,
      `must be an origin such as https://app.example.com with no path, got ${JSON.stringify(value)}`,
    );
  }
  return url.origin;
}

// Where the functions run on this machine: the repo's stack (127.0.0.1 / localhost) or the Supabase
// CLI's own local stack, whose functions reach the API through the `kong` container.
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "kong"]);

function isLocalProject(supabaseUrl: string): boolean {
  return LOCAL_HOSTS.has(new URL(supabaseUrl).hostname);
}

/**
 * APP_ORIGIN falls back to the local demo page only on this machine: a deployed project that
 * forgot it would otherwise send every callback, CORS answer and postMessage to localhost.
 */
function parseAppOrigin(value: string | undefined, supabaseUrl: string): string {
  if (value !== undefined) return parseOrigin("APP_ORIGIN", value);
  if (isLocalProject(supabaseUrl)) return parseOrigin("APP_ORIGIN", DEFAULTS.APP_ORIGIN);
  throw new ConfigError(
    "APP_ORIGIN",
    `is required when the functions do not run locally (SUPABASE_URL is ${supabaseUrl}); set it to the dashboard's origin, e.g. https://app.example.com`,
  );
}

function parseVersion(value: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = match ? new Date(`${value}T00:00:00Z`) : null;
  if (!match || !date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
    throw new ConfigError(
      "JOBBER_GRAPHQL_VERSION",
      `must be a date like 2025-04-16, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function parseDbUrl(value: string): string {
  noSurroundingWhitespace("SUPABASE_DB_URL", value, "remove it");
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  // The value embeds the database password, so it is never quoted back.
  if (!url || (url.protocol !== "postgres:" && url.protocol !== "postgresql:")) {
    throw new ConfigError("SUPABASE_DB_URL", "must be a postgres:// or postgresql:// connection URL");
  }
  return value;
}

function parseJwtSecret(env: z.infer<typeof envSchema>): string | null {
  // JWT_SECRET wins: hosted Supabase reserves SUPABASE_* names for its own secrets, so a
  // project-set secret can only be called JWT_SECRET there; SUPABASE_JWT_SECRET is what the
  // local stack and older setups provide.
  const variable = env.JWT_SECRET !== undefined ? "JWT_SECRET" : "SUPABASE_JWT_SECRET";
  const value = env.JWT_SECRET ?? env.SUPABASE_JWT_SECRET;
  if (value === undefined) return null;
  noSurroundingWhitespace(variable, value, "paste the secret again without spaces or newlines");
  if (value.length < 32) throw new ConfigError(variable, "must be at least 32 characters long");
  return value;
}

/** Validates `env` and returns a frozen config; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? "environment");
    throw new ConfigError(variable, issue?.message ?? "is invalid");
  }
  const e = parsed.data;

  const clientSecret = noSurroundingWhitespace(
    "JOBBER_CLIENT_SECRET",
    e.JOBBER_CLIENT_SECRET,
    "paste the secret again without spaces or newlines (Jobber answers an opaque invalid_client otherwise)",
  );
  const clientId = noSurroundingWhitespace(
    "JOBBER_CLIENT_ID",
    e.JOBBER_CLIENT_ID ?? DEFAULTS.JOBBER_CLIENT_ID,
    "remove it",
  );
  const apiBaseRaw = e.JOBBER_API_BASE ?? DEFAULTS.JOBBER_API_BASE;
  noSurroundingWhitespace("JOBBER_API_BASE", apiBaseRaw, "remove it");
  const apiBase = withoutTrailingSlash(httpUrl("JOBBER_API_BASE", apiBaseRaw).href);

  const supabaseUrlRaw = e.SUPABASE_URL;
  noSurroundingWhitespace("SUPABASE_URL", supabaseUrlRaw, "remove it");
  const supabaseUrl = withoutTrailingSlash(httpUrl("SUPABASE_URL", supabaseUrlRaw).href);

  // Jobber compares redirect_uri byte for byte, so a given value is used exactly as written.
  const redirectUri = e.JOBBER_REDIRECT_URI ?? `${supabaseUrl}/functions/v1/jobber-callback`;
  noSurroundingWhitespace(
    "JOBBER_REDIRECT_URI",
    redirectUri,
    "Jobber compares it byte for byte with the registered callback URL",
  );
  httpUrl("JOBBER_REDIRECT_URI", redirectUri);

  const serviceRoleKey = noSurroundingWhitespace(
    "SUPABASE_SERVICE_ROLE_KEY",
    e.SUPABASE_SERVICE_ROLE_KEY,
    "paste the key again without spaces or newlines",
  );

  const config: Config = {
    jobberApiBase: apiBase,
    jobberClientId: clientId,
    jobberClientSecret: clientSecret,
    jobberGraphqlVersion: parseVersion(e.JOBBER_GRAPHQL_VERSION ?? DEFAULTS.JOBBER_GRAPHQL_VERSION),
    jobberRedirectUri: redirectUri,
    jobber: {
      authorizeUrl: `${apiBase}/api/oauth/authorize`,
      tokenUrl: `${apiBase}/api/oauth/token`,
      graphqlUrl: `${apiBase}/api/graphql`,
    },
    appOrigin: parseAppOrigin(e.APP_ORIGIN, supabaseUrl),
    supabaseUrl,
    supabaseDbUrl: parseDbUrl(e.SUPABASE_DB_URL),
    supabaseServiceRoleKey: serviceRoleKey,
    jwtSecret: parseJwtSecret(e),
    jwksUrl: `${supabaseUrl}/auth/v1/.well-known/jwks.json`,
  };
  Object.freeze(config.jobber);
  return Object.freeze(config);
}

export function loadConfigFromDeno(): Config {
  return loadConfig(Deno.env.toObject());
}
