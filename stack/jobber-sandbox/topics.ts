import type { ChangeTopic } from "./store.ts";

/** Topics the sandbox fires; each gets a webhook subscription by default. */
export type FiredTopic = ChangeTopic | "APP_DISCONNECT";

export const WEBHOOK_TOPICS: readonly FiredTopic[] = [
  "CLIENT_CREATE",
  "CLIENT_UPDATE",
  "CLIENT_DESTROY",
  "JOB_CREATE",
  "JOB_UPDATE",
  "JOB_CLOSED",
  "VISIT_COMPLETE",
  "APP_DISCONNECT",
  "JOB_DESTROY",
];

export function isFiredTopic(value: string): value is FiredTopic {
  return (WEBHOOK_TOPICS as readonly string[]).includes(value);
}
