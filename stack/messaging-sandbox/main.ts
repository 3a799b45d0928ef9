import { optionsFromEnv } from "./options.ts";
import { startSandbox } from "./server.ts";

// CLI: configure from env (validated, failing fast with the variable's name), serve until a signal.
let options;
try {
  options = optionsFromEnv(Deno.env.toObject());
} catch (error) {
  console.error(JSON.stringify({ service: "messaging-sandbox", event: "config_error", message: String((error as Error).message) }));
  Deno.exit(1);
}
const running = await startSandbox({ ...options, quiet: false });
console.log(JSON.stringify({ service: "messaging-sandbox", url: running.url }));
const stop = async () => {
  await running.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
