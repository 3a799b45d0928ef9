import assert from "node:assert/strict";
import { readSettings } from "./settings.ts";
import { messagingEnv } from "./stack.ts";
import { loadMessagingConfig } from "../supabase/functions/_shared/messaging/config.ts";

Deno.test("without real providers the functions are pointed at the messaging sandbox, with a valid config", () => {
  const env = messagingEnv(readSettings({}), "http://127.0.0.1:54340");
  assert.equal(env.TWILIO_API_BASE, "http://127.0.0.1:54340");
  assert.equal(env.RESEND_API_BASE, "http://127.0.0.1:54340");
  const config = loadMessagingConfig(env, "http://127.0.0.1:54321");
  assert.equal(config.twilio?.fromNumber, "+15005550006");
  assert.equal(config.resend?.apiKey, "re_local_sandbox_key");
});

Deno.test("a channel the user configured keeps the user's variables and the real provider", () => {
  const settings = readSettings({ RESEND_API_KEY: "re_live", RESEND_WEBHOOK_SECRET: "whsec_abc=", EMAIL_FROM: "a@b.co" });
  const env = messagingEnv(settings, "http://127.0.0.1:54340");
  assert.equal(env.RESEND_API_BASE, undefined);
  assert.equal(env.RESEND_API_KEY, "re_live");
  assert.equal(env.TWILIO_API_BASE, "http://127.0.0.1:54340");
});
