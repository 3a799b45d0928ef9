// Serves every Edge Function in supabase/functions/ from one Deno process, the way the Supabase
// edge runtime routes /functions/v1/<name>. Each function folder has `handler.ts` exporting
// `createHandler(runtime)`, and its `index.ts` (what `supabase functions deploy` ships) wires the
// same handler to Deno.serve - so local and hosted run identical code.
import { fileURLToPath } from "node:url";

const FUNCTIONS_DIR = new URL("../supabase/functions/", import.meta.url);

type Handler = (req: Request) => Promise<Response> | Response;

interface Loaded {
  handlers: Map<string, Handler>;
  /** The runtime's database pool, ended when these handlers are replaced. */
  sql: { end(options?: { timeout?: number }): Promise<void> } | null;
}

async function loadHandlers(): Promise<Loaded> {
  const handlers = new Map<string, Handler>();
  const names = [...Deno.readDirSync(FUNCTIONS_DIR)]
    .filter((e) => e.isDirectory && !e.name.startsWith("_") && !e.name.startsWith("."))
    .map((e) => e.name)
    .filter((name) => {
      try {
        return Deno.statSync(fileURLToPath(new URL(`${name}/handler.ts`, FUNCTIONS_DIR))).isFile;
      } catch {
        return false;
      }
    })
    .sort();
  if (names.length === 0) return { handlers, sql: null };
  const runtimeModule = await import(new URL("_shared/runtime.ts", FUNCTIONS_DIR).href);
  const runtime = runtimeModule.createRuntime(Deno.env.toObject());
  for (const name of names) {
    const mod = await import(new URL(`${name}/handler.ts`, FUNCTIONS_DIR).href);
    handlers.set(name, mod.createHandler(runtime));
  }
  return { handlers, sql: runtime.sql };
}

// Hosted Supabase runs each function in an isolate of its own and replaces one that dies; here one
// process serves them all, so an uncaught error must neither take every function down nor leave them
// on what broke. The case that happens: the postgres driver (3.4.9) writes from a timer to a
// connection the database has just cut (a restart), throws, and leaves that connection unable to
// send anything again - every later request on it hangs (porsager/postgres#1154, #1066). So the
// error is logged and, like a replaced isolate, the handlers start over on a fresh runtime and pool;
// the old pool gets a grace period for the work still on it, then is closed.
const REPLACE_AT_MOST_EVERY_MS = 1_000;
const OLD_POOL_GRACE_SECONDS = 10;
let current: Loaded = { handlers: new Map(), sql: null };
let scheduled: ReturnType<typeof setTimeout> | null = null;
let lastReplacedAt = -Infinity;

async function replaceRuntime() {
  const old = current;
  try {
    current = await loadHandlers();
    console.error(JSON.stringify({ service: "functions", event: "runtime_replaced" }));
    old.sql?.end({ timeout: OLD_POOL_GRACE_SECONDS }).catch(() => {});
  } catch (err) {
    console.error(JSON.stringify({ service: "functions", event: "runtime_replace_failed", error: String(err) }));
  } finally {
    lastReplacedAt = performance.now();
    scheduled = null;
  }
}

// A cut usually breaks several connections at once: their errors make one replacement, and errors
// arriving later (the old pool's, or a new pool's caught by the same outage) make one more, no sooner
// than a second after the last.
function startOver(what: string, error: unknown) {
  console.error(JSON.stringify({ service: "functions", event: what, error: String((error as Error)?.stack ?? error) }));
  if (scheduled !== null) return;
  scheduled = setTimeout(replaceRuntime, Math.max(0, lastReplacedAt + REPLACE_AT_MOST_EVERY_MS - performance.now()));
}

globalThis.addEventListener("error", (event) => {
  event.preventDefault();
  startOver("uncaught_error", (event as ErrorEvent).error ?? event.message);
});
globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  startOver("unhandled_rejection", event.reason);
});

const port = Number(Deno.env.get("FUNCTIONS_PORT") ?? "0");
current = await loadHandlers();

const server = Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: ({ port }) =>
    console.log(JSON.stringify({ service: "functions", event: "listening", port, functions: [...current.handlers.keys()] })),
}, async (req) => {
  const name = new URL(req.url).pathname.split("/")[1] ?? "";
  const handler = current.handlers.get(name);
  if (!handler) {
    return Response.json({ error: { code: "not_found", message: `No function named "${name}".` } }, { status: 404 });
  }
  return await handler(req);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    server.shutdown().finally(() => Deno.exit(0));
  });
}
