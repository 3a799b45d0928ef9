import assert from "node:assert/strict";
import { AppError } from "../errors.ts";
import { resendEventReport, resendEventSchema, resendVerifier, svixHeaders, verifyResendWebhook } from "./resend_webhook.ts";
import { resendEvent, svixSign, TEST_RESEND } from "./testing_webhooks.ts";

const SECRET = TEST_RESEND.RESEND_WEBHOOK_SECRET;
const verifier = resendVerifier(SECRET);
const now = () => Math.floor(Date.now() / 1000);
const body = resendEvent("resend_event_delivered", "4ef9a417-02e9-4d39-ad75-9611e0fcc33c");

function headers(fields: Record<string, string>) {
  return svixHeaders(new Headers(fields));
}

function signed(payload: string, options: { id?: string; timestamp?: number; secret?: string } = {}) {
  const id = options.id ?? "msg_2LJRb5C9q8mJ3w6Gk0b2Jk1x";
  const timestamp = options.timestamp ?? now();
  return headers({
    "svix-id": id,
    "svix-timestamp": String(timestamp),
    "svix-signature": svixSign(options.secret ?? SECRET, id, timestamp, payload),
  });
}

function rejection(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AppError, `expected an AppError, got ${err}`);
    assert.equal(err.code, "invalid_signature");
    assert.equal(err.status, 401);
    return err.message;
  }
  assert.fail("expected the webhook to be rejected");
}

Deno.test("accepts an event signed with the endpoint's secret over the raw body", () => {
  verifyResendWebhook(verifier, body, signed(body));
});

Deno.test("rejects a missing, wrong or other-secret signature", () => {
  rejection(() => verifyResendWebhook(verifier, body, null));
  rejection(() => verifyResendWebhook(verifier, body, headers({ "svix-id": "msg_1", "svix-timestamp": String(now()) })));
  rejection(() => verifyResendWebhook(verifier, body, signed(body, { secret: "whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==" })));
  const good = signed(body)!;
  rejection(() => verifyResendWebhook(verifier, body, { ...good, signature: "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" }));
  rejection(() => verifyResendWebhook(verifier, body, { ...good, id: "msg_another" }));
});

Deno.test("rejects a replay with a changed field", () => {
  const good = signed(body);
  const tampered = body.replace('"email.delivered"', '"email.bounced"');
  assert.notEqual(tampered, body);
  assert.match(rejection(() => verifyResendWebhook(verifier, tampered, good)), /signature does not match/);
  // Re-serialising the JSON (a framework parsing and stringifying it) is not the raw body either.
  rejection(() => verifyResendWebhook(verifier, JSON.stringify(JSON.parse(body), null, 2), good));
});

Deno.test("rejects timestamps more than 5 minutes off, saying so", () => {
  const old = signed(body, { timestamp: now() - 6 * 60 });
  assert.match(rejection(() => verifyResendWebhook(verifier, body, old)), /more than 5 minutes/);
  const future = signed(body, { timestamp: now() + 6 * 60 });
  assert.match(rejection(() => verifyResendWebhook(verifier, body, future)), /more than 5 minutes/);
  verifyResendWebhook(verifier, body, signed(body, { timestamp: now() - 4 * 60 }));
  rejection(() => verifyResendWebhook(verifier, body, { ...signed(body)!, timestamp: "soon" }));
});

Deno.test("accepts any matching signature in the list (Resend rotating the secret)", () => {
  const good = signed(body)!;
  const rotating = { ...good, signature: `v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v1a,xyz ${good.signature}` };
  verifyResendWebhook(verifier, body, rotating);
});

Deno.test("reads the Standard Webhooks header names too", () => {
  const good = signed(body)!;
  verifyResendWebhook(verifier, body, headers({
    "webhook-id": good.id,
    "webhook-timestamp": good.timestamp,
    "webhook-signature": good.signature,
  }));
});

const report = (name: string) => resendEventReport(resendEventSchema.parse(JSON.parse(resendEvent(name, "e-1"))));

Deno.test("maps recorded delivery events to forward-only statuses", () => {
  assert.equal(report("resend_event_sent")?.status, "sent");
  assert.equal(report("resend_event_delivery_delayed")?.status, "sent", "delayed: Resend has it and keeps trying");
  assert.deepEqual(report("resend_event_delivered"), {
    status: "delivered",
    errorCode: null,
    errorMessage: null,
    contactEffect: null,
    effectSource: null,
  });
  assert.equal(report("resend_event_opened"), null, "opens say nothing about delivery");
});

Deno.test("a bounce is undelivered and makes the address unusable; a complaint is an opt-out", () => {
  assert.deepEqual(report("resend_event_bounced"), {
    status: "undelivered",
    errorCode: "email_bounced",
    errorMessage: "The recipient's mail server permanently rejected the email.",
    contactEffect: "email_unusable",
    effectSource: null,
  });
  assert.deepEqual(report("resend_event_complained"), {
    status: "delivered",
    errorCode: null,
    errorMessage: null,
    contactEffect: "opted_out",
    effectSource: "email_complaint",
  });
  assert.deepEqual(report("resend_event_failed"), {
    status: "failed",
    errorCode: "email_failed",
    errorMessage: "reached_daily_quota",
    contactEffect: null,
    effectSource: null,
  });
});

Deno.test("a bounce Resend marks transient does not condemn the address", () => {
  const event = JSON.parse(resendEvent("resend_event_bounced", "e-2"));
  event.data.bounce.type = "Transient";
  const r = resendEventReport(resendEventSchema.parse(event));
  assert.equal(r?.status, "undelivered");
  assert.equal(r?.contactEffect, null);
});

Deno.test("an event must name its email", () => {
  const event = JSON.parse(resendEvent("resend_event_sent", "e-3"));
  delete event.data.email_id;
  assert.equal(resendEventSchema.safeParse(event).success, false);
});
