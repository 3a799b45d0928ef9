import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { Channel } from './schemas';

// A manual opt-out's address, normalised before it is stored the way customers' contacts are
// (SPEC §10): phones in E.164 (libphonenumber, read in the business's country unless the number
// starts with +), emails trimmed and lower-cased. The database normalises again on insert; doing
// it here first lets the form refuse what is not a phone number, and show the number it will add.

export type NormalisedAddress = { ok: true; address: string } | { ok: false; message: string };

const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;

export function normaliseOptOutAddress(channel: Channel, raw: string, country: string): NormalisedAddress {
  const input = raw.trim();
  if (channel === 'email') {
    if (input === '') return { ok: false, message: 'Enter the email address to stop emailing.' };
    const email = input.toLowerCase();
    if (!EMAIL.test(email) || email.length > 320) {
      return { ok: false, message: 'That does not look like an email address. Enter it as name@example.com.' };
    }
    return { ok: true, address: email };
  }
  if (input === '') return { ok: false, message: 'Enter the phone number to stop texting.' };
  const phone = parsePhoneNumberFromString(input, country.toUpperCase() as CountryCode);
  // isPossible, not isValid: a number of the right length for its country is accepted even when
  // its area code is not (yet) assigned - refusing a number someone asked us to stop texting
  // would be the worse mistake.
  if (!phone || !phone.isPossible()) {
    return {
      ok: false,
      message: 'That does not look like a phone number. Include the area code, such as (212) 555-0143, or start with + and the country code.',
    };
  }
  return { ok: true, address: phone.number };
}
