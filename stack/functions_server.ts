// Serves every Edge Function in supabase/functions/ from one Deno process, the way the Supabase
// edge runtime routes /functions/v1/<name>. Each function folder has `handler.ts` exporting
// `createHandler(runtime)`, and its `index.ts` (what `supabase functions deploy` ships) wires the
// same handler to Deno.serve - so local and hosted run identical code.
import { fileURLToPath } from "node:url";

const FUNCTIONS_DIR = new URL("../supabase/functions/", import.meta.url);

type Handler = (req: Request) => Promise<Response> | Response;

async function loadHandlers(): Promise<Map<string, Handler>> {
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
  if (names.length === 0) return handlers;
  const runtimeModule = await import(new URL("_shared/runtime.ts", FUNCTIONS_DIR).href);
  const runtime = runtimeModule.createRuntime(Deno.env.toObject());
  for (const name of names) {
    const mod = await import(new URL(`${name}/handler.ts`, FUNCTIONS_DIR).href);
    handlers.set(name, mod.createHandler(runtime));
  }
  return handlers;
}

const port = Number(Deno.env.get("FUNCTIONS_PORT") ?? "0");
const handlers = await loadHandlers();

const server = Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: ({ port }) =>
    console.log(JSON.stringify({ service: "functions", event: "listening", port, functions: [...handlers.keys()] })),
}, async (req) => {
  const name = new URL(req.url).pathname.split("/")[1] ?? "";
  const handler = handlers.get(name);
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
