// X-Twilio-Signature (SPEC §11): base64 HMAC-SHA1, keyed with the auth token, over the full URL
// Twilio called followed by every POST parameter sorted by name, each as name then value. Checked
// over the public URL as Twilio saw it - behind the gateway or a proxy the URL a function receives
// differs - with and without the scheme's default port, as Twilio's own libraries do, and compared
// in constant time.
import { bytesToBase64, timingSafeEqual, toBytes } from "../crypto.ts";

/** Form parameters in the order they arrived; a name may repeat. */
export type FormParams = ReadonlyArray<readonly [string, string]>;

/**
 * What Twilio signs after the URL: names sorted (by UTF-16 code unit, like every Twilio library),
 * each followed by its value; a repeated name contributes each distinct value once, sorted.
 */
export function signedParams(params: FormParams): string {
  const byName = new Map<string, Set<string>>();
  for (const [name, value] of params) {
    const values = byName.get(name) ?? new Set<string>();
    values.add(value);
    byName.set(name, values);
  }
  let data = "";
  for (const name of [...byName.keys()].sort()) {
    for (const value of [...byName.get(name)!].sort()) data += name + value;
  }
  return data;
}

export async function twilioSignature(authToken: string, url: string, params: FormParams): Promise<string> {
  const key = await crypto.subtle.importKey("raw", toBytes(authToken), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, toBytes(url + signedParams(params)));
  return bytesToBase64(new Uint8Array(mac));
}

/**
 * The URL as given, without a port, and with the scheme's default port: Twilio signs the URL it was
 * configured with, and a port may or may not appear in it. The string is never re-encoded (a URL
 * parser would change characters Twilio signed as they were).
 */
export function urlVariants(url: string): string[] {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(url);
  if (!match) return [url];
  const [, scheme, authority, rest] = match as unknown as [string, string, string, string];
  const at = authority.lastIndexOf("@");
  const userInfo = authority.slice(0, at + 1);
  const hostPort = authority.slice(at + 1);
  const colon = hostPort.indexOf(":", hostPort.lastIndexOf("]") + 1);
  const host = colon === -1 ? hostPort : hostPort.slice(0, colon);
  const defaultPort = scheme.toLowerCase() === "https://" ? ":443" : ":80";
  const withoutPort = scheme + userInfo + host + rest;
  const withPort = colon === -1 ? scheme + userInfo + host + defaultPort + rest : url;
  return [...new Set([url, withoutPort, withPort])];
}

/**
 * The URL Twilio called: the configured public webhook URL (used byte for byte, SMS_WEBHOOK_URL)
 * with the query string the request arrived with. Twilio's StatusCallback is that URL exactly; an
 * incoming-message URL set in Twilio's console may add a query string, and Twilio signs it too.
 */
export function publicRequestUrl(configuredUrl: string, requestUrl: string): string {
  const base = configuredUrl.split("?")[0]!;
  const q = requestUrl.indexOf("?");
  const query = q === -1 ? "" : requestUrl.slice(q + 1).split("#")[0]!;
  return query === "" ? base : `${base}?${query}`;
}

/** True when `header` is Twilio's signature of this request under `authToken`. */
export async function verifyTwilioSignature(
  authToken: string,
  header: string | null,
  url: string,
  params: FormParams,
): Promise<boolean> {
  if (!header) return false;
  let valid = false;
  // Every variant is computed and compared, so timing does not reveal which one matched.
  for (const candidate of urlVariants(url)) {
    if (timingSafeEqual(header, await twilioSignature(authToken, candidate, params))) valid = true;
  }
  return valid;
}
