// Signatures exactly as the providers make them; the integration tests check them against the
// providers' own libraries (twilio's validateRequest, svix's Webhook.verify), not against this file.

const encoder = new TextEncoder();

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

async function hmac(hash: "SHA-1" | "SHA-256", key: Uint8Array<ArrayBuffer>, data: string): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash }, false, ["sign"]);
  return toBase64(new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(data))));
}

/**
 * X-Twilio-Signature: base64 HMAC-SHA1 keyed by the auth token over the full URL followed by every
 * POST parameter sorted by name, each as name then value, no separators.
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): Promise<string> {
  const data = Object.keys(params).sort().reduce((acc, key) => acc + key + params[key], url);
  return hmac("SHA-1", encoder.encode(authToken), data);
}

/** Svix / Standard Webhooks: `v1,` + base64 HMAC-SHA256 over `${id}.${timestamp}.${body}`. */
export async function svixSignature(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const key = Uint8Array.from(atob(secret.replace(/^whsec_/, "")), (c) => c.charCodeAt(0));
  return `v1,${await hmac("SHA-256", key, `${id}.${timestamp}.${body}`)}`;
}
