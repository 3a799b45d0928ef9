import assert from "node:assert/strict";
import { supabaseCliPath } from "./supabase_cli.ts";

Deno.test("the stack runs the Supabase CLI binary itself, not npm's node wrapper that could orphan it on Ctrl-C", async () => {
  const path = supabaseCliPath();
  const head = new Uint8Array(4);
  const file = await Deno.open(path);
  try {
    await file.read(head);
  } finally {
    file.close();
  }
  assert.deepEqual([...head], [0x7f, 0x45, 0x4c, 0x46], `${path} is an executable, not a script`);
  const out = await new Deno.Command(path, { args: ["--version"], stdout: "piped", stderr: "piped" }).output();
  assert.equal(out.code, 0);
  assert.match(new TextDecoder().decode(out.stdout), /^\d+\.\d+\.\d+/);
});

Deno.test("the Supabase CLI's platform package is named as npm's supabase package names it", () => {
  assert.match(supabaseCliPath("linux", "x86_64"), /node_modules\/@supabase\/cli-linux-x64\/bin\/supabase$/);
  assert.match(supabaseCliPath("darwin", "aarch64"), /node_modules\/@supabase\/cli-darwin-arm64\/bin\/supabase$/);
  assert.throws(() => supabaseCliPath("windows", "x86_64"), /no package for windows/);
});
