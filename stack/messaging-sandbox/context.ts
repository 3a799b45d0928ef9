import type { Counters } from "./counters.ts";
import type { Faults } from "./faults.ts";
import type { Logger } from "./log.ts";
import type { MessagingSandboxOptions } from "./options.ts";
import type { RateLimiter } from "./rate_limit.ts";
import type { Store } from "./store.ts";
import type { Outbox } from "./outbox.ts";

/** Everything a route handler may touch; built once per sandbox in server.ts. */
export interface MessagingSandbox {
  options: MessagingSandboxOptions;
  store: Store;
  faults: Faults;
  counters: Counters;
  smsLimits: RateLimiter;
  emailLimits: RateLimiter;
  outbox: Outbox;
  /** Where inbound texts and email events go now (the control API can point them elsewhere). */
  webhooks: { smsInbound: string; emailEvents: string };
  log: Logger;
  now: () => number;
}

export async function applyLatency(sb: MessagingSandbox): Promise<void> {
  if (sb.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, sb.faults.latencyMs));
}
