// Test doubles for the providers' webhook requests: Twilio's form posts with X-Twilio-Signature and
// Resend's Svix-signed events. The signatures are made here with node:crypto, written from the
// providers' documentation - an implementation independent of the code under test (Web Crypto in
// twilio_signature.ts, the standardwebhooks package in resend_webhook.ts). The integration tests
// check the same against twilio's and svix's own libraries.
import { createHmac } from "node:crypto";
import { Buffer } from "node:buffer";
import { fixture } from "./fixtures.ts";

export const TEST_TWILIO = {
  TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000001",
  TWILIO_AUTH_TOKEN: "twilio-auth-token-for-webhook-tests",
  TWILIO_FROM_NUMBER: "+15005550006",
} as const;

export const TEST_RESEND = {
  RESEND_API_KEY: "re_webhook_tests",
  // whsec_ + base64("resend-webhook-secret-for-tests!")
  RESEND_WEBHOOK_SECRET: "whsec_cmVzZW5kLXdlYmhvb2stc2VjcmV0LWZvci10ZXN0cyE=",
  EMAIL_FROM: "Blipp Reviews <reviews@blipp.test>",
} as const;

/** Twilio's documented algorithm: HMAC-SHA1 over the URL then each sorted name and its value. */
export function twilioSign(authToken: string, url: string, params: Record<string, string>): string {
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join("");
  return createHmac("sha1", authToken).update(data, "utf8").digest("base64");
}

/** A form POST to `to`, signed (unless `signature` overrides it) over `signedUrl` (default: `to`). */
export function twilioRequest(
  to: string,
  params: Record<string, string>,
  options: { authToken?: string; signedUrl?: string; signature?: string | null } = {},
): Request {
  const signature = options.signature === undefined
    ? twilioSign(options.authToken ?? TEST_TWILIO.TWILIO_AUTH_TOKEN, options.signedUrl ?? to, params)
    : options.signature;
  return new Request(to, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded; charset=utf-8",
      "user-agent": "TwilioProxy/1.1",
      ...(signature === null ? {} : { "x-twilio-signature": signature }),
    },
    body: new URLSearchParams(params).toString(),
  });
}

/** A recorded Twilio payload with our own ids in it. */
export function twilioPayload(name: string, overrides: Record<string, string> = {}): Record<string, string> {
  return { ...(fixture(name) as Record<string, string>), ...overrides };
}

/** Svix's documented scheme: `v1,` + base64 HMAC-SHA256 (key: the base64 after whsec_) of id.ts.body. */
export function svixSign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`, "utf8").digest("base64")}`;
}

export interface SvixOptions {
  secret?: string;
  id?: string;
  /** Unix seconds; default now. */
  timestamp?: number;
  /** Replaces the svix-signature header (null: no header). */
  signature?: string | null;
  /** Sign this body but send `body`. */
  signedBody?: string;
}

export function svixRequest(to: string, body: string, options: SvixOptions = {}): Request {
  const id = options.id ?? `msg_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = options.signature === undefined
    ? svixSign(options.secret ?? TEST_RESEND.RESEND_WEBHOOK_SECRET, id, timestamp, options.signedBody ?? body)
    : options.signature;
  return new Request(to, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "Svix-Webhooks/1.0",
      "svix-id": id,
      "svix-timestamp": String(timestamp),
      ...(signature === null ? {} : { "svix-signature": signature }),
    },
    body,
  });
}

/** A recorded Resend event about `emailId`, serialised as Resend sends it. */
export function resendEvent(name: string, emailId: string): string {
  const event = fixture(name) as { data: Record<string, unknown> };
  return JSON.stringify({ ...event, data: { ...event.data, email_id: emailId } });
}
