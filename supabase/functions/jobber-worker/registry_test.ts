// The registry is the one list of the worker's tasks: the SQL side (private.worker_tasks, which
// wake_worker refuses to go beyond, and the pg_cron jobs made from it) and every migration that
// names a task must agree with it, in both directions.
import assert from "node:assert/strict";
import postgres from "postgres";
import { env, lacksEnv } from "../_shared/testing_db.ts";
import { TASK_NAMES, TASKS } from "./registry.ts";

const MIGRATIONS = new URL("../../migrations/", import.meta.url);

async function migrationsText(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for await (const entry of Deno.readDir(MIGRATIONS)) {
    if (entry.isFile && entry.name.endsWith(".sql")) {
      files.set(entry.name, await Deno.readTextFile(new URL(entry.name, MIGRATIONS)));
    }
  }
  return files;
}

// Migrations as they stand: the latest definition wins, so only files after the registry's own
// migration name tasks the way everything must from now on.
const REGISTRY_MIGRATION = "20261202000200_create_worker_task_registry.sql";

Deno.test("every task name is unique and fits private.worker_tasks' name rule", () => {
  assert.equal(new Set(TASK_NAMES).size, TASKS.length);
  for (const name of TASK_NAMES) assert.match(name, /^[a-z][a-z0-9_]{0,62}$/);
});

Deno.test("every task's input schema is an object schema that refuses unknown fields", () => {
  for (const task of TASKS) {
    const strict = task.input.strict();
    assert.equal(strict.safeParse({ surely_not_a_field: 1 }).success, false, `${task.name} accepted an unknown field`);
  }
});

Deno.test("migrations from the registry on name only registered tasks, and wake the worker only through wake_worker", async () => {
  const named = new Set<string>();
  for (const [file, sql] of await migrationsText()) {
    if (file < REGISTRY_MIGRATION) continue;
    for (const m of sql.matchAll(/(?:wake_worker|register_worker_task|settle_worker_wake|worker_lease_take)\(\s*'([a-z0-9_]+)'/g)) {
      named.add(m[1]!);
    }
    for (const m of sql.matchAll(/"task"\s*:\s*"([a-z0-9_]+)"/g)) named.add(m[1]!);
    // wake_worker itself (defined in the registry's migration, redefined in later ones) is the one call left.
    const definesWake = /create (?:or replace )?function private\.wake_worker\(/.test(sql);
    const direct = [...sql.matchAll(/invoke_edge_function\(\s*'jobber-worker'/g)].length;
    assert.equal(direct, definesWake ? 1 : 0, `${file} calls jobber-worker without private.wake_worker`);
  }
  const unknown = [...named].filter((t) => !(TASK_NAMES as string[]).includes(t));
  assert.deepEqual(unknown, [], "migrations name tasks the registry lacks");
});

Deno.test({
  name: "the database knows exactly the registry's tasks, and its pg_cron jobs wake only those",
  ignore: lacksEnv("STACK_ADMIN_DB_URL"),
  async fn() {
    const sql = postgres(env.STACK_ADMIN_DB_URL!, { max: 1, onnotice: () => {} });
    try {
      const tasks = await sql<{ task: string }[]>`select task from private.worker_tasks order by task`;
      assert.deepEqual(tasks.map((t) => t.task), [...TASK_NAMES].sort(), "private.worker_tasks and the registry differ");
      const jobs = await sql<{ jobname: string; command: string }[]>`select jobname, command from cron.job order by jobname`;
      assert.ok(jobs.length > 0, "the worker has scheduled tasks");
      for (const job of jobs) {
        const m = job.command.match(/^select private\.wake_worker\('([a-z0-9_]+)'\)$/);
        assert.ok(m, `pg_cron job ${job.jobname} does not wake the worker through wake_worker: ${job.command}`);
        assert.ok((TASK_NAMES as string[]).includes(m[1]!), `pg_cron job ${job.jobname} wakes ${m[1]}, which the registry lacks`);
      }
    } finally {
      await sql.end();
    }
  },
});
