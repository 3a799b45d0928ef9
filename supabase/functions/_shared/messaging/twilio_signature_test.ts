import assert from "node:assert/strict";
import { publicRequestUrl, signedParams, twilioSignature, urlVariants, verifyTwilioSignature } from "./twilio_signature.ts";
import { twilioSign } from "./testing_webhooks.ts";

// Twilio's published example (security docs, api-snippets signature_validation): auth token 12345.
const DOC_URL = "https://mycompany.com/myapp.php?foo=1&bar=2";
const docParams = (caller: string) => ({
  CallSid: "CA1234567890ABCDE",
  Caller: caller,
  Digits: "1234",
  From: caller,
  To: "+18005551212",
});
const entries = (params: Record<string, string>) => Object.entries(params);

Deno.test("computes Twilio's published example signatures", async () => {
  assert.equal(await twilioSignature("12345", DOC_URL, entries(docParams("+14158675310"))), "GvWf1cFY/Q7PnoempGyD5oXAezc=");
  assert.equal(await twilioSignature("12345", DOC_URL, entries(docParams("+14158675309"))), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
});

Deno.test("sorts parameters by name whatever order they arrive in", async () => {
  const params = docParams("+14158675310");
  const reversed = entries(params).reverse();
  assert.equal(await twilioSignature("12345", DOC_URL, reversed), "GvWf1cFY/Q7PnoempGyD5oXAezc=");
});

Deno.test("a repeated parameter contributes each distinct value once, sorted, as twilio-node signs it", async () => {
  // getExpectedTwilioSignature('12345', 'https://example.com/hook', {Body: ['b', 'a', 'a'], To: 'x'})
  const params = [["Body", "b"], ["To", "x"], ["Body", "a"], ["Body", "a"]] as const;
  assert.equal(signedParams(params), "BodyaBodybTox");
  assert.equal(await twilioSignature("12345", "https://example.com/hook", params), "ocXZsm81vASNEXA6S6b9LzldGCU=");
});

Deno.test("accepts the signature of the exact request and nothing else", async () => {
  const params = docParams("+14158675310");
  const good = "GvWf1cFY/Q7PnoempGyD5oXAezc=";
  assert.equal(await verifyTwilioSignature("12345", good, DOC_URL, entries(params)), true);
  assert.equal(await verifyTwilioSignature("12345", null, DOC_URL, entries(params)), false, "missing");
  assert.equal(await verifyTwilioSignature("12345", "", DOC_URL, entries(params)), false, "empty");
  assert.equal(await verifyTwilioSignature("54321", good, DOC_URL, entries(params)), false, "another auth token");
  assert.equal(await verifyTwilioSignature("12345", good, DOC_URL, entries({ ...params, Digits: "1235" })), false, "a changed parameter");
  assert.equal(await verifyTwilioSignature("12345", good, DOC_URL, entries({ ...params, Extra: "1" })), false, "an added parameter");
  assert.equal(await verifyTwilioSignature("12345", good, "https://mycompany.com/myapp.php?foo=1&bar=3", entries(params)), false, "another URL");
  assert.equal(await verifyTwilioSignature("12345", good.toLowerCase(), DOC_URL, entries(params)), false, "case matters");
});

Deno.test("accepts a signature made over the URL with or without the default port", async () => {
  const params = { MessageSid: "SM1f0e8ae6ade43cb3c0ce4525424e404f", MessageStatus: "sent" };
  const withPort = twilioSign("token", "https://example.test:443/functions/v1/sms-webhook", params);
  assert.equal(await verifyTwilioSignature("token", withPort, "https://example.test/functions/v1/sms-webhook", entries(params)), true);
  const without = twilioSign("token", "http://example.test/hook?x=1", params);
  assert.equal(await verifyTwilioSignature("token", without, "http://example.test:80/hook?x=1", entries(params)), true);
  const otherPort = twilioSign("token", "https://example.test:8443/hook", params);
  assert.equal(await verifyTwilioSignature("token", otherPort, "https://example.test/hook", entries(params)), false,
    "a non-default port is part of the URL");
});

Deno.test("URL variants keep every character Twilio signed as it was", () => {
  assert.deepEqual(urlVariants("https://a.test/h?q='x'%20y"), ["https://a.test/h?q='x'%20y", "https://a.test:443/h?q='x'%20y"]);
  assert.deepEqual(urlVariants("http://user:pw@[::1]:8080/h"), ["http://user:pw@[::1]:8080/h", "http://user:pw@[::1]/h"]);
  assert.deepEqual(urlVariants("not a url"), ["not a url"]);
});

Deno.test("the public URL is the configured one, with the query string the request came with", () => {
  const configured = "https://project.example.test/functions/v1/sms-webhook";
  assert.equal(publicRequestUrl(configured, "http://127.0.0.1:40123/sms-webhook"), configured);
  assert.equal(publicRequestUrl(configured, "http://127.0.0.1:40123/sms-webhook?business=7&x=a%20b"), `${configured}?business=7&x=a%20b`);
  assert.equal(publicRequestUrl(`${configured}?source=status`, "http://127.0.0.1:40123/sms-webhook?source=status"),
    `${configured}?source=status`);
});
