import assert from "node:assert/strict";
import { createLogger, isSecretKey, redact } from "./log.ts";

// Built at run time so no token-shaped string is committed; the signature is not a real one.
const b64url = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, "");
const JWT = [b64url({ alg: "HS256", typ: "JWT" }), b64url({ sub: "1234567890" }), "c2lnbmF0dXJlLXZhbHVl"].join(".");

function capture() {
  const lines: string[] = [];
  return { lines, sink: (line: string) => lines.push(line) };
}

Deno.test("writes one JSON line per event with ts, level, fn and event first", () => {
  const { lines, sink } = capture();
  const log = createLogger("jobber-sync", sink, { now: () => new Date("2025-10-12T03:27:49.112Z") });
  log.info("sync_started", { business_id: "b-1", processed: 3 });
  assert.equal(lines.length, 1);
  const line = lines[0]!;
  assert.equal(line.includes("\n"), false);
  assert.deepEqual(JSON.parse(line), {
    ts: "2025-10-12T03:27:49.112Z",
    level: "info",
    fn: "jobber-sync",
    event: "sync_started",
    business_id: "b-1",
    processed: 3,
  });
  assert.ok(line.startsWith('{"ts":'));
});

Deno.test("child loggers carry request_id and business_id on every line", () => {
  const { lines, sink } = capture();
  const log = createLogger("jobber-status", sink).child({ request_id: "req-1" }).child({
    business_id: "b-2",
  });
  log.warn("slow");
  log.error("failed", { request_id: "ignored-later-wins" });
  const [a, b] = lines.map((l) => JSON.parse(l));
  assert.equal(a.request_id, "req-1");
  assert.equal(a.business_id, "b-2");
  assert.equal(a.level, "warn");
  assert.equal(b.level, "error");
  assert.equal(b.request_id, "ignored-later-wins");
});

Deno.test("fields cannot overwrite ts, level, fn or event", () => {
  const { lines, sink } = capture();
  createLogger("fn-a", sink).info("real_event", { level: "error", fn: "other", event: "fake" });
  const parsed = JSON.parse(lines[0]!);
  assert.equal(parsed.level, "info");
  assert.equal(parsed.fn, "fn-a");
  assert.equal(parsed.event, "real_event");
});

Deno.test("secrets never appear in log lines, whatever key or nesting they come in", () => {
  const { lines, sink } = capture();
  const secrets = [
    "access-secret-1",
    "refresh-secret-2",
    "oauth-code-3",
    "client-secret-4",
    "sig-5",
    "hunter2",
    "claim-token-7",
    "state-nonce-8",
    "service-key-9",
    "dbpass",
  ];
  const log = createLogger("jobber-callback", sink);
  log.info("tokens_stored", {
    access_token: "access-secret-1",
    tokens: { refreshToken: "refresh-secret-2" },
    code: "oauth-code-3",
    jobberClientSecret: "client-secret-4",
    "X-Jobber-Hmac-SHA256": "sig-5",
    nested: [{ password: "hunter2" }, { claim: "claim-token-7" }],
    state: "state-nonce-8",
    headers: { Authorization: "Bearer service-key-9", apikey: "service-key-9" },
    note: `got ${JWT} back`,
    db: "postgresql://postgres:dbpass@127.0.0.1:54322/postgres",
    token_expires_at: new Date("2025-10-12T04:27:49.112Z"),
  });
  log.error("failed", { error: new Error(`Jobber said Bearer ${JWT}`) });
  const all = lines.join("\n");
  for (const secret of secrets) assert.equal(all.includes(secret), false, `${secret} leaked`);
  assert.equal(all.includes("eyJ"), false);
  const first = JSON.parse(lines[0]!);
  assert.equal(first.access_token, "[redacted]");
  assert.equal(first.code, "[redacted]");
  assert.equal(first.note, "got [redacted-jwt] back");
  // Facts about tokens stay readable.
  assert.equal(first.token_expires_at, "2025-10-12T04:27:49.112Z");
  assert.equal(first.db, "postgresql://postgres:[redacted]@127.0.0.1:54322/postgres");
});

Deno.test("errors are logged with name, message and code; circular values do not throw", () => {
  const { lines, sink } = capture();
  const err = Object.assign(new Error("boom"), { code: "jobber_error" });
  const loop: Record<string, unknown> = { a: 1 };
  loop.self = loop;
  createLogger("f", sink).error("failed", { error: err, loop, big: 10n });
  const parsed = JSON.parse(lines[0]!);
  assert.equal(parsed.error.name, "Error");
  assert.equal(parsed.error.message, "boom");
  assert.equal(parsed.error.error_code, "jobber_error");
  assert.equal(parsed.loop.self, "[circular]");
  assert.equal(parsed.big, "10");
});

Deno.test("a throwing sink never breaks the caller", () => {
  const log = createLogger("f", () => {
    throw new Error("disk full");
  });
  log.info("still_fine");
});

Deno.test("isSecretKey matches secret-bearing keys in any casing and keeps harmless ones", () => {
  for (
    const key of [
      "token",
      "access_token",
      "refreshToken",
      "Authorization",
      "client_secret",
      "signature",
      "apikey",
      "code",
      "claim",
      "ticket",
      "password",
      "supabaseServiceRoleKey",
    ]
  ) {
    assert.equal(isSecretKey(key), true, key);
  }
  for (
    const key of [
      "business_id",
      "request_id",
      "token_expires_at",
      "status",
      "topic",
      "access_token_secret_id",
      "error_code",
    ]
  ) {
    assert.equal(isSecretKey(key), false, key);
  }
});

Deno.test("redact masks secret query parameters in URLs", () => {
  const out = redact(new URL("https://x.test/cb?code=abc&state=def&result=ok"));
  assert.equal(out, "https://x.test/cb?code=%5Bredacted%5D&state=%5Bredacted%5D&result=ok");
});
