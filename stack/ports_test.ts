import assert from "node:assert/strict";
import { freePort, isPortFree, waitForPort } from "./ports.ts";
import { readSettings } from "./settings.ts";
import { startStack, StackError } from "./stack.ts";

Deno.test("sees a port held by another listener as taken", () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  try {
    assert.equal(isPortFree(port), false);
  } finally {
    listener.close();
  }
  assert.equal(isPortFree(port), true);
});

Deno.test("hands out a port nobody listens on", () => {
  assert.equal(isPortFree(freePort()), true);
});

Deno.test("gives up waiting for a port that never opens, naming the service", async () => {
  await assert.rejects(() => waitForPort(freePort(), "Test service", 300), /Test service did not start listening/);
});

Deno.test("refuses to start on a taken port and names the variable that moves it", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  const dataDir = await Deno.makeTempDir();
  try {
    // Every other port is free (0), so the message is about ours even while `npm start` runs.
    const settings = readSettings({
      LOCAL_DATA_DIR: dataDir,
      DB_PORT: "0",
      GATEWAY_PORT: String(port),
      SANDBOX_PORT: "0",
      MESSAGING_SANDBOX_PORT: "0",
      WEB_PORT: "0",
    });
    await assert.rejects(() => startStack(settings, () => {}), (err: unknown) => {
      assert.ok(err instanceof StackError);
      assert.equal(
        err.message,
        `Port ${port} is already in use (is another stack running?). Set GATEWAY_PORT to use another port.`,
      );
      return true;
    });
  } finally {
    listener.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
