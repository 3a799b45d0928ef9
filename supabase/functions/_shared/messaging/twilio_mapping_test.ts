import assert from "node:assert/strict";
import { findOurMessage, mapTwilioCreate, pageIsOlderThan, twilioListSchema } from "./twilio_mapping.ts";
import { fixture, fixtureText } from "./fixtures.ts";

const NOW = new Date("2025-10-12T03:27:49Z");
const none = new Headers();

Deno.test("a created message is accepted with Twilio's sid and its initial status", () => {
  assert.deepEqual(mapTwilioCreate(201, fixtureText("twilio_message_queued"), none, NOW), {
    kind: "accepted",
    providerMessageId: "SM1f0e8ae6ade43cb3c0ce4525424e404f",
    status: "queued",
  });
  assert.deepEqual(mapTwilioCreate(201, fixtureText("twilio_message_accepted"), none, NOW), {
    kind: "accepted",
    providerMessageId: "SMa1b2c3d4e5f60718293a4b5c6d7e8f90",
    status: "accepted",
  });
});

Deno.test("an invalid or landline number is refused and marks the phone unusable", () => {
  for (const code of ["21211", "21614"]) {
    const outcome = mapTwilioCreate(400, fixtureText(`twilio_error_${code}`), none, NOW);
    assert.equal(outcome.kind, "refused");
    assert.ok(outcome.kind === "refused" && outcome.code === code && outcome.contactEffect === "phone_unusable");
  }
});

Deno.test("21610 means the recipient replied STOP: an opt-out, not something to retry", () => {
  const outcome = mapTwilioCreate(400, fixtureText("twilio_error_21610"), none, NOW);
  assert.deepEqual(outcome, {
    kind: "refused",
    code: "21610",
    reason: "The recipient replied STOP to this sender",
    contactEffect: "opted_out",
  });
});

Deno.test("a region not enabled is refused without blaming the contact", () => {
  const outcome = mapTwilioCreate(400, fixtureText("twilio_error_21408"), none, NOW);
  assert.ok(outcome.kind === "refused" && outcome.contactEffect === null && outcome.code === "21408");
});

Deno.test("an unknown 4xx code is refused with Twilio's code and message", () => {
  const outcome = mapTwilioCreate(400, fixtureText("twilio_error_21617"), none, NOW);
  assert.ok(outcome.kind === "refused");
  assert.equal(outcome.code, "21617");
  assert.match(outcome.reason, /1600 character limit/);
  assert.equal(outcome.contactEffect, null);
});

Deno.test("429 / 20429 is a rate-limited retry that was certainly not accepted", () => {
  const outcome = mapTwilioCreate(429, fixtureText("twilio_error_20429"), none, NOW);
  assert.ok(outcome.kind === "retry");
  assert.equal(outcome.rateLimited, true);
  assert.equal(outcome.maybeAccepted, false);
  assert.equal(outcome.after.getTime(), NOW.getTime() + 1000);
  const withHeader = mapTwilioCreate(429, fixtureText("twilio_error_20429"), new Headers({ "retry-after": "3" }), NOW);
  assert.ok(withHeader.kind === "retry" && withHeader.after.getTime() === NOW.getTime() + 3000);
});

Deno.test("a 5xx is retried but may hide an accepted message", () => {
  const outcome = mapTwilioCreate(500, fixtureText("twilio_error_20500"), none, NOW);
  assert.ok(outcome.kind === "retry" && outcome.maybeAccepted && !outcome.rateLimited);
  const html = mapTwilioCreate(503, "<html>Service Unavailable</html>", none, NOW);
  assert.ok(html.kind === "retry" && html.maybeAccepted);
});

Deno.test("refused credentials make the channel unavailable", () => {
  const outcome = mapTwilioCreate(401, fixtureText("twilio_error_20003"), none, NOW);
  assert.equal(outcome.kind, "unavailable");
  assert.match((outcome as { reason: string }).reason, /TWILIO_AUTH_TOKEN/);
});

Deno.test("a 201 without a readable message is resolved, never re-sent blindly", () => {
  const outcome = mapTwilioCreate(201, "{}", none, NOW);
  assert.ok(outcome.kind === "retry" && outcome.maybeAccepted);
});

Deno.test("the crash lookup finds our message by number, body and time, not an older one with another body", () => {
  const page = twilioListSchema.parse(fixture("twilio_message_list"));
  const ours = fixture("twilio_message_queued");
  const found = findOurMessage(page.messages, { to: ours.to, body: ours.body }, new Date("2025-10-12T03:27:48Z"));
  assert.equal(found?.sid, "SM1f0e8ae6ade43cb3c0ce4525424e404f");
  assert.equal(findOurMessage(page.messages, { to: ours.to, body: "another body" }, NOW), null);
});

Deno.test("a message with our body from days before the attempt (an earlier step) does not count", () => {
  const page = twilioListSchema.parse(fixture("twilio_message_list"));
  const older = page.messages[1]!;
  assert.equal(findOurMessage(page.messages, { to: older.to, body: older.body }, NOW), null);
  assert.equal(
    findOurMessage(page.messages, { to: older.to, body: older.body }, new Date("2025-10-10T15:02:00Z"))?.sid,
    older.sid,
  );
});

Deno.test("a page is older than the attempt only when every message on it is", () => {
  const page = twilioListSchema.parse(fixture("twilio_message_list"));
  assert.equal(pageIsOlderThan(page.messages, NOW), false);
  assert.equal(pageIsOlderThan(page.messages.slice(1), NOW), true);
  assert.equal(pageIsOlderThan([], NOW), false);
});
