import assert from "node:assert/strict";
import {
  classifyTwilioRequest,
  inboundIntent,
  twilioInboundSchema,
  twilioStatusCallbackSchema,
  twilioStatusReport,
} from "./twilio_webhook.ts";
import { twilioPayload } from "./testing_webhooks.ts";

const status = (name: string, overrides: Record<string, string> = {}) =>
  twilioStatusReport(twilioStatusCallbackSchema.parse(twilioPayload(name, overrides)));

Deno.test("tells recorded status callbacks from recorded inbound texts", () => {
  for (const name of ["twilio_status_sent", "twilio_status_delivered", "twilio_status_undelivered_30006", "twilio_status_service_queued"]) {
    assert.equal(classifyTwilioRequest(twilioPayload(name)).kind, "status", name);
  }
  for (const name of ["twilio_inbound_stop", "twilio_inbound_reply", "twilio_inbound_start_advanced_opt_out"]) {
    assert.equal(classifyTwilioRequest(twilioPayload(name)).kind, "inbound", name);
  }
});

Deno.test("maps status callbacks to forward-only statuses", () => {
  assert.deepEqual(status("twilio_status_sent"), {
    status: "sent",
    errorCode: null,
    errorMessage: null,
    contactEffect: null,
    effectSource: null,
  });
  assert.equal(status("twilio_status_delivered")?.status, "delivered");
  assert.equal(status("twilio_status_service_queued")?.status, "queued");
  assert.equal(status("twilio_status_sent", { MessageStatus: "sending" })?.status, "queued",
    "Twilio's sending: with the provider, not yet confirmed by the carrier");
  assert.equal(status("twilio_status_sent", { MessageStatus: "read" })?.status, "delivered");
  assert.equal(status("twilio_status_sent", { MessageStatus: "receiving" }), null, "not about an outbound message");
});

Deno.test("keeps the error code, and 30005 / 30006 make the phone unusable", () => {
  assert.deepEqual(status("twilio_status_undelivered_30006"), {
    status: "undelivered",
    errorCode: "30006",
    errorMessage: "Landline or unreachable carrier",
    contactEffect: "phone_unusable",
    effectSource: null,
  });
  assert.equal(status("twilio_status_undelivered_30006", { ErrorCode: "30005" })?.contactEffect, "phone_unusable");
  const unreachable = status("twilio_status_undelivered_30006", { ErrorCode: "30003" });
  assert.equal(unreachable?.contactEffect, null, "an unreachable handset may be reachable tomorrow");
  assert.equal(unreachable?.errorMessage, "Unreachable destination handset");
  const failed = status("twilio_status_undelivered_30006", { MessageStatus: "failed", ErrorCode: "30008" });
  assert.deepEqual([failed?.status, failed?.errorCode, failed?.contactEffect], ["failed", "30008", null]);
  assert.equal(status("twilio_status_undelivered_30006", { ErrorCode: "30410" })?.errorMessage, "Twilio error 30410");
  assert.equal(status("twilio_status_delivered", { ErrorCode: "30006" })?.errorCode, null,
    "a delivered message carries no error, whatever else is posted");
});

Deno.test("rejects a status callback that does not name one of our messages", () => {
  assert.equal(twilioStatusCallbackSchema.safeParse(twilioPayload("twilio_status_sent", { MessageSid: "SM123" })).success, false);
  assert.equal(twilioStatusCallbackSchema.safeParse(twilioPayload("twilio_status_sent", { ErrorCode: "abc" })).success, false);
});

Deno.test("STOP in lower case with spaces around it is STOP", () => {
  assert.equal(inboundIntent(twilioInboundSchema.parse(twilioPayload("twilio_inbound_stop"))), "stop");
});

Deno.test("every one of Twilio's opt-out and opt-in keywords, in any case, is recognised as the whole text", () => {
  for (const word of ["STOP", "stopall", "Unsubscribe", "cancel", "END", "quit", "OptOut", "revoke", "\tSTOP\n"]) {
    assert.equal(inboundIntent({ Body: word }), "stop", word);
  }
  for (const word of ["START", "unstop", "Yes", " yes "]) assert.equal(inboundIntent({ Body: word }), "start", word);
});

Deno.test("anything else is a reply: 'Stop please', HELP, an empty text", () => {
  assert.equal(inboundIntent(twilioInboundSchema.parse(twilioPayload("twilio_inbound_reply"))), "reply");
  for (const body of ["Stop.", "please stop", "STOP STOP", "HELP", "", "Yes please", "✋"]) {
    assert.equal(inboundIntent({ Body: body }), "reply", JSON.stringify(body));
  }
});

Deno.test("Twilio's Advanced Opt-Out verdict wins (it honours the keywords configured in its console)", () => {
  assert.equal(inboundIntent(twilioInboundSchema.parse(twilioPayload("twilio_inbound_start_advanced_opt_out"))), "start");
  assert.equal(inboundIntent({ Body: "ARRET", OptOutType: "STOP" }), "stop");
  assert.equal(inboundIntent({ Body: "HELP", OptOutType: "HELP" }), "reply");
});

Deno.test("an inbound text without Body (a picture) is an empty reply", () => {
  const { Body: _, ...picture } = twilioPayload("twilio_inbound_reply", { NumMedia: "1" });
  const parsed = twilioInboundSchema.parse(picture);
  assert.equal(parsed.Body, "");
  assert.equal(inboundIntent(parsed), "reply");
});
