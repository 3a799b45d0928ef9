import type { MessagingSandbox } from "./context.ts";
import { controlApi } from "./control.ts";
import { Counters } from "./counters.ts";
import { defaultFaults } from "./faults.ts";
import { apiError } from "../sandbox_http.ts";
import { createLogger } from "./log.ts";
import { type MessagingSandboxOptions, resolveOptions } from "./options.ts";
import { Outbox } from "./outbox.ts";
import { homePage, uiAction } from "./page.ts";
import { RateLimiter } from "./rate_limit.ts";
import { resendApi } from "./resend_api.ts";
import { Store } from "./store.ts";
import { twilioApi } from "./twilio_api.ts";

export interface RunningMessagingSandbox {
  url: string;
  port: number;
  sandbox: MessagingSandbox;
  close(): Promise<void>;
}

export function createSandbox(partial: Partial<MessagingSandboxOptions> = {}): MessagingSandbox {
  const options = resolveOptions(partial);
  const now = Date.now;
  const log = createLogger(options.quiet);
  const counters = new Counters();
  const sb = {
    options,
    store: new Store(),
    faults: defaultFaults(),
    counters,
    webhooks: { smsInbound: options.smsInboundUrl, emailEvents: options.emailWebhookUrl },
    log,
    now,
  } as MessagingSandbox;
  sb.smsLimits = new RateLimiter(() => ({ perSecond: sb.faults.limits.smsPerSecond, burst: sb.faults.limits.smsBurst }), now);
  sb.emailLimits = new RateLimiter(
    () => ({ perSecond: sb.faults.limits.emailPerSecond, burst: sb.faults.limits.emailBurst }),
    now,
  );
  sb.outbox = new Outbox({
    faults: () => sb.faults,
    authToken: () => options.authToken,
    webhookSecret: () => options.resendWebhookSecret,
    counters,
    log,
    now,
  });
  return sb;
}

export async function handle(sb: MessagingSandbox, req: Request): Promise<Response> {
  const url = new URL(req.url);
  const path = url.pathname;
  try {
    const api = (await twilioApi(sb, req, url)) ?? (await resendApi(sb, req, url));
    if (api) return api;
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

export async function startSandbox(partial: Partial<MessagingSandboxOptions> = {}): Promise<RunningMessagingSandbox> {
  const sb = createSandbox(partial);
  const { promise: listening, resolve } = Promise.withResolvers<number>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: sb.options.port, onListen: ({ port }) => resolve(port) }, (req) =>
    handle(sb, req));
  const port = await listening;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    sandbox: sb,
    close: async () => {
      await sb.outbox.close();
      await server.shutdown();
    },
  };
}
