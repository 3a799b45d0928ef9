import assert from "node:assert/strict";
import { join } from "node:path";
import { clusterFor, ensureCluster, isRunning, psql, stop } from "./postgres.ts";
import { freePort } from "./ports.ts";

Deno.test({
  name: "rebuilds a data folder left half-made by an interrupted initdb, then reuses the finished one",
  sanitizeResources: false,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "blipp-pg-test-" });
    await Deno.chmod(root, 0o755);
    const cluster = clusterFor(root, freePort());
    // What a killed initdb leaves behind: a folder with some files and no ready marker.
    await Deno.mkdir(join(cluster.dataDir, "base"), { recursive: true });
    await Deno.writeTextFile(join(cluster.dataDir, "PG_VERSION"), "15\n");
    const lines: string[] = [];
    try {
      assert.equal(await ensureCluster(cluster, (line) => lines.push(line)), "created");
      assert.match(lines.join("\n"), /is incomplete .* rebuilding it/);
      assert.equal(await isRunning(cluster), true);
      // The compatibility SQL ran: postgres is an ordinary role, as on hosted Supabase, and Vault works.
      assert.equal(await psql(cluster.url, "select rolsuper from pg_roles where rolname = 'postgres'"), "f");
      assert.equal(
        await psql(cluster.adminUrl, "select vault.create_secret('s3cret') is not null"),
        "t",
      );
      await stop(cluster);
      assert.equal(await ensureCluster(cluster, (line) => lines.push(line)), "reused");
    } finally {
      await stop(cluster).catch(() => {});
      await Deno.remove(root, { recursive: true });
    }
  },
});
