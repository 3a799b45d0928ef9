import type { GraphQLSchema } from "graphql";
import type { AuthState } from "./auth.ts";
import { CostBucket, RequestWindow } from "./bucket.ts";
import type { Counters } from "./counters.ts";
import type { Faults } from "./faults.ts";
import { encodeId } from "./ids.ts";
import type { Logger } from "./log.ts";
import type { SandboxOptions } from "./options.ts";
import { resetStore } from "./seed.ts";
import type { Store } from "./store.ts";
import type { WebhookDispatcher } from "./webhooks.ts";

/** Everything a route handler may touch; built once per sandbox in server.ts. */
export interface Sandbox {
  options: SandboxOptions;
  store: Store;
  auth: AuthState;
  counters: Counters;
  faults: Faults;
  webhooks: WebhookDispatcher;
  schema: GraphQLSchema;
  log: Logger;
  now: () => number;
  /** Per app+account limiters (there is one app, so keyed by account id). */
  buckets: Map<number, CostBucket>;
  windows: Map<number, RequestWindow>;
}

export function bucketFor(sb: Sandbox, accountId: number): CostBucket {
  let bucket = sb.buckets.get(accountId);
  if (!bucket) {
    bucket = new CostBucket(sb.faults.bucket.max, sb.faults.bucket.restoreRate, sb.now);
    sb.buckets.set(accountId, bucket);
  }
  return bucket;
}

export function windowFor(sb: Sandbox, accountId: number): RequestWindow {
  let window = sb.windows.get(accountId);
  if (!window) {
    window = new RequestWindow(sb.now);
    sb.windows.set(accountId, window);
  }
  return window;
}

/** Disconnect from either side: tokens die, then APP_DISCONNECT goes out. */
export function disconnectAccount(sb: Sandbox, accountId: number): boolean {
  if (!sb.auth.disconnect(accountId)) return false;
  const id = encodeId("Account", accountId);
  sb.webhooks.fire("APP_DISCONNECT", id, id);
  sb.log("app_disconnected", { accountId: id });
  return true;
}

/** Added latency and forced 5xx shared by the GraphQL and token endpoints. */
export async function applyLatency(sb: Sandbox): Promise<void> {
  if (sb.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, sb.faults.latencyMs));
}

/** Back to the seeded state; faults, counters, tokens and subscriptions return to defaults. */
export function resetSandbox(sb: Sandbox, seed: number, defaults: () => Faults): void {
  resetStore(sb.store, seed);
  sb.auth.reset();
  sb.counters.reset();
  sb.faults = defaults();
  sb.buckets.clear();
  sb.windows.clear();
  sb.webhooks.reset(sb.options.webhookUrl);
}
