import assert from "node:assert/strict";
import { readSettings, SettingsError } from "./settings.ts";

Deno.test("uses the documented local defaults when nothing is set", () => {
  const s = readSettings({});
  assert.deepEqual(
    { db: s.ports.db, gateway: s.ports.gateway, sandbox: s.ports.sandbox, web: s.ports.web },
    { db: 54322, gateway: 54321, sandbox: 54330, web: 5173 },
  );
  assert.equal(s.jwtSecret, "super-secret-jwt-token-with-at-least-32-characters-long");
  assert.equal(s.jobberApiBase, null);
  assert.equal(s.jobberClientId, "blipp-local");
});

Deno.test("names the variable when a port is not a number", () => {
  assert.throws(() => readSettings({ DB_PORT: "postgres" }), (err: unknown) => {
    assert.ok(err instanceof SettingsError);
    assert.match(err.message, /DB_PORT must be a port number/);
    return true;
  });
});

Deno.test("names the variable when a port is out of range", () => {
  assert.throws(() => readSettings({ WEB_PORT: "70000" }), /WEB_PORT must be between 0 and 65535/);
});

Deno.test("refuses a JWT secret too short to sign tokens safely", () => {
  assert.throws(() => readSettings({ SUPABASE_JWT_SECRET: "short" }), /SUPABASE_JWT_SECRET must be at least 32 characters/);
});

Deno.test("refuses a Jobber API base that is not a URL", () => {
  assert.throws(() => readSettings({ JOBBER_API_BASE: "api.getjobber.com" }), /JOBBER_API_BASE must be a URL/);
});

Deno.test("the messaging sandbox has its own port variable", () => {
  assert.equal(readSettings({}).ports.messagingSandbox, 54340);
  assert.equal(readSettings({ MESSAGING_SANDBOX_PORT: "6000" }).ports.messagingSandbox, 6000);
  assert.throws(() => readSettings({ MESSAGING_SANDBOX_PORT: "x" }), /MESSAGING_SANDBOX_PORT must be a port number/);
});

Deno.test("provider credentials in the environment mean a real provider for that channel only", () => {
  assert.deepEqual(readSettings({}).messaging, { twilio: null, resend: null });
  // A base URL alone configures nothing.
  assert.deepEqual(readSettings({ TWILIO_API_BASE: "https://api.twilio.com" }).messaging.twilio, null);
  const s = readSettings({ TWILIO_ACCOUNT_SID: "AC1", TWILIO_AUTH_TOKEN: "t", TWILIO_FROM_NUMBER: "+15005550006" });
  assert.deepEqual(s.messaging.twilio, { TWILIO_ACCOUNT_SID: "AC1", TWILIO_AUTH_TOKEN: "t", TWILIO_FROM_NUMBER: "+15005550006" });
  assert.equal(s.messaging.resend, null);
});
