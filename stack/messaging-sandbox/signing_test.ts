import assert from "node:assert/strict";
import { svixSignature, twilioSignature } from "./signing.ts";

Deno.test("Svix signatures match the Standard Webhooks reference vector", async () => {
  const signature = await svixSignature(
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "msg_p5jXN8AQM9LWM0D4loKWxJek",
    1614265330,
    '{"test": 2432232314}',
  );
  assert.equal(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
});

Deno.test("Twilio signatures cover the URL and every parameter sorted by name", async () => {
  const url = "https://example.test/sms?x=1";
  const a = await twilioSignature("token", url, { To: "+1", From: "+2", Body: "hi" });
  const b = await twilioSignature("token", url, { Body: "hi", From: "+2", To: "+1" });
  assert.equal(a, b);
  assert.notEqual(a, await twilioSignature("token", url, { To: "+1", From: "+2", Body: "hi!" }));
  assert.notEqual(a, await twilioSignature("token", "https://example.test/sms?x=2", { To: "+1", From: "+2", Body: "hi" }));
  assert.notEqual(a, await twilioSignature("other", url, { To: "+1", From: "+2", Body: "hi" }));
  // HMAC-SHA1 in base64 is 28 characters.
  assert.match(a, /^[A-Za-z0-9+/]{27}=$/);
});
