// `npm start` as a newcomer runs it: from a fresh checkout in a `mktemp -d` folder (mode 700, so as
// root the postgres OS user cannot enter it), interrupted half-way with Ctrl-C (SIGINT to the whole
// foreground process group, as a terminal sends it), then started to its ready line and stopped
// with SIGTERM to npm alone (as a service manager does). Every port must be free afterwards, no
// process of the run left, and no Postgres server running.
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { freePort, isPortFree } from "./ports.ts";
import { isRunning, stop as stopPostgres } from "./postgres.ts";
import { REPO_ROOT } from "./settings.ts";

const decoder = new TextDecoder();

/** The checkout's files as git sees them (tracked and new, nothing ignored), copied to `target`. */
async function copyCheckout(target: string): Promise<void> {
  const listed = await new Deno.Command("git", {
    args: ["-C", REPO_ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    stdout: "piped",
  }).output();
  assert.equal(listed.code, 0, "git ls-files failed");
  for (const path of decoder.decode(listed.stdout).split("\0").filter(Boolean)) {
    try {
      await Deno.mkdir(join(target, dirname(path)), { recursive: true });
      await Deno.copyFile(join(REPO_ROOT, path), join(target, path));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error; // Deleted but not yet staged.
    }
  }
  // The installed packages are shared, not reinstalled: same lock file age, so bootstrap keeps them.
  await Deno.symlink(join(REPO_ROOT, "node_modules"), join(target, "node_modules"));
  const lock = await Deno.stat(join(REPO_ROOT, "package-lock.json"));
  await Deno.utime(join(target, "package-lock.json"), lock.atime ?? new Date(), lock.mtime ?? new Date(0));
}

interface Run {
  pid: number;
  output: () => string;
  waitFor: (pattern: RegExp, timeoutMs: number) => Promise<void>;
  exited: (timeoutMs: number) => Promise<Deno.CommandStatus>;
}

/** `npm start` in a session of its own, so its process group can be signalled as a terminal would. */
function npmStart(cwd: string, ports: Record<string, number>): Run {
  const child = new Deno.Command("setsid", {
    args: ["npm", "start"],
    cwd,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "/root",
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const pumped = Promise.all([pump(child.stdout), pump(child.stderr)]);
  return {
    pid: child.pid,
    output: () => text,
    async waitFor(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text)) {
        if (Date.now() > deadline) throw new Error(`npm start never printed ${pattern}; it printed:\n${text}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async exited(timeoutMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`npm start did not exit within ${timeoutMs / 1000} s:\n${text}`)), timeoutMs);
      });
      try {
        const status = await Promise.race([child.status, timeout]);
        await pumped;
        return status;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Processes still in the run's process group (its children, unless they all stopped). */
async function leftInGroup(pgid: number): Promise<string> {
  const out = await new Deno.Command("pgrep", { args: ["-a", "-g", String(pgid)], stdout: "piped" }).output();
  return decoder.decode(out.stdout).trim();
}

async function clusterOf(checkout: string, port: number) {
  const dataDir = await Deno.realPath(join(checkout, ".local", "postgres")).catch(() => join(checkout, ".local", "postgres"));
  return { dataDir, port, logPath: "", adminUrl: "", url: "" };
}

async function assertAllStopped(run: Run, checkout: string, ports: Record<string, number>) {
  for (const [variable, port] of Object.entries(ports)) assert.ok(isPortFree(port), `${variable} ${port} is still held`);
  assert.equal(await leftInGroup(run.pid), "", "processes of the run are still alive");
  assert.equal(await isRunning(await clusterOf(checkout, ports.DB_PORT!)), false, "Postgres is still running");
}

Deno.test({
  name: "npm start runs from a mktemp -d checkout, and Ctrl-C half-way or SIGTERM once ready leaves every port free",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "blipp-start-" }); // mode 700, like mktemp -d
    const checkout = join(root, "checkout");
    const ports = {
      DB_PORT: freePort(),
      GATEWAY_PORT: freePort(),
      SANDBOX_PORT: freePort(),
      MESSAGING_SANDBOX_PORT: freePort(),
      WEB_PORT: freePort(),
    };
    let run: Run | null = null;
    try {
      assert.equal((await Deno.stat(root)).mode! & 0o777, 0o700);
      await copyCheckout(checkout);

      // Ctrl-C while the database is being set up: everything started so far is stopped.
      run = npmStart(checkout, ports);
      await run.waitFor(/postgres: created a new cluster/, 180_000);
      Deno.kill(-run.pid, "SIGINT");
      await run.exited(90_000);
      assert.match(run.output(), /stopping\.\.\.\nstopped/);
      assert.doesNotMatch(run.output(), /ready:/);
      await assertAllStopped(run, checkout, ports);

      // Started again, to the end: the ready line, from a folder the postgres user cannot enter.
      run = npmStart(checkout, ports);
      await run.waitFor(new RegExp(`ready: open http://localhost:${ports.WEB_PORT}/`), 240_000);
      if (Deno.uid() === 0) {
        const link = await Deno.lstat(join(checkout, ".local", "postgres"));
        assert.ok(link.isSymlink, "the cluster lives where the postgres user can reach it");
        assert.ok(!(await Deno.realPath(join(checkout, ".local", "postgres"))).startsWith(root));
      }
      const health = await fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}/functions/v1/jobber-callback`, { redirect: "manual" });
      await health.body?.cancel();
      assert.equal(health.status, 302, "the functions answer through the gateway");
      // Where to click: both sandboxes' pages are printed, and a person opening them gets a page.
      for (const [label, port] of [["Jobber sandbox", ports.SANDBOX_PORT], ["Messaging sandbox", ports.MESSAGING_SANDBOX_PORT]] as const) {
        const printed = `http://127.0.0.1:${port}/`;
        assert.match(run.output(), new RegExp(`${label} +${printed.replaceAll(".", "\\.")}`), `${label} is printed`);
        const page = await fetch(printed);
        assert.equal(page.status, 200, `${label} page answers`);
        assert.match(page.headers.get("content-type") ?? "", /text\/html/);
        await page.body?.cancel();
      }

      // SIGTERM to npm alone (a service manager's stop): npm hands it to the stack, which stops it all.
      Deno.kill(run.pid, "SIGTERM");
      await run.exited(90_000);
      assert.match(run.output(), /stopping\.\.\.\nstopped/);
      await assertAllStopped(run, checkout, ports);
    } finally {
      if (run) {
        try {
          Deno.kill(-run.pid, "SIGKILL");
        } catch { /* already gone */ }
      }
      const cluster = await clusterOf(checkout, ports.DB_PORT);
      await stopPostgres(cluster).catch(() => {});
      const kept = cluster.dataDir.startsWith(checkout) ? null : dirname(cluster.dataDir);
      if (kept) await Deno.remove(kept, { recursive: true }).catch(() => {});
      await Deno.remove(root, { recursive: true });
    }
  },
});
