// `npm test`: starts a private stack on free ports with a temporary data folder (so it never
// touches a running `npm start`), runs every test layer against it, prints one summary line per
// layer and ends with the total `N passed, N failed[, N skipped]`.
import { join } from "node:path";
import { readSettings, REPO_ROOT } from "./settings.ts";
import { type RunningStack, setCronJobsActive, startStack } from "./stack.ts";
import { supabaseCliPath } from "./supabase_cli.ts";

const BIN = join(REPO_ROOT, "node_modules", ".bin");

interface LayerResult {
  layer: string;
  passed: number;
  failed: number;
  skipped: number;
  note?: string;
}

interface Layer {
  name: string;
  needsStack: boolean;
  run(env: Record<string, string>): Promise<LayerResult>;
}

async function exec(cmd: string, args: string[], env: Record<string, string>, cwd = REPO_ROOT) {
  const child = new Deno.Command(cmd, {
    args,
    cwd,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const decoder = new TextDecoder();
  let text = "";
  const pump = async (stream: ReadableStream<Uint8Array>, sink: typeof Deno.stdout) => {
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      await sink.write(chunk);
    }
  };
  const [status] = await Promise.all([child.status, pump(child.stdout, Deno.stdout), pump(child.stderr, Deno.stderr)]);
  return { code: status.code, text };
}

// deno prints: "ok | 12 passed | 0 failed | 1 ignored (3s)" (or FAILED | ...)
function parseDeno(text: string, code: number): LayerResult {
  const m = [...text.matchAll(/(?:ok|FAILED) \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed(?: \((\d+) steps?\))?(?: \| (\d+) ignored)?/g)]
    .at(-1);
  if (!m) return { layer: "deno", passed: 0, failed: 1, skipped: 0, note: `deno test exited ${code} without a summary` };
  return { layer: "deno", passed: Number(m[1]), failed: Number(m[3]), skipped: Number(m[5] ?? 0) };
}

// pg_prove prints "Files=3, Tests=57, ..." and "Failed 2/19 subtests" per failing file.
function parsePgProve(text: string, code: number): LayerResult {
  const total = text.match(/Files=\d+, Tests=(\d+)/);
  if (!total) return { layer: "pgtap", passed: 0, failed: 1, skipped: 0, note: `pg_prove exited ${code} without a summary` };
  const failed = [...text.matchAll(/Failed (\d+)\/\d+ subtests/g)].reduce((n, m) => n + Number(m[1]), 0);
  const tests = Number(total[1]);
  // A file that died or planned wrongly fails pg_prove without failing a subtest: count it once.
  return { layer: "pgtap", passed: tests - failed, failed: failed + (code !== 0 && failed === 0 ? 1 : 0), skipped: 0 };
}

/** File filters given after the options (`npm test -- --only=e2e review-journey`): vitest runs only matching files. */
let vitestFilters: string[] = [];

async function vitestLayer(name: string, project: string, env: Record<string, string>): Promise<LayerResult> {
  const out = join(env.TEST_OUTPUT_DIR!, `vitest-${project}.json`);
  const { code } = await exec(join(BIN, "vitest"), ["run", "--project", project, "--reporter=default", "--reporter=json",
    `--outputFile.json=${out}`, ...(vitestFilters.length > 0 ? ["--passWithNoTests", ...vitestFilters] : [])], env);
  try {
    const report = JSON.parse(await Deno.readTextFile(out)) as {
      numPassedTests: number;
      numFailedTests: number;
      numPendingTests: number;
      numTodoTests: number;
      numFailedTestSuites: number;
    };
    const failed = report.numFailedTests + (report.numFailedTests === 0 && report.numFailedTestSuites > 0 ? report.numFailedTestSuites : 0);
    return { layer: name, passed: report.numPassedTests, failed: failed + (code !== 0 && failed === 0 ? 1 : 0), skipped: report.numPendingTests + report.numTodoTests };
  } catch {
    return { layer: name, passed: 0, failed: 1, skipped: 0, note: `vitest exited ${code} without a report` };
  }
}

const layers: Layer[] = [
  {
    name: "typecheck",
    needsStack: false,
    async run(env) {
      // Type errors and lint findings (deno.json's recommended rules) both fail the layer.
      const checks = [
        await exec(join(BIN, "deno"), ["check", "--quiet", "supabase/functions", "stack"], env),
        await exec(join(BIN, "deno"), ["lint", "--quiet", "supabase/functions", "stack"], env),
        await exec(join(BIN, "tsc"), ["-p", "tsconfig.json", "--noEmit"], env),
      ];
      const failed = checks.filter((c) => c.code !== 0).length;
      return { layer: "typecheck", passed: checks.length - failed, failed, skipped: 0 };
    },
  },
  {
    name: "deno",
    needsStack: true,
    async run(env) {
      const { code, text } = await exec(join(BIN, "deno"), ["test", "-A", "--quiet", "supabase/functions", "stack"], env);
      return parseDeno(text, code);
    },
  },
  {
    name: "pgtap",
    needsStack: true,
    async run(env) {
      const { code, text } = await exec("pg_prove", ["-d", env.SUPABASE_DB_URL!, "--ext", ".sql", "-r", "supabase/tests"], env);
      return parsePgProve(text, code);
    },
  },
  {
    name: "db-lint",
    needsStack: true,
    async run(env) {
      const { code, text } = await exec(supabaseCliPath(), ["db", "lint", `--remote=${env.SUPABASE_DB_URL}`, "--fail-on", "warning"], env);
      const ok = code === 0 && /No schema errors found/.test(text);
      return { layer: "db-lint", passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0 };
    },
  },
  {
    name: "db-advisors",
    needsStack: true,
    async run(env) {
      const { code, text } = await exec(supabaseCliPath(), [
        "db", "advisors", `--remote=${env.SUPABASE_DB_URL}`, "--type", "security", "--output-format", "json",
      ], env);
      try {
        const report = JSON.parse(text.slice(text.indexOf("{"))) as { results: { name: string; detail: string }[] };
        for (const r of report.results) console.log(`security finding: ${r.name}: ${r.detail}`);
        const failed = report.results.length;
        return { layer: "db-advisors", passed: failed === 0 ? 1 : 0, failed, skipped: 0 };
      } catch {
        return { layer: "db-advisors", passed: 0, failed: 1, skipped: 0, note: `advisors exited ${code}` };
      }
    },
  },
  { name: "web", needsStack: false, run: (env) => vitestLayer("web", "web", env) },
  { name: "integration", needsStack: true, run: (env) => vitestLayer("integration", "integration", env) },
  { name: "e2e", needsStack: true, run: (env) => vitestLayer("e2e", "e2e", env) },
];

/** A tiny HTTP endpoint the test processes use to kill or restart the functions process, or restart the database. */
function startControlServer(stack: RunningStack) {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (req.method === "POST" && path === "/functions/kill") {
      await stack.killFunctions();
      return Response.json({ ok: true });
    }
    if (req.method === "POST" && path === "/functions/restart") {
      await stack.restartFunctions();
      return Response.json({ ok: true });
    }
    if (req.method === "POST" && path === "/database/restart") {
      const downMs = Number(new URL(req.url).searchParams.get("downMs") ?? "0");
      if (!Number.isInteger(downMs) || downMs < 0 || downMs > 60_000) {
        return Response.json({ error: "downMs must be a whole number of milliseconds up to 60000" }, { status: 400 });
      }
      await stack.restartDatabase(downMs);
      return Response.json({ ok: true });
    }
    return Response.json({ error: "unknown control route" }, { status: 404 });
  });
}

export async function runTests(args: string[]): Promise<number> {
  const only = args.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
  const selected = layers.filter((l) => !only || only.includes(l.name));
  vitestFilters = args.filter((a) => !a.startsWith("--"));
  const started = Date.now();
  const dataDir = await Deno.makeTempDir({ prefix: "blipp-test-" });
  const outputDir = join(dataDir, "reports");
  await Deno.mkdir(outputDir, { recursive: true });

  const baseEnv: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? "/root",
    DENO_NO_PACKAGE_JSON: "1",
    CI: Deno.env.get("CI") ?? "",
    TEST_OUTPUT_DIR: outputDir,
    SUPABASE_TELEMETRY_DISABLED: "1",
    NO_COLOR: "1",
  };
  const referenceSchema = Deno.env.get("JOBBER_REFERENCE_SCHEMA");
  if (referenceSchema) baseEnv.JOBBER_REFERENCE_SCHEMA = referenceSchema;
  // The browser tests' screenshots go here when set (the reports folder is deleted after a green run).
  const screenshotDir = Deno.env.get("SCREENSHOT_DIR");
  if (screenshotDir) baseEnv.SCREENSHOT_DIR = screenshotDir;

  let stack: RunningStack | null = null;
  let control: Deno.HttpServer | null = null;
  const results: LayerResult[] = [];
  try {
    if (selected.some((l) => l.needsStack)) {
      const settings = readSettings({
        LOCAL_DATA_DIR: dataDir,
        DB_PORT: "0",
        GATEWAY_PORT: "0",
        SANDBOX_PORT: "0",
        MESSAGING_SANDBOX_PORT: "0",
        WEB_PORT: "0",
      });
      // Workers in tests hand over quickly so resumption paths are exercised in minutes, not hours.
      settings.functionsEnv = { SYNC_TIME_BUDGET_MS: "8000", SYNC_LEASE_MS: "6000", WEBHOOK_LEASE_MS: "6000" };
      console.log("test: starting a private stack");
      stack = await startStack(settings, (line) => console.log(`test: ${line}`));
      await setCronJobsActive(stack.info.adminDbUrl, false);
      console.log("test: pg_cron jobs are off; the scheduling tests turn on the ones they test");
      control = startControlServer(stack);
      const i = stack.info;
      Object.assign(baseEnv, {
        SUPABASE_URL: i.supabaseUrl,
        SUPABASE_ANON_KEY: i.anonKey,
        SUPABASE_SERVICE_ROLE_KEY: i.serviceRoleKey,
        SUPABASE_DB_URL: i.dbUrl,
        STACK_ADMIN_DB_URL: i.adminDbUrl,
        JWT_SECRET: i.jwtSecret,
        JOBBER_SANDBOX_URL: i.sandboxUrl ?? "",
        MESSAGING_SANDBOX_URL: i.messagingSandboxUrl ?? "",
        APP_ORIGIN: i.appOrigin,
        STACK_LOG_DIR: i.logDir,
        STACK_CONTROL_URL: `http://127.0.0.1:${(control.addr as Deno.NetAddr).port}`,
        JOBBER_CLIENT_ID: i.functionsEnv.JOBBER_CLIENT_ID ?? "",
        JOBBER_CLIENT_SECRET: i.functionsEnv.JOBBER_CLIENT_SECRET ?? "",
      });
    }
    for (const layer of selected) {
      console.log(`\n=== ${layer.name} ===`);
      const result = await layer.run({ ...baseEnv });
      results.push(result);
      console.log(`--- ${layer.name}: ${result.passed} passed, ${result.failed} failed${result.skipped ? `, ${result.skipped} skipped` : ""}${result.note ? ` (${result.note})` : ""}`);
    }
  } finally {
    await control?.shutdown();
    await stack?.stop();
    if (results.every((r) => r.failed === 0)) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    else console.log(`test: logs kept in ${join(dataDir, "logs")}`);
  }

  console.log("\nSummary");
  for (const r of results) {
    console.log(`  ${r.layer.padEnd(12)} ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ""}`);
  }
  console.log(`  took ${Math.round((Date.now() - started) / 1000)} s`);
  const total = results.reduce((t, r) => ({ p: t.p + r.passed, f: t.f + r.failed, s: t.s + r.skipped }), { p: 0, f: 0, s: 0 });
  console.log(`${total.p} passed, ${total.f} failed${total.s ? `, ${total.s} skipped` : ""}`);
  return total.f > 0 ? 1 : 0;
}
