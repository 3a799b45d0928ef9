import { locate } from "./geo.ts";
import type { AddressRecord, ClientRecord, EmailRecord, PhoneRecord, PropertyRecord } from "./model.ts";

/** mulberry32: tiny, fast and good enough to make generated data repeatable per seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface IdAllocator {
  next(kind: "client" | "email" | "phone" | "property"): number;
}

export interface GenerateParams {
  seed: number;
  count: number;
  accountId: number;
  ids: IdAllocator;
  /** Generated clients get created/updated times spread over the two years before this. */
  now: number;
}

export const GENERATE_LIMIT = 100_000;

// Names deliberately mix accents, apostrophes, CJK, RTL and stray whitespace: the cases that
// break naive slug, sort and display code.
const FIRST = [
  "Zoë",
  "José",
  "Anna",
  "Siobhán",
  "Łukasz",
  "Renée",
  "Mohammed",
  "小明",
  "Olivia",
  "Liam",
  "Ngọc",
  "Søren",
  "Chloé",
  "Jürgen",
  "Aoife",
  "محمد",
  "Noah",
  "Emma",
  "Dmitri",
  "Björk",
  " Anna ",
  "Mary-Jane",
  "D'Arcy",
  "Ｊｏｈｎ",
  "Ana María",
];
const LAST = [
  "Ångström",
  "Núñez",
  "O'Brien",
  "Nguyễn",
  "王",
  "Smith",
  "Müller",
  "García",
  "Kowalski",
  "Brown",
  "van der Berg",
  "Johansson",
  "Dubois",
  "Tanaka",
  "Al-Sayed",
  "MacDonald",
  "Łęcki",
  "Smith-Jones",
  "Brown ",
  "De La Cruz",
];
const COMPANIES = [
  "Müller & Söhne GmbH",
  "O'Reilly Landscaping",
  "東京クリーニング株式会社",
  "Smith & Sons <Plumbing>",
  'Café "Le Parc"',
  "Green Acres HOA",
  "ACME Property Mgmt.",
  "Łódź Holdings Sp. z o.o.",
  "Bright & Clean Ltd",
  "Élan Dental Clinic",
];
const DESCRIPTIONS = ["main", "work", "mobile", "home", "other"];
const DOMAINS = ["example.com", "example.org", "example.net", "mail.example"];
const INVALID_EMAILS = ["not-an-email", "anna@@example.com", "bob@example", " spaced out@example.com", ""];
const VALID_PHONES = (r: () => number) => {
  const n = String(100 + Math.floor(r() * 100)).padStart(4, "0");
  const forms = [
    `(555) 01${n.slice(-2)}-${n}`,
    `+1 555 01${n.slice(-2)} ${n}`,
    `555.01${n.slice(-2)}.${n}`,
    `+44 20 7946 0${n.slice(-3)}`,
    `5550${n.slice(-2)}${n}`,
  ];
  return forms[Math.floor(r() * forms.length)] ?? forms[0]!;
};
const INVALID_PHONES = ["12", "call after 5pm", "555-0100 ext. 12", "+1 (555)", "0000000000"];
const STREETS = ["Main St", "Rue de l'Église", "Königsallee", "Maple Ave", "Calle Mayor", "High Street"];
const CITIES: Array<[string, string, string, string]> = [
  ["Calgary", "AB", "T2P 1J9", "Canada"],
  ["Austin", "TX", "78701", "United States"],
  ["Montréal", "QC", "H2X 1Y4", "Canada"],
  ["Portland", "OR", "97205", "United States"],
  ["London", "", "SW1A 1AA", "United Kingdom"],
];
const TITLES = ["Mr.", "Ms.", "Mrs.", "Dr.", "Mx."];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)] as T;
}

function asciiSlug(s: string): string {
  const slug = s.normalize("NFKD").replace(/[^A-Za-z0-9]+/g, ".").replace(/^\.|\.$/g, "").toLowerCase();
  return slug.length > 0 ? slug : "client";
}

function address(r: () => number): AddressRecord {
  const [city, province, postalCode, country] = pick(r, CITIES);
  return {
    street1: `${1 + Math.floor(r() * 9999)} ${pick(r, STREETS)}`,
    street2: r() < 0.2 ? `Unit ${1 + Math.floor(r() * 40)}` : "",
    city,
    province,
    postalCode,
    country,
  };
}

/** Flags primaries the ways real data does: one first, one not first, or none at all. */
function flagPrimary<T extends { primary: boolean }>(r: () => number, items: T[]): void {
  if (items.length === 0) return;
  const mode = r();
  if (mode < 0.2) return;
  const index = mode < 0.4 ? items.length - 1 : 0;
  const item = items[index];
  if (item) item.primary = true;
}

export function generateClients(params: GenerateParams): ClientRecord[] {
  const { seed, count, accountId, ids, now } = params;
  const r = mulberry32(seed);
  const twoYears = 2 * 365 * 24 * 3600 * 1000;
  const out: ClientRecord[] = [];
  let previousEmail: string | null = null;
  for (let i = 0; i < count; i++) {
    const id = ids.next("client");
    const isCompany = r() < 0.15;
    const firstName = pick(r, FIRST);
    const lastName = pick(r, LAST);
    const createdAt = now - Math.floor(r() * twoYears);
    const updatedAt = createdAt + Math.floor(r() * (now - createdAt));

    const emails: EmailRecord[] = [];
    const phones: PhoneRecord[] = [];
    const noContact = r() < 0.08;
    if (!noContact) {
      const emailCount = Math.floor(r() * 4);
      for (let e = 0; e < emailCount; e++) {
        let address: string;
        const roll = r();
        if (roll < 0.06) address = pick(r, INVALID_EMAILS);
        else if (e === 0 && previousEmail !== null && i % 17 === 0) address = previousEmail;
        else {address = `${asciiSlug(firstName)}.${asciiSlug(lastName)}${e === 0 ? "" : e}@${
            pick(r, DOMAINS)
          }`;}
        emails.push({ id: ids.next("email"), address, primary: false, description: pick(r, DESCRIPTIONS) });
      }
      const phoneCount = Math.floor(r() * 4);
      for (let p = 0; p < phoneCount; p++) {
        const number = r() < 0.08 ? pick(r, INVALID_PHONES) : VALID_PHONES(r);
        phones.push({
          id: ids.next("phone"),
          number,
          primary: false,
          smsAllowed: r() < 0.5,
          description: pick(r, DESCRIPTIONS),
        });
      }
      flagPrimary(r, emails);
      flagPrimary(r, phones);
    }
    const firstValid = emails.find((e) => e.address.includes("@") && !e.address.includes(" "));
    if (firstValid) previousEmail = firstValid.address;

    const addressMode = r();
    const billingAddress = addressMode < 0.6 ? address(r) : null;
    const properties: PropertyRecord[] = [];
    if (addressMode < 0.45) {
      const sameAsBilling = { ...billingAddress! };
      properties.push({
        id: ids.next("property"),
        clientId: id,
        address: sameAsBilling,
        ...locate(sameAsBilling),
      });
    } else if (addressMode >= 0.6 && addressMode < 0.9) {
      // Only a service address, no billing address: integrations must fall back to it.
      const serviceAddress = address(r);
      properties.push({
        id: ids.next("property"),
        clientId: id,
        address: serviceAddress,
        ...locate(serviceAddress),
      });
    }

    out.push({
      id,
      accountId,
      firstName: isCompany && r() < 0.3 ? "" : firstName,
      lastName: isCompany && r() < 0.3 ? "" : lastName,
      companyName: isCompany ? pick(r, COMPANIES) : null,
      isCompany,
      isLead: r() < 0.1,
      isArchived: r() < 0.05,
      title: r() < 0.2 ? pick(r, TITLES) : null,
      createdAt,
      updatedAt,
      emails,
      phones,
      billingAddress,
      properties,
      balance: Math.round(r() * 50000) / 100,
    });
  }
  return out;
}
