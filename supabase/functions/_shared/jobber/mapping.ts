// Jobber client → Blipp customer (SPEC §8 "Field mapping"). Pure: no I/O, no clock.
// normaliseEmail / normalisePhone are also what matching an existing customer compares, so the
// database must store exactly these forms.
import { isSupportedCountry, parsePhoneNumberFromString } from "libphonenumber-js/max";
import type { CountryCode } from "libphonenumber-js/max";
import type { JobberAddress, JobberClientNode } from "./queries.ts";

export const MAX_NAME_LENGTH = 500;

export type CustomerStatus = "active" | "lead" | "archived";

export interface MappedCustomer {
  external_id: string;
  full_name: string | null;
  email: string | null;
  phone: string | null;
  address: string | null;
  status: CustomerStatus;
  email_usable: boolean;
  phone_usable: boolean;
  /** ISO 8601 (UTC) of Jobber's updatedAt: what the "never older" guard compares. */
  remote_updated_at: string;
  /** Jobber's name as given, present only when full_name had to be shortened. */
  raw_name?: string;
}

export interface MappingOptions {
  /** The business's country (ISO 3166-1 alpha-2), used for numbers written without +country. */
  country: string;
}

/** Trims, applies Unicode NFC and collapses runs of whitespace to one space; "" becomes null. */
export function cleanText(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const cleaned = value.normalize("NFC").replace(/\s+/gu, " ").trim();
  return cleaned === "" ? null : cleaned;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Cuts to at most `max` code points without splitting a user-perceived character (emoji, accents). */
export function truncateText(value: string, max: number): string {
  if ([...value].length <= max) return value;
  let out = "";
  let length = 0;
  for (const { segment } of segmenter.segment(value)) {
    const size = [...segment].length;
    if (length + size > max) break;
    out += segment;
    length += size;
  }
  return out.trimEnd();
}

/** The form emails are stored and matched in: trimmed, NFC, lower-cased; null when empty. */
export function normaliseEmail(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const email = raw.normalize("NFC").trim().toLowerCase();
  return email === "" ? null : email;
}

/**
 * A deliberately simple plausibility check (one @, a dotted domain, no spaces, RFC length
 * limits). Its job is to keep review requests away from obvious junk, not to be RFC 5322.
 */
export function isPlausibleEmail(email: string): boolean {
  if (email.length > 254) return false;
  const at = email.lastIndexOf("@");
  if (at <= 0 || at !== email.indexOf("@")) return false;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length > 64 || /\s/u.test(email)) return false;
  if (local.startsWith(".") || local.endsWith(".") || local.includes("..")) return false;
  const labels = domain.split(".");
  if (labels.length < 2) return false;
  return labels.every((label) =>
    label.length > 0 && label.length <= 63 && !label.startsWith("-") && !label.endsWith("-")
  ) &&
    /^[\p{L}\p{N}-]+$/u.test(labels.join("")) && /\p{L}/u.test(labels.at(-1) ?? "");
}

export interface NormalisedPhone {
  /** E.164 when the number could be read; otherwise the input, trimmed; null when empty. */
  phone: string | null;
  /** True only for a number that is valid for its country (safe to text). */
  usable: boolean;
}

/** Normalises to E.164 using `country` for national numbers; unreadable input is kept as given. */
export function normalisePhone(raw: string | null | undefined, country: string): NormalisedPhone {
  const given = raw?.trim() ?? "";
  if (given === "") return { phone: null, usable: false };
  const code = country.trim().toUpperCase();
  const defaultCountry = isSupportedCountry(code) ? (code as CountryCode) : undefined;
  const parsed = defaultCountry
    ? parsePhoneNumberFromString(given, defaultCountry)
    : parsePhoneNumberFromString(given);
  if (!parsed || !parsed.isPossible()) return { phone: given, usable: false };
  return { phone: parsed.number, usable: parsed.isValid() };
}

/** `street1, street2, city, province postalCode, country`, empty parts dropped; null if nothing is left. */
export function formatAddress(address: JobberAddress | null | undefined): string | null {
  if (!address) return null;
  const region = [cleanText(address.province), cleanText(address.postalCode)].filter(Boolean).join(" ");
  const parts = [
    cleanText(address.street1),
    cleanText(address.street2),
    cleanText(address.city),
    region || null,
    cleanText(address.country),
  ].filter((p): p is string => p !== null);
  return parts.length ? parts.join(", ") : null;
}

type Contact = { primary?: boolean | null | undefined };

/** The entry flagged primary, else the first one that has a value. */
function pick<T extends Contact>(
  items: readonly T[] | null | undefined,
  value: (item: T) => string | null | undefined,
): string | null {
  const withValue = (items ?? []).filter((item) => (value(item) ?? "").trim() !== "");
  const chosen = withValue.find((item) => item.primary === true) ?? withValue[0];
  return chosen ? value(chosen) ?? null : null;
}

function displayName(client: JobberClientNode): string | null {
  const personal = cleanText([client.firstName ?? "", client.lastName ?? ""].join(" "));
  return cleanText(client.name) ?? cleanText(client.companyName) ?? personal;
}

export function mapClientToCustomer(client: JobberClientNode, options: MappingOptions): MappedCustomer {
  const name = displayName(client);
  const fullName = name === null ? null : truncateText(name, MAX_NAME_LENGTH);

  const email = normaliseEmail(pick(client.emails, (e) => e.address));
  const phone = normalisePhone(pick(client.phones, (p) => p.number), options.country);

  const firstProperty = client.clientProperties?.nodes?.[0]?.address;
  const address = formatAddress(client.billingAddress) ?? formatAddress(firstProperty);

  const status: CustomerStatus = client.isArchived ? "archived" : client.isLead ? "lead" : "active";

  const customer: MappedCustomer = {
    external_id: client.id,
    full_name: fullName,
    email,
    phone: phone.phone,
    address,
    status,
    email_usable: email !== null && isPlausibleEmail(email),
    phone_usable: phone.usable,
    remote_updated_at: new Date(client.updatedAt).toISOString(),
  };
  if (name !== null && fullName !== name && client.name) customer.raw_name = client.name;
  return customer;
}
