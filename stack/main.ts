// The local stack's command line: `start` (npm start), `test` (npm test), `reset` (npm run db:reset)
// and `bench` (npm run bench).
import { join } from "node:path";
import { readSettings, REPO_ROOT, SettingsError } from "./settings.ts";
import { applyMigrations, startStack, StackError, storeWorkerSecrets } from "./stack.ts";
import { ensureCluster, isRunning, psqlFile, start as startPostgres, stop as stopPostgres } from "./postgres.ts";
import { locateCluster } from "./cluster_home.ts";
import { runTests } from "./test_runner.ts";
import { runBenchmarks } from "./bench.ts";
import { apiKeys } from "./jwt.ts";

const log = (line: string) => console.log(line);

// The stack's own database clients (the gateway's sign-in, the pg_net worker) run in this process;
// the postgres driver can throw from a timer when the database cuts a connection under it (a
// restart, which the outage tests do on purpose). That must not take the whole stack - or the
// test run - down with it: it is logged, and the driver reconnects on its next query.
globalThis.addEventListener("error", (event) => {
  event.preventDefault();
  const error = (event as ErrorEvent).error;
  console.error(`stack: an uncaught error was logged and the stack kept running: ${error?.stack ?? error ?? event}`);
});

async function start() {
  const settings = readSettings(Deno.env.toObject());
  // Listening from the first moment: Ctrl-C or SIGTERM while still starting must stop what has
  // been started (Postgres runs detached and would otherwise keep its port), not just exit.
  const stopping = new AbortController();
  const onSignal = () => {
    if (stopping.signal.aborted) return;
    log("stopping...");
    stopping.abort(new DOMException("Stopped by a signal", "AbortError"));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);

  await Deno.mkdir(settings.dataDir, { recursive: true });
  let stack;
  try {
    stack = await startStack(settings, log, stopping.signal);
  } catch (error) {
    // startStack has already stopped whatever it had started.
    if (stopping.signal.aborted) {
      log("stopped");
      return;
    }
    throw error;
  }
  const { info } = stack;
  const lines = [
    "",
    "Blipp x Jobber local stack",
    `  Demo page        ${info.appOrigin}/`,
    `  Supabase API     ${info.supabaseUrl}  (/rest/v1, /auth/v1, /functions/v1/<name>)`,
    `  Database         ${info.dbUrl}`,
    info.sandboxUrl ? `  Jobber sandbox   ${info.sandboxUrl}/  (control API under /_sandbox/)` : `  Jobber           ${info.jobberApiBase}`,
    info.messagingSandboxUrl
      ? `  Messaging sandbox ${info.messagingSandboxUrl}/  (phones and inboxes; control API under /_sandbox/)`
      : `  Messaging        real Twilio and Resend`,
    `  Logs             ${info.logDir}`,
    "",
    "  Demo logins (password: password123)",
    "    owner@demo.test    owner of Brightside Cleaning",
    "    member@demo.test   member of Brightside Cleaning",
    "    other@demo.test    owner of Evergreen Lawn Care",
    "",
    `  anon key          ${info.anonKey}`,
    `  service_role key  ${info.serviceRoleKey}`,
    `  JWT secret        ${info.jwtSecret}`,
    "",
    `ready: open ${info.appOrigin}/ (Ctrl-C stops everything)`,
  ];
  for (const line of lines) log(line);

  if (!stopping.signal.aborted) {
    await new Promise<void>((resolve) => stopping.signal.addEventListener("abort", () => resolve(), { once: true }));
  }
  await stack.stop();
  log("stopped");
}

async function reset() {
  const settings = readSettings(Deno.env.toObject());
  await Deno.mkdir(settings.dataDir, { recursive: true });
  await Deno.chmod(settings.dataDir, 0o755);
  const cluster = await locateCluster(settings.dataDir, settings.ports.db, log);
  await ensureCluster(cluster, log);
  const wasRunning = await isRunning(cluster);
  await startPostgres(cluster);
  try {
    await psqlFile(cluster.adminUrl, join(REPO_ROOT, "stack", "reset.sql"));
    await applyMigrations(cluster.url, log);
    const keys = await apiKeys(settings.jwtSecret, "supabase-local");
    await storeWorkerSecrets(cluster.adminUrl, `http://127.0.0.1:${settings.ports.gateway}`, keys.serviceRole);
    log("database rebuilt: migrations and seed applied");
  } finally {
    if (!wasRunning) await stopPostgres(cluster);
  }
}

const command = Deno.args[0] ?? "start";
try {
  if (command === "start") await start();
  else if (command === "reset") await reset();
  else if (command === "test") Deno.exit(await runTests(Deno.args.slice(1)));
  else if (command === "bench") await runBenchmarks(Deno.args.slice(1));
  else {
    console.error(`Unknown command "${command}". Use start, test, reset or bench.`);
    Deno.exit(2);
  }
} catch (error) {
  if (error instanceof SettingsError || error instanceof StackError) {
    console.error(`error: ${error.message}`);
    Deno.exit(1);
  }
  throw error;
}
Deno.exit(0);
