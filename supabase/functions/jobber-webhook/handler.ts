// POST from Jobber (no JWT): SPEC §9 "Receiving", and nothing more. Raw body (over 256 KiB: 413),
// the HMAC over exactly those bytes in constant time (401, nothing stored), the envelope with
// either spelling of occurredAt (400), then one SQL call that records the event, stamps the
// business's last_webhook_at and wakes the worker - 200 {"received": true, "duplicate": bool}.
// Unknown accounts and topics we do not act on are stored `ignored` and answered 200 all the same
// (Jobber would otherwise retry and count failures). No GraphQL, no token refresh, no journey
// logic here: the worker does the work after Jobber has its answer.
import type { Runtime } from "../_shared/runtime.ts";
import { json, readBodyBytes, serveFunction } from "../_shared/http.ts";
import { invalidSignature } from "../_shared/errors.ts";
import {
  createSignatureVerifier,
  MAX_WEBHOOK_BYTES,
  parseWebhookEnvelope,
  parseWebhookJson,
  SIGNATURE_HEADER,
} from "../_shared/jobber/webhook.ts";
import { createWebhookInbox } from "../_shared/jobber/webhook_inbox.ts";

export function createHandler(rt: Runtime) {
  const logger = rt.logger("jobber-webhook");
  const verify = createSignatureVerifier(rt.config.jobberClientSecret);
  const inbox = createWebhookInbox(rt.sql);
  return serveFunction({ appOrigin: rt.config.appOrigin, methods: ["POST"], logger }, async (req, ctx) => {
    const raw = await readBodyBytes(req, MAX_WEBHOOK_BYTES);
    if (!(await verify(raw, req.headers.get(SIGNATURE_HEADER)))) throw invalidSignature();
    const event = parseWebhookEnvelope(parseWebhookJson(raw));
    const outcome = await inbox.record(event);
    ctx.log.info("webhook_received", {
      topic: event.topic,
      account_id: event.accountId,
      item_id: event.itemId,
      occurred_at: event.occurredAt,
      duplicate: outcome.duplicate,
      inbox_state: outcome.state,
    });
    return json(200, { received: true, duplicate: outcome.duplicate });
  });
}
