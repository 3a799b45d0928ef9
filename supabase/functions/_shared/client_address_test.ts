import assert from "node:assert/strict";
import { clientAddress } from "./client_address.ts";

const request = (headers: Record<string, string>) => new Request("https://fn.test/x", { headers });

Deno.test("reads the client from the first x-forwarded-for hop", () => {
  assert.equal(clientAddress(request({ "x-forwarded-for": "203.0.113.7, 10.0.0.1" })), "203.0.113.7");
});

Deno.test("falls back to x-real-ip, then to nothing", () => {
  assert.equal(clientAddress(request({ "x-real-ip": " 198.51.100.2 " })), "198.51.100.2");
  assert.equal(clientAddress(request({})), null);
  assert.equal(clientAddress(request({ "x-forwarded-for": " , " })), null);
});
