// Every knob of the local stack, read once from the environment and validated, failing fast with
// the variable's name. Defaults are the fixed local values of SPEC §8.
import { z } from "zod";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
export const DEFAULT_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";
export const SANDBOX_CLIENT_ID = "blipp-local";
// The sandbox app's documented local secret (README). Not a real credential anywhere.
export const SANDBOX_CLIENT_SECRET = "blipp-local-sandbox-secret";

const port = (name: string, fallback: number) =>
  z.coerce.number({ error: `${name} must be a port number` }).int(`${name} must be a whole number`)
    .min(0, `${name} must be between 0 and 65535`).max(65535, `${name} must be between 0 and 65535`)
    .default(fallback);

const schema = z.object({
  DB_PORT: port("DB_PORT", 54322),
  GATEWAY_PORT: port("GATEWAY_PORT", 54321),
  SANDBOX_PORT: port("SANDBOX_PORT", 54330),
  MESSAGING_SANDBOX_PORT: port("MESSAGING_SANDBOX_PORT", 54340),
  WEB_PORT: port("WEB_PORT", 5173),
  LOCAL_DATA_DIR: z.string().min(1, "LOCAL_DATA_DIR must not be empty").default(join(REPO_ROOT, ".local")),
  SUPABASE_JWT_SECRET: z.string().min(32, "SUPABASE_JWT_SECRET must be at least 32 characters")
    .default(DEFAULT_JWT_SECRET),
  JOBBER_API_BASE: z.url("JOBBER_API_BASE must be a URL").optional(),
  JOBBER_CLIENT_ID: z.string().min(1, "JOBBER_CLIENT_ID must not be empty").default(SANDBOX_CLIENT_ID),
  JOBBER_CLIENT_SECRET: z.string().min(1, "JOBBER_CLIENT_SECRET must not be empty").default(SANDBOX_CLIENT_SECRET),
  JOBBER_GRAPHQL_VERSION: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "JOBBER_GRAPHQL_VERSION must be YYYY-MM-DD")
    .default("2025-04-16"),
});

export interface Ports {
  db: number;
  gateway: number;
  sandbox: number;
  messagingSandbox: number;
  web: number;
  /** Internal ports behind the gateway. */
  postgrest: number;
  functions: number;
}

export interface StackSettings {
  ports: Ports;
  dataDir: string;
  jwtSecret: string;
  jobberApiBase: string | null;
  jobberClientId: string;
  jobberClientSecret: string;
  jobberGraphqlVersion: string;
  /**
   * Real-provider variables the user set (TWILIO_*, RESEND_*, EMAIL_FROM), per channel; a channel
   * without them is pointed at the local messaging sandbox.
   */
  messaging: { twilio: Record<string, string> | null; resend: Record<string, string> | null };
  /** Extra environment for the functions process (tests tweak timings through it). */
  functionsEnv: Record<string, string>;
  quiet: boolean;
}

export class SettingsError extends Error {}

export function readSettings(env: Record<string, string | undefined>): StackSettings {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SettingsError(`Invalid environment: ${issue?.message ?? "unknown problem"}`);
  }
  const v = parsed.data;
  return {
    ports: {
      db: v.DB_PORT,
      gateway: v.GATEWAY_PORT,
      sandbox: v.SANDBOX_PORT,
      messagingSandbox: v.MESSAGING_SANDBOX_PORT,
      web: v.WEB_PORT,
      postgrest: 0,
      functions: 0,
    },
    dataDir: v.LOCAL_DATA_DIR,
    jwtSecret: v.SUPABASE_JWT_SECRET,
    jobberApiBase: v.JOBBER_API_BASE ?? null,
    jobberClientId: v.JOBBER_CLIENT_ID,
    jobberClientSecret: v.JOBBER_CLIENT_SECRET,
    jobberGraphqlVersion: v.JOBBER_GRAPHQL_VERSION,
    messaging: {
      twilio: providerVariables(env, TWILIO_VARIABLES),
      resend: providerVariables(env, RESEND_VARIABLES),
    },
    functionsEnv: {},
    quiet: false,
  };
}

const TWILIO_VARIABLES = [
  "TWILIO_API_BASE",
  "TWILIO_ACCOUNT_SID",
  "TWILIO_AUTH_TOKEN",
  "TWILIO_MESSAGING_SERVICE_SID",
  "TWILIO_FROM_NUMBER",
] as const;
const RESEND_VARIABLES = ["RESEND_API_BASE", "RESEND_API_KEY", "RESEND_WEBHOOK_SECRET", "EMAIL_FROM"] as const;

/** The user's own provider settings, when any credential of that provider is set (else null). */
function providerVariables(env: Record<string, string | undefined>, names: readonly string[]): Record<string, string> | null {
  const set = Object.fromEntries(names.filter((n) => env[n]?.trim()).map((n) => [n, env[n]!]));
  const credentials = Object.keys(set).filter((n) => !n.endsWith("_API_BASE"));
  return credentials.length > 0 ? set : null;
}

/** The variable that moves each public port, for "port taken" messages. */
export const PORT_VARIABLES: Record<keyof Pick<Ports, "db" | "gateway" | "sandbox" | "messagingSandbox" | "web">, string> = {
  db: "DB_PORT",
  gateway: "GATEWAY_PORT",
  sandbox: "SANDBOX_PORT",
  messagingSandbox: "MESSAGING_SANDBOX_PORT",
  web: "WEB_PORT",
};
