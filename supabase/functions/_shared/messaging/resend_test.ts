import assert from "node:assert/strict";
import { stubFetch } from "../testing.ts";
import { loadMessagingConfig, unsubscribeUrlFor } from "./config.ts";
import { createSenders } from "./senders.ts";
import { fixtureReply } from "./fixtures.ts";
import type { EmailMessage } from "./types.ts";

const ENV = {
  RESEND_API_BASE: "https://resend.test",
  RESEND_API_KEY: "re_test_key_for_tests",
  RESEND_WEBHOOK_SECRET: "whsec_dGVzdC1zZWNyZXQtZm9yLXRlc3Rz",
  EMAIL_FROM: "Brightside Cleaning <reviews@blipp.test>",
};
const config = loadMessagingConfig(ENV, "http://127.0.0.1:54321");
const EMAIL: EmailMessage = {
  channel: "email",
  id: "0b5d2f4e-7a9c-4c1e-9f3b-2d8e6a4c1b7f",
  to: "jane@example.com",
  subject: "How did we do?",
  html: "<p>Tell us: <a href=\"https://example.test/r?t=abc\">review</a></p>",
  text: "Tell us: https://example.test/r?t=abc",
  unsubscribeUrl: unsubscribeUrlFor(config, "unsub-token"),
};
let clock = new Date("2025-10-12T03:27:49Z");
const now = () => clock;

Deno.test("posts JSON with the Bearer key, the message id as Idempotency-Key, HTML and text, and RFC 8058 headers", async () => {
  const stub = stubFetch(() => fixtureReply("resend_sent", 200));
  const outcome = await createSenders(config, { fetch: stub, now }).email.send(EMAIL);
  assert.deepEqual(outcome, { kind: "accepted", providerMessageId: "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794", status: "queued" });
  const call = stub.calls[0]!;
  assert.equal(call.url, "https://resend.test/emails");
  assert.equal(call.headers.get("authorization"), "Bearer re_test_key_for_tests");
  assert.equal(call.headers.get("idempotency-key"), EMAIL.id);
  assert.deepEqual(JSON.parse(call.body), {
    from: "Brightside Cleaning <reviews@blipp.test>",
    to: ["jane@example.com"],
    subject: "How did we do?",
    html: EMAIL.html,
    text: EMAIL.text,
    headers: {
      "List-Unsubscribe": "<http://127.0.0.1:54321/functions/v1/review-unsubscribe?t=unsub-token>",
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    },
  });
});

Deno.test("resolving a crashed send re-posts with the same key and takes the original answer", async () => {
  const stub = stubFetch(() => fixtureReply("resend_sent", 200));
  const sender = createSenders(config, { fetch: stub, now }).email;
  const outcome = await sender.resolveUnknown(EMAIL, new Date(clock.getTime() - 60_000));
  assert.deepEqual(outcome, { kind: "found", providerMessageId: "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794", status: "queued" });
  assert.equal(stub.calls[0]!.headers.get("idempotency-key"), EMAIL.id);
});

Deno.test("past Resend's idempotency window the outcome cannot be known, and nothing is posted", async () => {
  const stub = stubFetch(() => fixtureReply("resend_sent", 200));
  const sender = createSenders(config, { fetch: stub, now }).email;
  const outcome = await sender.resolveUnknown(EMAIL, new Date(clock.getTime() - 24 * 3600_000));
  assert.equal(outcome.kind, "undeterminable");
  assert.equal(stub.calls.length, 0);
});

Deno.test("a key already used for another email is undeterminable, never re-sent", async () => {
  const stub = stubFetch(() => fixtureReply("resend_error_idempotency_mismatch", 409));
  const outcome = await createSenders(config, { fetch: stub, now }).email.resolveUnknown(EMAIL, clock);
  assert.equal(outcome.kind, "undeterminable");
});

Deno.test("a bad recipient found while resolving is a refusal that marks the address", async () => {
  const stub = stubFetch(() => fixtureReply("resend_error_validation_to", 422));
  const outcome = await createSenders(config, { fetch: stub, now }).email.resolveUnknown(EMAIL, clock);
  assert.ok(outcome.kind === "refused" && outcome.contactEffect === "email_unusable");
});

Deno.test("an unconfigured email channel is unavailable", async () => {
  const stub = stubFetch(() => Promise.reject(new Error("must not be called")));
  const email = createSenders(loadMessagingConfig({}, "http://127.0.0.1:54321"), { fetch: stub, now }).email;
  assert.equal(email.available, false);
  assert.equal((await email.send(EMAIL)).kind, "unavailable");
  assert.equal(stub.calls.length, 0);
});

Deno.test("a message without an unsubscribe URL carries no List-Unsubscribe headers", async () => {
  const stub = stubFetch(() => fixtureReply("resend_sent", 200));
  await createSenders(config, { fetch: stub, now }).email.send({ ...EMAIL, unsubscribeUrl: null });
  assert.equal(JSON.parse(stub.calls[0]!.body).headers, undefined);
  clock = new Date(clock.getTime());
});
