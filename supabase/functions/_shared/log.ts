// Structured logging: one JSON line per event, with a redaction pass so tokens, OAuth codes,
// secrets and signatures never reach the log even if a caller passes them by mistake.

export type LogLevel = "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;
export type LogSink = (line: string) => void;

export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger that adds `fields` (e.g. request_id, business_id) to every line. */
  child(fields: LogFields): Logger;
}

export const REDACTED = "[redacted]";
const RESERVED = new Set(["ts", "level", "fn", "event"]);
const MAX_DEPTH = 6;
const MAX_STRING = 4000;

// Keys are compared lower-cased with separators removed, so `refresh_token`, `refreshToken`
// and `Refresh-Token` all match.
const SECRET_KEYS = new Set([
  "code",
  "state",
  "claim",
  "claims",
  "ticket",
  "token",
  "secret",
  "password",
  "authorization",
  "cookie",
  "setcookie",
  "signature",
  "apikey",
  "key",
  "jwt",
  "hmac",
]);
const SECRET_KEY_PARTS = [
  "token",
  "secret",
  "password",
  "passwd",
  "signature",
  "authorization",
  "apikey",
  "hmac",
  "jwt",
  "servicerolekey",
  "dburl",
  "cookie",
];
// Facts *about* secrets are useful and harmless: token_expires_at, refresh_count, the Vault secret id.
const SAFE_KEY_SUFFIXES = ["expiresat", "expiry", "count", "secretid"];

export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (SECRET_KEYS.has(k)) return true;
  if (SAFE_KEY_SUFFIXES.some((suffix) => k.endsWith(suffix))) return false;
  if (k.endsWith("key")) return true;
  return SECRET_KEY_PARTS.some((part) => k.includes(part));
}

const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?/g;
const BEARER_PATTERN = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
// postgres://user:password@host → keep user and host, drop the password.
const URL_PASSWORD_PATTERN = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s]+@/gi;

export function redactString(value: string): string {
  const out = value
    .replace(JWT_PATTERN, "[redacted-jwt]")
    .replace(BEARER_PATTERN, "$1 [redacted]")
    .replace(URL_PASSWORD_PATTERN, "$1[redacted]@");
  return out.length > MAX_STRING ? `${out.slice(0, MAX_STRING)}…[truncated]` : out;
}

/** Returns a JSON-safe copy of `value` with secret keys masked and JWT-looking strings removed. */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || value === undefined) return value;
  switch (typeof value) {
    case "string":
      return redactString(value);
    case "number":
    case "boolean":
      return value;
    case "bigint":
      return value.toString();
    case "function":
    case "symbol":
      return undefined;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof URL) return redactUrl(value);
  if (depth >= MAX_DEPTH) return "[depth limit]";
  const obj = value as object;
  if (seen.has(obj)) return "[circular]";
  seen.add(obj);
  if (value instanceof Error) {
    const out: LogFields = { name: value.name, message: redactString(value.message) };
    const code = (value as { code?: unknown }).code;
    if (typeof code === "string") out.error_code = code;
    if (value.stack) out.stack = redactString(value.stack);
    if (value.cause !== undefined) out.cause = redact(value.cause, depth + 1, seen);
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, seen));
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  const out: LogFields = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    out[k] = isSecretKey(k) ? REDACTED : redact(v, depth + 1, seen);
  }
  return out;
}

function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = "redacted";
  for (const key of [...copy.searchParams.keys()]) {
    if (isSecretKey(key)) copy.searchParams.set(key, REDACTED);
  }
  return redactString(copy.href);
}

export interface LoggerOptions {
  now?: () => Date;
  fields?: LogFields;
}

export function createLogger(fn: string, sink: LogSink = console.log, options: LoggerOptions = {}): Logger {
  const now = options.now ?? (() => new Date());
  const base = options.fields ?? {};

  const write = (level: LogLevel, event: string, fields: LogFields | undefined) => {
    const line: LogFields = { ts: now().toISOString(), level, fn, event: redactString(event) };
    const merged = { ...base, ...fields };
    const safe = redact(merged) as LogFields;
    for (const [k, v] of Object.entries(safe)) {
      if (!RESERVED.has(k) && v !== undefined) line[k] = v;
    }
    let text: string;
    try {
      text = JSON.stringify(line);
    } catch {
      text = JSON.stringify({
        ts: line.ts,
        level,
        fn,
        event: line.event,
        log_error: "unserialisable fields",
      });
    }
    try {
      sink(text);
    } catch {
      // A broken sink must never break the request that is logging.
    }
  };

  return {
    info: (event, fields) => write("info", event, fields),
    warn: (event, fields) => write("warn", event, fields),
    error: (event, fields) => write("error", event, fields),
    child: (fields) => createLogger(fn, sink, { now, fields: { ...base, ...fields } }),
  };
}

/** A logger that discards everything; handy default for dependencies in tests. */
export const silentLogger: Logger = createLogger("silent", () => {});
