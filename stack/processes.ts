// Child processes of the stack: started with their output sent to a log file, and stopped
// together (SIGTERM, then SIGKILL after a grace period) whatever way the stack ends.
import { join } from "node:path";

export interface Supervised {
  name: string;
  child: Deno.ChildProcess;
  logPath: string;
}

export interface SpawnOptions {
  name: string;
  cmd: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  logDir: string;
}

export function spawnLogged(opts: SpawnOptions): Supervised {
  const logPath = join(opts.logDir, `${opts.name}.log`);
  const log = Deno.openSync(logPath, { create: true, append: true, write: true });
  const child = new Deno.Command(opts.cmd, {
    args: opts.args,
    env: opts.env ?? {},
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Both streams go to the same log file; the file closes when the child's output ends.
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) log.writeSync(chunk);
  };
  Promise.allSettled([pump(child.stdout), pump(child.stderr)]).finally(() => log.close());
  return { name: opts.name, child, logPath };
}

export async function stopProcess(p: Supervised, graceMs = 5_000): Promise<void> {
  try {
    p.child.kill("SIGTERM");
  } catch {
    return; // already gone
  }
  const timer = setTimeout(() => {
    try {
      p.child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, graceMs);
  await p.child.status;
  clearTimeout(timer);
}

export async function tail(path: string, lines = 20): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Aborting kills the command (SIGTERM): for long steps that a stopping stack must not wait for. */
  signal?: AbortSignal;
}

/** Runs a command to completion, capturing its output. */
export async function run(cmd: string, args: string[], opts: RunOptions = {}) {
  const out = await new Deno.Command(cmd, {
    args,
    env: opts.env ?? {},
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}
