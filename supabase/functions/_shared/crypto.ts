// Small, dependency-free crypto helpers on top of Web Crypto.

const encoder = new TextEncoder();

export type BytesLike = string | Uint8Array;

/** UTF-8 bytes of a string; byte input is returned as a fresh ArrayBuffer-backed copy. */
export function toBytes(input: BytesLike): Uint8Array<ArrayBuffer> {
  if (typeof input === "string") return encoder.encode(input);
  const copy = new Uint8Array(input.byteLength);
  copy.set(input);
  return copy;
}

/**
 * Compares two secrets in time that depends only on their lengths, never on where they differ,
 * so a caller cannot guess a key or signature byte by byte from response times.
 */
export function timingSafeEqual(a: BytesLike, b: BytesLike): boolean {
  const x = toBytes(a);
  const y = toBytes(b);
  const length = Math.max(x.length, y.length);
  // Different lengths still walk the whole input so the loop does not leak the shorter length early.
  let diff = x.length ^ y.length;
  for (let i = 0; i < length; i++) {
    diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  }
  return diff === 0;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function bytesToBase64Url(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function sha256Hex(input: BytesLike): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", toBytes(input));
  return bytesToHex(new Uint8Array(digest));
}

/** A URL-safe random token (OAuth state nonces, claim tokens); 32 bytes = 256 bits by default. */
export function randomToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 16 || bytes > 1024) {
    throw new RangeError(`Token length must be an integer between 16 and 1024 bytes, got ${bytes}`);
  }
  return bytesToBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** Base64 HMAC-SHA256 of the raw bytes: the form Jobber puts in X-Jobber-Hmac-SHA256. */
export async function hmacSha256Base64(secret: BytesLike, rawBody: BytesLike): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    toBytes(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const signature = await crypto.subtle.sign("HMAC", key, toBytes(rawBody));
  return bytesToBase64(new Uint8Array(signature));
}
