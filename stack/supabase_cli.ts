// Where the Supabase CLI binary is. npm's `supabase` package installs a node script as its bin that
// picks the platform package's binary and spawns it, installing its signal forwarders only after
// the spawn: a Ctrl-C (sent to the whole process group) landing in between kills the script by
// default and leaves the binary orphaned - it gets the same Ctrl-C and dies, and with no parent
// left to wait for it, stays behind as `[supabase] <defunct>`. So the stack runs the platform
// binary itself: the CLI is then the stack's own child, always waited for.
import { join } from "node:path";
import { REPO_ROOT } from "./settings.ts";

const ARCH: Partial<Record<typeof Deno.build.arch, string>> = { x86_64: "x64", aarch64: "arm64" };

export function supabaseCliPath(os: typeof Deno.build.os = Deno.build.os, arch: typeof Deno.build.arch = Deno.build.arch): string {
  const cpu = ARCH[arch];
  if (!cpu || (os !== "linux" && os !== "darwin")) throw new Error(`The Supabase CLI has no package for ${os} on ${arch}`);
  return join(REPO_ROOT, "node_modules", "@supabase", `cli-${os}-${cpu}`, "bin", "supabase");
}
