import assert from "node:assert/strict";
import { bytesToBase64Url, hmacSha256Base64, randomToken, sha256Hex, timingSafeEqual } from "./crypto.ts";

Deno.test("timingSafeEqual accepts equal strings and bytes", () => {
  assert.equal(timingSafeEqual("secret-value", "secret-value"), true);
  assert.equal(timingSafeEqual(new TextEncoder().encode("é"), "é"), true);
  assert.equal(timingSafeEqual("", ""), true);
});

Deno.test("timingSafeEqual rejects different values, prefixes and lengths", () => {
  assert.equal(timingSafeEqual("secret-value", "secret-valuf"), false);
  assert.equal(timingSafeEqual("secret", "secret-value"), false);
  assert.equal(timingSafeEqual("secret-value", ""), false);
  // A NUL-padded value must not compare equal to the shorter one.
  assert.equal(timingSafeEqual("abc", "abc\0"), false);
});

Deno.test("sha256Hex matches the well-known digest of 'abc'", async () => {
  assert.equal(await sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

Deno.test("hmacSha256Base64 matches RFC 4231 test case 2", async () => {
  // key "Jefe", data "what do ya want for nothing?" → 5bdcc146bf60754e6a042426089575c7…
  const expectedHex = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  const expected = btoa(String.fromCharCode(...expectedHex.match(/../g)!.map((h) => parseInt(h, 16))));
  assert.equal(await hmacSha256Base64("Jefe", "what do ya want for nothing?"), expected);
});

Deno.test("randomToken returns unique base64url strings of the requested entropy", () => {
  const a = randomToken();
  const b = randomToken();
  assert.notEqual(a, b);
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.match(randomToken(16), /^[A-Za-z0-9_-]{22}$/);
  assert.throws(() => randomToken(4), /between 16 and 1024/);
});

Deno.test("bytesToBase64Url drops padding and uses the URL alphabet", () => {
  assert.equal(bytesToBase64Url(new Uint8Array([0xfb, 0xff])), "-_8");
});
