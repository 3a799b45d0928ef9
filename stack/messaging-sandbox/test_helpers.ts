// Shared by the *_test.ts files: start a sandbox, call it as Twilio / Resend clients do, receive
// what it sends.
import { LOCAL_MESSAGING, type MessagingSandboxOptions } from "./options.ts";
import { type RunningMessagingSandbox, startSandbox } from "./server.ts";
export { control, waitFor } from "../sandbox_testing.ts";

export const SID = LOCAL_MESSAGING.twilioAccountSid;
export const FROM = LOCAL_MESSAGING.twilioFromNumber;
export const BASIC = `Basic ${btoa(`${SID}:${LOCAL_MESSAGING.twilioAuthToken}`)}`;

export async function withSandbox(
  options: Partial<MessagingSandboxOptions>,
  fn: (s: RunningMessagingSandbox) => Promise<void>,
): Promise<void> {
  const s = await startSandbox({
    port: 0,
    quiet: true,
    smsInboundUrl: "http://127.0.0.1:9/none",
    emailWebhookUrl: "http://127.0.0.1:9/none",
    ...options,
  });
  try {
    // Fast lifecycles keep tests short; tests that need the defaults reset them.
    s.sandbox.faults.lifecycle = { sentAfterMs: 20, deliveredAfterMs: 60 };
    await fn(s);
  } finally {
    await s.close();
  }
}

export async function createSms(
  s: RunningMessagingSandbox,
  fields: Record<string, string>,
  auth = BASIC,
  // deno-lint-ignore no-explicit-any
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${s.url}/2010-04-01/Accounts/${SID}/Messages.json`, {
    method: "POST",
    headers: { authorization: auth, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ From: FROM, ...fields }),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

export async function sendEmail(
  s: RunningMessagingSandbox,
  payload: Record<string, unknown>,
  headers: Record<string, string> = {},
  // deno-lint-ignore no-explicit-any
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${s.url}/emails`, {
    method: "POST",
    headers: { authorization: `Bearer ${LOCAL_MESSAGING.resendApiKey}`, "content-type": "application/json", ...headers },
    body: JSON.stringify({ from: LOCAL_MESSAGING.emailFrom, subject: "Hi", text: "Hello", ...payload }),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

export interface Received {
  url: string;
  body: string;
  headers: Headers;
}

/** Collects what the sandbox posts; `respond` picks each answer. */
export function receiver(respond: (n: number) => number = () => 200) {
  const received: Received[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    received.push({ url: req.url, body: await req.text(), headers: req.headers });
    return new Response(null, { status: respond(received.length) });
  });
  return { url: `http://127.0.0.1:${server.addr.port}/hook`, received, close: () => server.shutdown() };
}

export const form = (r: Received) => Object.fromEntries(new URLSearchParams(r.body));
