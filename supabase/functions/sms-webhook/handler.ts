// POST from Twilio (SPEC §11): status callbacks for the texts we sent, and texts people send us.
// Nothing is read or stored before X-Twilio-Signature checks out over the public URL Twilio called
// (SMS_WEBHOOK_URL plus the request's query string) and every parameter. A status callback moves
// its message forward only (duplicates, late and unknown ones change nothing wrongly); STOP / START
// update the opt-outs of every business that texted the number; any other text is kept as a reply
// for the business whose text it answers. The answer is always the empty TwiML: Twilio itself
// confirms STOP, START and HELP to the person.
import { z } from "zod";
import type { Runtime } from "../_shared/runtime.ts";
import { parseWith, readBodyBytes, serveFunction } from "../_shared/http.ts";
import { asService } from "../_shared/db.ts";
import { invalidSignature } from "../_shared/errors.ts";
import type { Logger } from "../_shared/log.ts";
import { publicRequestUrl, verifyTwilioSignature } from "../_shared/messaging/twilio_signature.ts";
import {
  classifyTwilioRequest,
  EMPTY_TWIML,
  inboundIntent,
  twilioInboundSchema,
  twilioStatusCallbackSchema,
  twilioStatusReport,
} from "../_shared/messaging/twilio_webhook.ts";
import { recordReport } from "../_shared/messaging/reports.ts";

/** Twilio's parameters are a few kilobytes at most (a text is at most 1,600 characters). */
const MAX_BODY_BYTES = 64 * 1024;

const inboundResult = z.object({
  outcome: z.enum(["duplicate", "opted_out", "opted_in", "reply", "unattributed"]),
  businesses: z.number().int(),
  business_id: z.uuid().optional(),
  reply_id: z.uuid().nullable().optional(),
});

function twiml(): Response {
  return new Response(EMPTY_TWIML, { status: 200, headers: { "content-type": "text/xml; charset=utf-8" } });
}

export function createHandler(rt: Runtime) {
  const logger = rt.logger("sms-webhook");
  return serveFunction({ appOrigin: rt.config.appOrigin, methods: ["POST"], logger }, async (req, ctx) => {
    const twilio = rt.messaging.twilio;
    const bytes = await readBodyBytes(req, MAX_BODY_BYTES);
    if (twilio === null) {
      throw invalidSignature("SMS is not configured here, so no Twilio signature can be verified.");
    }
    const params = [...new URLSearchParams(new TextDecoder().decode(bytes))];
    const url = publicRequestUrl(rt.messaging.smsWebhookUrl, req.url);
    if (!(await verifyTwilioSignature(twilio.authToken, req.headers.get("x-twilio-signature"), url, params))) {
      throw invalidSignature();
    }

    const fields = Object.fromEntries(params);
    if (classifyTwilioRequest(fields).kind === "status") {
      await statusCallback(rt, ctx.log, fields);
    } else {
      await inboundText(rt, ctx.log, fields);
    }
    return twiml();
  });
}

async function statusCallback(rt: Runtime, log: Logger, fields: Record<string, string>): Promise<void> {
  const callback = parseWith(twilioStatusCallbackSchema, fields, "The status callback");
  const report = twilioStatusReport(callback);
  if (report === null) {
    log.info("status_ignored", { message_sid: callback.MessageSid, status: callback.MessageStatus });
    return;
  }
  const outcome = await asService(rt.sql, (tx) => recordReport(tx, "twilio", callback.MessageSid, report, rt.now()));
  log.info("status_callback", {
    message_sid: callback.MessageSid,
    status: callback.MessageStatus,
    error_code: report.errorCode,
    contact_effect: report.contactEffect,
    outcome,
  });
}

async function inboundText(rt: Runtime, log: Logger, fields: Record<string, string>): Promise<void> {
  const message = parseWith(twilioInboundSchema, fields, "The inbound message");
  const intent = inboundIntent(message);
  const raw = await asService(rt.sql, async (tx) => {
    const [row] = await tx<{ result: unknown }[]>`
      select private.review_sms_inbound(${message.MessageSid}, ${message.From}, ${message.Body}, ${intent}, ${rt.now()})
        as result`;
    return row!.result;
  });
  const result = inboundResult.parse(raw);
  // Numbers and texts are personal data: the log says what happened, not who wrote what.
  log.info("inbound_text", {
    message_sid: message.MessageSid,
    intent,
    outcome: result.outcome,
    businesses: result.businesses,
    ...(result.business_id ? { business_id: result.business_id } : {}),
  });
}
