// The local Postgres 15 cluster: created with initdb as the `postgres` OS user (Postgres refuses
// to run as root), with the bootstrap superuser `supabase_admin` owning the Supabase-compatibility
// SQL, so `postgres` is an ordinary role exactly as on a hosted project. Where its files live when
// the checkout is out of the postgres user's reach is cluster_home.ts's concern.
import { join } from "node:path";
import { run, type RunOptions } from "./processes.ts";

const PG_BIN = "/usr/lib/postgresql/15/bin";
const COMPAT_DIR = new URL("./compat/", import.meta.url);
export const READY_MARKER = ".blipp-ready";

export interface Cluster {
  dataDir: string;
  port: number;
  logPath: string;
  /** Superuser URL used by the stack itself (gateway auth, net worker, tests' setup). */
  adminUrl: string;
  /** The project's URL, as SPEC §8 documents it. */
  url: string;
}

export const isRoot = () => Deno.uid() === 0;

/** Runs a Postgres server binary as the `postgres` OS user when we are root. */
function asPostgresUser(binary: string, args: string[]): [string, string[]] {
  return isRoot() ? ["runuser", ["-u", "postgres", "--", join(PG_BIN, binary), ...args]] : [join(PG_BIN, binary), args];
}

/**
 * As asPostgresUser, in a session of its own: a Ctrl-C at the terminal reaches the whole
 * foreground process group, and a pg_ctl interrupted half-way through starting or stopping leaves
 * a server nobody waits for. Detached, it finishes; the stack then stops the server in order.
 */
function detached([cmd, args]: [string, string[]]): [string, string[]] {
  return ["setsid", ["--wait", cmd, ...args]];
}

/** Whether the `postgres` OS user can reach `dir` (search permission on it and every parent). */
export async function postgresCanEnter(dir: string): Promise<boolean> {
  if (!isRoot()) return true;
  return (await run("runuser", ["-u", "postgres", "--", "test", "-x", dir], { cwd: "/" })).code === 0;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

export function clusterFor(dataRoot: string, port: number): Cluster {
  const dataDir = join(dataRoot, "postgres");
  return {
    dataDir,
    port,
    logPath: join(dataRoot, "logs", "postgres.log"),
    adminUrl: `postgresql://supabase_admin@127.0.0.1:${port}/postgres`,
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`,
  };
}

/**
 * Creates the cluster unless a complete one exists; a half-made one (killed mid-initdb) is rebuilt.
 * Aborting `signal` stops initdb at once and creates nothing more (the next start rebuilds).
 */
export async function ensureCluster(
  cluster: Cluster,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<"created" | "reused"> {
  if (await exists(join(cluster.dataDir, READY_MARKER))) return "reused";
  if (await exists(cluster.dataDir)) {
    log(`postgres: ${cluster.dataDir} is incomplete (an earlier setup was interrupted); rebuilding it`);
    await Deno.remove(cluster.dataDir, { recursive: true });
  }
  await Deno.mkdir(cluster.dataDir, { recursive: true, mode: 0o700 });
  if (isRoot()) {
    await mustRun("chown", ["-R", "postgres:postgres", cluster.dataDir]);
  }
  const [cmd, args] = asPostgresUser("initdb", [
    "-D", cluster.dataDir, "-U", "supabase_admin", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8",
  ]);
  await mustRun(cmd, args, "initdb", undefined, signal);
  signal?.throwIfAborted();
  await Deno.writeTextFile(
    join(cluster.dataDir, "postgresql.auto.conf"),
    [
      "listen_addresses = '127.0.0.1'",
      "shared_preload_libraries = 'pg_cron'",
      "cron.database_name = 'postgres'",
      // Jobs run in background workers, so pg_cron needs no libpq login of its own.
      "cron.use_background_workers = on",
      "max_worker_processes = 32",
      "max_connections = 200",
      "timezone = 'UTC'",
      "log_timezone = 'UTC'",
      "",
    ].join("\n"),
    { append: true },
  );
  await start(cluster);
  for await (const entry of [...Deno.readDirSync(COMPAT_DIR)].filter((e) => e.name.endsWith(".sql")).sort((a, b) =>
    a.name.localeCompare(b.name)
  )) {
    signal?.throwIfAborted();
    await psqlFile(cluster.adminUrl, new URL(entry.name, COMPAT_DIR).pathname);
  }
  await Deno.writeTextFile(join(cluster.dataDir, READY_MARKER), new Date().toISOString());
  return "created";
}

export async function start(cluster: Cluster, extra: string[] = []): Promise<void> {
  if (await isRunning(cluster)) return;
  await Deno.mkdir(join(cluster.logPath, ".."), { recursive: true });
  // The log file must be writable by the postgres OS user.
  await Deno.writeTextFile(cluster.logPath, "", { append: true });
  if (isRoot()) await mustRun("chown", ["postgres:postgres", cluster.logPath]);
  const options = [`-p ${cluster.port}`, `-k ${cluster.dataDir}`, ...extra].join(" ");
  const [cmd, args] = detached(asPostgresUser("pg_ctl", [
    "-D", cluster.dataDir, "-l", cluster.logPath, "-o", options, "-w", "-t", "60", "start",
  ]));
  await mustRun(cmd, args, "pg_ctl start", cluster.logPath);
}

export async function stop(cluster: Cluster): Promise<void> {
  if (!(await isRunning(cluster))) return;
  const [cmd, args] = detached(asPostgresUser("pg_ctl", ["-D", cluster.dataDir, "-m", "fast", "-w", "-t", "60", "stop"]));
  await mustRun(cmd, args, "pg_ctl stop");
}

export async function isRunning(cluster: Cluster): Promise<boolean> {
  if (!(await exists(join(cluster.dataDir, "postmaster.pid")))) return false;
  const [cmd, args] = asPostgresUser("pg_ctl", ["-D", cluster.dataDir, "status"]);
  return (await run(cmd, args, { cwd: "/" })).code === 0;
}

export async function psqlFile(url: string, file: string): Promise<void> {
  await mustRun("psql", [url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", file], `psql ${file}`);
}

export async function psql(url: string, sql: string): Promise<string> {
  const out = await mustRun("psql", [url, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], "psql");
  return out.trim();
}

async function mustRun(cmd: string, args: string[], what = cmd, logPath?: string, signal?: AbortSignal): Promise<string> {
  // Run from "/": the postgres OS user may not be allowed into the caller's working directory.
  const options: RunOptions = { env: { PGCONNECT_TIMEOUT: "10" }, cwd: "/" };
  if (signal) options.signal = signal;
  const result = await run(cmd, args, options);
  if (result.code !== 0) {
    let detail = (result.stderr || result.stdout).trim();
    if (logPath) {
      try {
        detail += "\n" + (await Deno.readTextFile(logPath)).trimEnd().split("\n").slice(-15).join("\n");
      } catch { /* no log yet */ }
    }
    throw new Error(`${what} failed (exit ${result.code}): ${detail}`);
  }
  return result.stdout;
}
