import { z } from "zod";

export interface SandboxOptions {
  port: number;
  clientId: string;
  clientSecret: string;
  /** Registered callback URLs; authorize compares redirect_uri byte-for-byte against these. */
  redirectUris: string[];
  /** Default target of every webhook topic the sandbox fires. */
  webhookUrl: string;
  accessTokenLifetimeSeconds: number;
  seed: number;
  quiet: boolean;
  appName: string;
}

export const DEFAULT_OPTIONS: SandboxOptions = {
  port: 54330,
  clientId: "blipp-local",
  clientSecret: "blipp-local-sandbox-secret",
  redirectUris: ["http://127.0.0.1:54321/functions/v1/jobber-callback"],
  webhookUrl: "http://127.0.0.1:54321/functions/v1/jobber-webhook",
  accessTokenLifetimeSeconds: 3600,
  seed: 1,
  quiet: false,
  appName: "Blipp",
};

/** The fixed UUID Jobber would give the app; webhooks carry it as `appId`. */
export const APP_UUID = "7b0a5f3e-2c4d-4e8a-9f61-3d2b8c1e5a90";

export function resolveOptions(partial: Partial<SandboxOptions> = {}): SandboxOptions {
  const merged = { ...DEFAULT_OPTIONS };
  for (const [key, value] of Object.entries(partial)) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

const url = z.string().trim().pipe(z.url());

// Env values are validated once at start-up so a typo fails fast and names the variable.
export const EnvSchema = z.object({
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  JOBBER_CLIENT_ID: z.string().min(1).optional(),
  JOBBER_CLIENT_SECRET: z.string().min(1).optional(),
  JOBBER_REDIRECT_URI: z
    .string()
    .transform((v) => v.split(",").map((s) => s.trim()).filter((s) => s.length > 0))
    .pipe(z.array(z.url()).min(1))
    .optional(),
  JOBBER_WEBHOOK_URL: url.optional(),
});

export function optionsFromEnv(env: Record<string, string | undefined>): Partial<SandboxOptions> {
  const picked = Object.fromEntries(
    Object.keys(EnvSchema.shape).map((k) => [k, env[k] === "" ? undefined : env[k]]),
  );
  const parsed = EnvSchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = issue?.path[0] ?? "environment";
    throw new Error(`Invalid environment variable ${String(name)}: ${issue?.message ?? "invalid"}`);
  }
  const e = parsed.data;
  const out: Partial<SandboxOptions> = {};
  if (e.SANDBOX_PORT !== undefined) out.port = e.SANDBOX_PORT;
  if (e.JOBBER_CLIENT_ID !== undefined) out.clientId = e.JOBBER_CLIENT_ID;
  if (e.JOBBER_CLIENT_SECRET !== undefined) out.clientSecret = e.JOBBER_CLIENT_SECRET;
  if (e.JOBBER_REDIRECT_URI !== undefined) out.redirectUris = e.JOBBER_REDIRECT_URI;
  if (e.JOBBER_WEBHOOK_URL !== undefined) out.webhookUrl = e.JOBBER_WEBHOOK_URL;
  return out;
}
