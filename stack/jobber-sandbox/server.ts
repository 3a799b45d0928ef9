import { AuthState } from "./auth.ts";
import type { Sandbox } from "./context.ts";
import { controlApi } from "./control.ts";
import { Counters } from "./counters.ts";
import { defaultFaults } from "./faults.ts";
import { graphqlEndpoint } from "./graphql_endpoint.ts";
import { apiError } from "../sandbox_http.ts";
import { encodeId } from "./ids.ts";
import { createLogger } from "./log.ts";
import { authorizeDecision, authorizePage, tokenEndpoint } from "./oauth.ts";
import { resolveOptions, type SandboxOptions } from "./options.ts";
import { homePage, uiAction } from "./page.ts";
import { buildSandboxSchema } from "./schema.ts";
import { resetStore } from "./seed.ts";
import { Store } from "./store.ts";
import { WebhookDispatcher } from "./webhooks.ts";

export interface RunningSandbox {
  url: string;
  port: number;
  /** The live state, for in-process tests and the bench. */
  sandbox: Sandbox;
  close(): Promise<void>;
}

/** `now` is the sandbox's clock; tests pass one they move by hand. */
export function createSandbox(partial: Partial<SandboxOptions> = {}, now: () => number = Date.now): Sandbox {
  const options = resolveOptions(partial);
  const log = createLogger(options.quiet);
  const store = new Store(now);
  const counters = new Counters();
  const sb: Sandbox = {
    options,
    store,
    auth: new AuthState(now, () => options.accessTokenLifetimeSeconds),
    counters,
    faults: defaultFaults(),
    webhooks: undefined as unknown as WebhookDispatcher,
    schema: buildSandboxSchema(),
    log,
    now,
    buckets: new Map(),
    windows: new Map(),
  };
  sb.webhooks = new WebhookDispatcher({
    secret: () => options.clientSecret,
    faults: () => sb.faults,
    counters,
    log,
    now,
  });
  // Webhooks only go to accounts that have the app installed, as in Jobber.
  store.onChange((event) => {
    if (!sb.auth.isConnected(event.accountId)) return;
    sb.webhooks.fire(
      event.topic,
      encodeId("Account", event.accountId),
      encodeId(event.itemType, event.itemId),
      event.at,
    );
  });
  resetStore(store, options.seed);
  sb.webhooks.subscribeAll(options.webhookUrl);
  return sb;
}

export async function handle(sb: Sandbox, req: Request): Promise<Response> {
  const url = new URL(req.url);
  const path = url.pathname;
  try {
    if (path === "/api/graphql" && req.method === "POST") return await graphqlEndpoint(sb, req);
    if (path === "/api/oauth/token" && req.method === "POST") return await tokenEndpoint(sb, req);
    if (path === "/api/oauth/authorize" && req.method === "GET") return authorizePage(sb, url);
    if (path === "/api/oauth/authorize" && req.method === "POST") return await authorizeDecision(sb, req);
    if (path.startsWith("/_sandbox/")) return await controlApi(sb, req, url);
    if (path === "/" && req.method === "GET") return homePage(sb);
    if (path.startsWith("/ui/") && req.method === "POST") {
      const res = await uiAction(sb, req, url);
      if (res) return res;
    }
    return apiError(404, "not_found", `No route ${req.method} ${path}`);
  } catch (error) {
    sb.log("internal_error", { path, message: error instanceof Error ? error.message : String(error) });
    return apiError(500, "internal_error", "Internal error; see the sandbox log");
  }
}

export async function startSandbox(
  partial: Partial<SandboxOptions> = {},
  now: () => number = Date.now,
): Promise<RunningSandbox> {
  const sb = createSandbox(partial, now);
  const { promise: listening, resolve } = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: sb.options.port,
    onListen: ({ port }) => resolve(port),
  }, (req) => handle(sb, req));
  const port = await listening;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    sandbox: sb,
    close: async () => {
      await sb.webhooks.close();
      await server.shutdown();
    },
  };
}
