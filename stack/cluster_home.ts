// Where the local cluster's files live. Postgres runs as the `postgres` OS user, which must reach
// its data folder through every parent directory. A checkout in /root/… or in a `mktemp -d` folder
// (mode 700) is out of its reach, and opening up the user's own folders is not ours to do. So when
// the postgres user cannot enter the stack's data folder, the cluster (and its log) lives in the
// postgres user's home instead, one folder per stack, and the data folder keeps symlinks to it
// (`postgres`, `logs/postgres.log`) plus nothing else: delete the data folder and the next start
// builds a fresh cluster, removing the one nobody links to any more.
import { dirname, join, resolve } from "node:path";
import { type Cluster, clusterFor, isRoot, postgresCanEnter, READY_MARKER } from "./postgres.ts";
import { run } from "./processes.ts";

const FOLDER = "blipp-local-clusters";
const OWNER_FILE = "owner";

async function lstat(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(path);
  } catch {
    return null;
  }
}

async function mustRun(cmd: string, args: string[]): Promise<string> {
  const result = await run(cmd, args, { cwd: "/" });
  if (result.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${(result.stderr || result.stdout).trim()}`);
  return result.stdout;
}

/** The postgres OS user's home folder (Debian: /var/lib/postgresql). */
async function postgresHome(): Promise<string> {
  const entry = (await mustRun("getent", ["passwd", "postgres"])).trim();
  const home = entry.split(":")[5];
  if (!home) throw new Error("The postgres OS user has no home folder to keep the local cluster in.");
  return home;
}

/** A cluster kept in the postgres user's home, for the stack whose data folder is `dataRoot`. */
function kept(dataRoot: string, port: number, folder: string): Cluster {
  return { ...clusterFor(dataRoot, port), dataDir: join(folder, "data"), logPath: join(folder, "postgres.log") };
}

/** Removes kept clusters whose data folder no longer links to them (and that are not running). */
async function removeOrphans(root: string, log: (line: string) => void): Promise<void> {
  for await (const entry of Deno.readDir(root)) {
    if (!entry.isDirectory) continue;
    const folder = join(root, entry.name);
    let owner: string;
    try {
      owner = (await Deno.readTextFile(join(folder, OWNER_FILE))).trim();
    } catch {
      continue; // Not one of ours.
    }
    const link = join(owner, "postgres");
    const linked = (await lstat(link))?.isSymlink ? await Deno.readLink(link).catch(() => null) : null;
    if (linked === join(folder, "data")) continue;
    if (await lstat(join(folder, "data", "postmaster.pid"))) continue;
    await Deno.remove(folder, { recursive: true });
    log(`postgres: removed the cluster of ${owner}, which no longer uses it`);
  }
}

/**
 * The cluster for the stack's data folder: inside it when the postgres OS user can enter it (or
 * when we are not root, since Postgres then runs as us), else in the postgres user's home.
 */
export async function locateCluster(dataRoot: string, port: number, log: (line: string) => void): Promise<Cluster> {
  dataRoot = resolve(dataRoot);
  const local = clusterFor(dataRoot, port);
  if (!isRoot()) return local;

  const link = local.dataDir;
  const info = await lstat(link);
  if (info?.isSymlink) {
    // Its data folder may not exist yet (a first start stopped before initdb): ensureCluster makes it.
    const target = await Deno.readLink(link);
    if ((await lstat(join(dirname(target), OWNER_FILE)))?.isFile) return kept(dataRoot, port, dirname(target));
    await Deno.remove(link); // Its cluster was removed by hand.
  } else if (info?.isDirectory) {
    if ((await lstat(join(link, READY_MARKER))) || await postgresCanEnter(dataRoot)) return local;
    // Left by an initdb that could not enter it: nothing in it is usable.
    await Deno.remove(link, { recursive: true });
  } else if (await postgresCanEnter(dataRoot)) {
    return local;
  }

  const root = join(await postgresHome(), FOLDER);
  await Deno.mkdir(root, { recursive: true, mode: 0o700 });
  await mustRun("chown", ["postgres:postgres", root]);
  await removeOrphans(root, log);
  const folder = join(root, crypto.randomUUID());
  await Deno.mkdir(folder, { mode: 0o700 });
  await Deno.writeTextFile(join(folder, OWNER_FILE), `${dataRoot}\n`);
  await mustRun("chown", ["-R", "postgres:postgres", folder]);
  await Deno.mkdir(dataRoot, { recursive: true });
  await Deno.symlink(join(folder, "data"), link);
  const logLink = local.logPath;
  await Deno.mkdir(dirname(logLink), { recursive: true });
  if (await lstat(logLink)) await Deno.remove(logLink);
  await Deno.symlink(join(folder, "postgres.log"), logLink);
  log(`postgres: ${dataRoot} is out of the postgres user's reach; keeping the cluster in ${folder}`);
  return kept(dataRoot, port, folder);
}
