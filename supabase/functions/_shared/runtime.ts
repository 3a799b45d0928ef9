// Everything a function handler depends on, built once per process from the environment. Handlers
// take a Runtime as their only argument, so tests build one with fakes (fetch, clock, sleep).
import { type Config, loadConfig } from "./config.ts";
import { createDb, type Sql } from "./db.ts";
import { createLogger, type Logger, type LogSink } from "./log.ts";
import { type Random, realSleep, type Sleep } from "./jobber/retry.ts";
import { createJwks } from "./auth.ts";
import { loadMessagingConfig, type MessagingConfig } from "./messaging/config.ts";
import type { JWTVerifyGetKey } from "jose";

export interface Runtime {
  config: Config;
  /** Twilio / Resend settings; a channel left unconfigured is null (unavailable), never an error. */
  messaging: MessagingConfig;
  sql: Sql;
  fetch: typeof fetch;
  now: () => Date;
  sleep: Sleep;
  random: Random;
  logger: (fn: string) => Logger;
  /** The project's JWKS, when user JWTs are not verified with a shared secret. */
  jwks: JWTVerifyGetKey | null;
  tuning: Tuning;
}

/** Timings that tests and operators may shorten; production uses the defaults. */
export interface Tuning {
  /** A token is treated as expired this long before its `exp` (SPEC §8 "refresh margin"). */
  refreshMarginMs: number;
  /** The scheduled refresh renews tokens expiring within this window. */
  scheduledRefreshWindowMs: number;
  /** A sync invocation checkpoints and hands over after this long (Edge Functions cap wall time). */
  syncTimeBudgetMs: number;
  /** A sync run's lease; a run whose heartbeat is older than this is resumed by another worker. */
  syncLeaseMs: number;
  /** Connected businesses get an incremental run when their last one is this old. */
  syncIntervalMs: number;
  /** Anonymous (Marketplace) callbacks that may exchange a code, per client address per minute. */
  installsPerAddressPerMinute: number;
  /** The same, for all addresses together: what bounds the token calls a flood can cost. */
  installsPerMinute: number;
  /** No new Marketplace install is admitted while this many are waiting for a claim. */
  maxPendingInstalls: number;
  /** A send_review_messages invocation hands over after this long. */
  sendTimeBudgetMs: number;
  /** The review sender's lease; messages held by a worker silent for longer are taken over. */
  sendLeaseMs: number;
  /** The webhook worker's lease; events held by a worker silent for longer are claimed again. */
  webhookLeaseMs: number;
  /** Connected businesses are reconciled when their last reconciliation is this old. */
  reconcileIntervalMs: number;
}

const number = (env: Record<string, string | undefined>, name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`Invalid configuration: ${name} must be a positive number of milliseconds`);
  }
  return value;
};

const count = (env: Record<string, string | undefined>, name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`Invalid configuration: ${name} must be a positive whole number`);
  }
  return value;
};

export function readTuning(env: Record<string, string | undefined>): Tuning {
  return {
    refreshMarginMs: number(env, "JOBBER_REFRESH_MARGIN_MS", 5 * 60_000),
    scheduledRefreshWindowMs: number(env, "JOBBER_SCHEDULED_REFRESH_WINDOW_MS", 15 * 60_000),
    syncTimeBudgetMs: number(env, "SYNC_TIME_BUDGET_MS", 100_000),
    syncLeaseMs: number(env, "SYNC_LEASE_MS", 60_000),
    syncIntervalMs: number(env, "SYNC_INTERVAL_MS", 15 * 60_000),
    installsPerAddressPerMinute: count(env, "MARKETPLACE_INSTALLS_PER_ADDRESS_PER_MINUTE", 5),
    installsPerMinute: count(env, "MARKETPLACE_INSTALLS_PER_MINUTE", 30),
    maxPendingInstalls: count(env, "MARKETPLACE_PENDING_INSTALLS_MAX", 50),
    sendTimeBudgetMs: number(env, "SEND_TIME_BUDGET_MS", 100_000),
    sendLeaseMs: number(env, "SEND_LEASE_MS", 60_000),
    webhookLeaseMs: number(env, "WEBHOOK_LEASE_MS", 60_000),
    reconcileIntervalMs: number(env, "RECONCILE_INTERVAL_MS", 60 * 60_000),
  };
}

export function createRuntime(env: Record<string, string | undefined>, sink: LogSink = console.log): Runtime {
  const config = loadConfig(env);
  return {
    config,
    messaging: loadMessagingConfig(env, config.supabaseUrl),
    sql: createDb(config),
    fetch: globalThis.fetch.bind(globalThis),
    now: () => new Date(),
    sleep: realSleep,
    random: Math.random,
    logger: (fn) => createLogger(fn, sink),
    jwks: config.jwtSecret ? null : createJwks(config),
    tuning: readTuning(env),
  };
}
