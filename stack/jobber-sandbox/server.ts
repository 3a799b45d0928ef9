import { AuthState } from "./auth.ts";
import type { Sandbox } from "./context.ts";
import { controlApi } from "./control.ts";
import { Counters } from "./counters.ts";
import { defaultFaults } from "./faults.ts";
import { graphqlEndpoint } from "./graphql_endpoint.ts";
import { handleSandboxRequest, type SandboxSite } from "../sandbox_http.ts";
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

/** Jobber's own endpoints: GraphQL and OAuth. */
async function jobberApi(sb: Sandbox, req: Request, url: URL): Promise<Response | null> {
  const path = url.pathname;
  if (path === "/api/graphql" && req.method === "POST") return await graphqlEndpoint(sb, req);
  if (path === "/api/oauth/token" && req.method === "POST") return await tokenEndpoint(sb, req);
  if (path === "/api/oauth/authorize" && req.method === "GET") return authorizePage(sb, url);
  if (path === "/api/oauth/authorize" && req.method === "POST") return await authorizeDecision(sb, req);
  return null;
}

const site: SandboxSite<Sandbox> = { api: jobberApi, controlApi, homePage, uiAction };

export function handle(sb: Sandbox, req: Request): Promise<Response> {
  return handleSandboxRequest(site, sb, req);
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
