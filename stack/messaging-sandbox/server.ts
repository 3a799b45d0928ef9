import type { MessagingSandbox } from "./context.ts";
import { controlApi } from "./control.ts";
import { Counters } from "./counters.ts";
import { defaultFaults } from "./faults.ts";
import { handleSandboxRequest, type SandboxSite } from "../sandbox_http.ts";
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

const site: SandboxSite<MessagingSandbox> = {
  api: async (sb, req, url) => (await twilioApi(sb, req, url)) ?? (await resendApi(sb, req, url)),
  controlApi,
  homePage,
  uiAction,
};

export function handle(sb: MessagingSandbox, req: Request): Promise<Response> {
  return handleSandboxRequest(site, sb, req);
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
