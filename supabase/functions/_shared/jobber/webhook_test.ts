import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { AppError } from "../errors.ts";
import { parseWebhookEnvelope, verifyJobberSignature } from "./webhook.ts";

const SECRET = "jobber-client-secret-for-tests";
// Exactly what Jobber sends: compact JSON, as raw bytes.
const BODY =
  '{"data":{"webHookEvent":{"topic":"VISIT_COMPLETE","appId":"0b1f8d36-5e1a-4c4b-9a8e-2f6d3c1b7a90","accountId":"Z2lkOi8vSm9iYmVyL0FjY291bnQvMQ==","itemId":"Z2lkOi8vSm9iYmVyL1Zpc2l0LzQy","occurredAt":"2025-10-12T03:27:49-06:00"}}}';

// Jobber's signature: Base64(HMAC-SHA256(client_secret, raw body)), computed independently here.
const sign = (body: string | Uint8Array, secret = SECRET) =>
  createHmac("sha256", secret).update(body).digest("base64");

Deno.test("accepts a body signed exactly as Jobber signs it", async () => {
  assert.equal(await verifyJobberSignature(BODY, sign(BODY), SECRET), true);
  assert.equal(await verifyJobberSignature(new TextEncoder().encode(BODY), sign(BODY), SECRET), true);
});

Deno.test("rejects a webhook whose signature was made with another secret", async () => {
  assert.equal(await verifyJobberSignature(BODY, sign(BODY, "another-secret"), SECRET), false);
});

Deno.test("rejects a body changed after signing, even only re-serialised", async () => {
  const reserialised = JSON.stringify(JSON.parse(BODY), null, 2);
  assert.equal(await verifyJobberSignature(reserialised, sign(BODY), SECRET), false);
  assert.equal(
    await verifyJobberSignature(BODY.replace("VISIT_COMPLETE", "CLIENT_CREATE"), sign(BODY), SECRET),
    false,
  );
});

Deno.test("rejects a missing, empty or garbage signature header", async () => {
  for (const header of [null, undefined, "", "   ", "not-base64!", sign(BODY).slice(0, 20)]) {
    assert.equal(await verifyJobberSignature(BODY, header, SECRET), false, String(header));
  }
});

Deno.test("verifies over raw bytes that are not valid UTF-8", async () => {
  const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
  assert.equal(await verifyJobberSignature(bytes, sign(bytes), SECRET), true);
});

Deno.test("parses the envelope with either spelling of occurredAt", () => {
  const event = parseWebhookEnvelope(JSON.parse(BODY));
  assert.deepEqual(event, {
    topic: "VISIT_COMPLETE",
    appId: "0b1f8d36-5e1a-4c4b-9a8e-2f6d3c1b7a90",
    accountId: "Z2lkOi8vSm9iYmVyL0FjY291bnQvMQ==",
    itemId: "Z2lkOi8vSm9iYmVyL1Zpc2l0LzQy",
    occurredAt: new Date("2025-10-12T09:27:49Z"),
  });
  const old = JSON.parse(BODY.replace('"occurredAt"', '"occuredAt"'));
  assert.equal(parseWebhookEnvelope(old).occurredAt.toISOString(), "2025-10-12T09:27:49.000Z");
});

Deno.test("a malformed envelope is a 400 naming the field", () => {
  const cases: Array<[unknown, string]> = [
    [{}, "Invalid webhook payload: data is required"],
    [{
      data: {
        webHookEvent: { topic: "CLIENT_CREATE", appId: "a", itemId: "i", occurredAt: "2025-01-01T00:00:00Z" },
      },
    }, "Invalid webhook payload: data.webHookEvent.accountId is required"],
    [
      { data: { webHookEvent: { topic: "CLIENT_CREATE", appId: "a", accountId: "b", itemId: "i" } } },
      "Invalid webhook payload: data.webHookEvent.occurredAt is required",
    ],
    [{
      data: {
        webHookEvent: {
          topic: "CLIENT_CREATE",
          appId: "a",
          accountId: "b",
          itemId: "i",
          occurredAt: "yesterday",
        },
      },
    }, "Invalid webhook payload: data.webHookEvent.occurredAt must be an ISO 8601 date-time"],
  ];
  for (const [json, message] of cases) {
    assert.throws(() => parseWebhookEnvelope(json), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, "invalid_request");
      assert.equal(err.message, message);
      return true;
    });
  }
});
