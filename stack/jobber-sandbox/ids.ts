// Jobber ids are opaque EncodedIds: base64 of a global id such as `gid://Jobber/Client/123`.
// The sandbox encodes them the same way so integrations that (wrongly) build or parse ids
// themselves behave here exactly as they would against Jobber.

export type GidType =
  | "Account"
  | "User"
  | "Client"
  | "Email"
  | "ClientPhoneNumber"
  | "Property"
  | "Job"
  | "Visit"
  | "Application"
  | "WebHook";

const GID = /^gid:\/\/Jobber\/([A-Za-z]+)\/(\d+)$/;

export function encodeId(type: GidType, n: number): string {
  return btoa(`gid://Jobber/${type}/${n}`);
}

/** Returns null for anything that is not a well-formed EncodedId. */
export function decodeId(encoded: string): { type: string; n: number } | null {
  let text: string;
  try {
    text = atob(encoded);
  } catch {
    return null;
  }
  const match = GID.exec(text);
  if (!match || match[1] === undefined || match[2] === undefined) return null;
  const n = Number(match[2]);
  return Number.isSafeInteger(n) ? { type: match[1], n } : null;
}

/** Decodes an id of the given type; accepts a bare number too (handy in the control API). */
export function idOf(type: GidType, value: string): number | null {
  if (/^\d+$/.test(value)) return Number(value);
  const decoded = decodeId(value);
  return decoded && decoded.type === type ? decoded.n : null;
}

// Cursors name a position by the stable numeric id of the last item seen, so inserts or
// deletes elsewhere in the list never shift a page boundary.
export function encodeCursor(n: number): string {
  return btoa(`cursor:${n}`);
}

export function decodeCursor(cursor: string): number | null {
  let text: string;
  try {
    text = atob(cursor);
  } catch {
    return null;
  }
  const match = /^cursor:(\d+)$/.exec(text);
  return match && match[1] !== undefined ? Number(match[1]) : null;
}

/**
 * Cursors of sorted listings also carry the sort key of the item they were made from, so the
 * next page starts after that key even when the item has since moved or gone (keyset paging).
 */
export function encodeKeyedCursor(n: number, key: number | string | null): string {
  return btoa(`cursor:${n}:${encodeURIComponent(JSON.stringify(key))}`);
}

export function decodeKeyedCursor(cursor: string): { id: number; key: number | string | null } | null {
  let text: string;
  try {
    text = atob(cursor);
  } catch {
    return null;
  }
  const match = /^cursor:(\d+):(.+)$/.exec(text);
  if (!match || match[1] === undefined || match[2] === undefined) return null;
  let key: unknown;
  try {
    key = JSON.parse(decodeURIComponent(match[2]));
  } catch {
    return null;
  }
  if (key !== null && typeof key !== "number" && typeof key !== "string") return null;
  return { id: Number(match[1]), key };
}

/** ISO8601DateTime as Jobber prints it: second precision, no fractional part. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
