import assert from "node:assert/strict";
import { isRecipientError, mapResendSend } from "./resend_mapping.ts";
import { fixtureText } from "./fixtures.ts";

const NOW = new Date("2025-10-12T03:27:49Z");
const none = new Headers();

Deno.test("a sent email is accepted with Resend's id, queued until email.sent", () => {
  assert.deepEqual(mapResendSend(200, fixtureText("resend_sent"), none, NOW), {
    kind: "accepted",
    providerMessageId: "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794",
    status: "queued",
  });
});

Deno.test("a 422 about the recipient marks the address unusable", () => {
  assert.deepEqual(mapResendSend(422, fixtureText("resend_error_validation_to"), none, NOW), {
    kind: "refused",
    code: "validation_error",
    reason: "Resend says the recipient address is not valid",
    contactEffect: "email_unusable",
  });
});

Deno.test("a 422 about our own from address refuses without blaming the contact", () => {
  const outcome = mapResendSend(422, fixtureText("resend_error_validation_from"), none, NOW);
  assert.ok(outcome.kind === "refused" && outcome.contactEffect === null && outcome.code === "validation_error");
});

Deno.test("429 waits as long as retry-after says and was not accepted", () => {
  const outcome = mapResendSend(429, fixtureText("resend_error_rate_limit"), new Headers({ "retry-after": "2" }), NOW);
  assert.ok(outcome.kind === "retry");
  assert.equal(outcome.after.getTime(), NOW.getTime() + 2000);
  assert.equal(outcome.rateLimited, true);
  assert.equal(outcome.maybeAccepted, false);
});

Deno.test("5xx and a concurrent request with the same key are retried as maybe accepted", () => {
  for (const [status, name] of [[500, "resend_error_internal"], [409, "resend_error_concurrent"]] as const) {
    const outcome = mapResendSend(status, fixtureText(name), none, NOW);
    assert.ok(outcome.kind === "retry" && outcome.maybeAccepted && !outcome.rateLimited, name);
  }
});

Deno.test("a refused API key makes email unavailable", () => {
  const outcome = mapResendSend(403, fixtureText("resend_error_invalid_api_key"), none, NOW);
  assert.equal(outcome.kind, "unavailable");
});

Deno.test("the same key with another payload is refused with Resend's name", () => {
  const outcome = mapResendSend(409, fixtureText("resend_error_idempotency_mismatch"), none, NOW);
  assert.ok(outcome.kind === "refused" && outcome.code === "invalid_idempotent_request");
});

Deno.test("recipient errors are told apart from other validation errors", () => {
  assert.equal(isRecipientError("Invalid `to` field."), true);
  assert.equal(isRecipientError("Invalid `from` field."), false);
  assert.equal(isRecipientError("Missing `subject` field."), false);
});
