import assert from "node:assert/strict";
import {
  formatAddress,
  isPlausibleEmail,
  mapClientToCustomer,
  MAX_NAME_LENGTH,
  normaliseEmail,
  normalisePhone,
} from "./mapping.ts";
import type { JobberClientNode } from "./queries.ts";

const US = { country: "US" };

function client(overrides: Partial<JobberClientNode> = {}): JobberClientNode {
  return {
    id: "Z2lkOi8vSm9iYmVyL0NsaWVudC8x",
    name: "Ann Lee",
    firstName: "Ann",
    lastName: "Lee",
    companyName: null,
    isCompany: false,
    isLead: false,
    isArchived: false,
    updatedAt: "2025-10-12T03:27:49-06:00",
    emails: [{ address: "Ann@Example.com", primary: true }],
    phones: [{ number: "(415) 555-2671", primary: true }],
    billingAddress: {
      street1: "1 Main St",
      street2: "",
      city: "Springfield",
      province: "IL",
      postalCode: "62701",
      country: "United States",
    },
    clientProperties: { nodes: [] },
    ...overrides,
  };
}

Deno.test("maps a typical client", () => {
  assert.deepEqual(mapClientToCustomer(client(), US), {
    external_id: "Z2lkOi8vSm9iYmVyL0NsaWVudC8x",
    full_name: "Ann Lee",
    email: "ann@example.com",
    phone: "+14155552671",
    address: "1 Main St, Springfield, IL 62701, United States",
    status: "active",
    email_usable: true,
    phone_usable: true,
    remote_updated_at: "2025-10-12T09:27:49.000Z",
  });
});

Deno.test("full_name falls back to the company, then first and last name, cleaned", () => {
  assert.equal(mapClientToCustomer(client({ name: "  Ann \n  Lee\t" }), US).full_name, "Ann Lee");
  assert.equal(
    mapClientToCustomer(client({ name: "", companyName: "Acme  Lawn Care", isCompany: true }), US).full_name,
    "Acme Lawn Care",
  );
  assert.equal(
    mapClientToCustomer(client({ name: null, companyName: " ", firstName: "Zoë", lastName: "" }), US)
      .full_name,
    "Zoë",
  );
  assert.equal(
    mapClientToCustomer(client({ name: null, companyName: null, firstName: "", lastName: "" }), US).full_name,
    null,
  );
});

Deno.test("full_name keeps Unicode intact and in NFC", () => {
  const decomposed = "Jose\u0301 N\u0303un\u0303ez 山田 太郎";
  const mapped = mapClientToCustomer(client({ name: decomposed }), US).full_name;
  assert.equal(mapped, "Jos\u00e9 \u00d1u\u00f1ez 山田 太郎");
  assert.equal(mapped, mapped?.normalize("NFC"));
});

Deno.test("a 5,000-character name is capped at 500 characters without splitting an emoji", () => {
  const long = "👩‍👩‍👧".repeat(1_000); // 5 code points each
  const mapped = mapClientToCustomer(client({ name: long }), US);
  assert.ok([...mapped.full_name!].length <= MAX_NAME_LENGTH);
  assert.equal([...mapped.full_name!].length, 500);
  assert.equal(mapped.full_name, "👩‍👩‍👧".repeat(100));
  assert.equal(mapped.raw_name, long);

  const plain = mapClientToCustomer(client({ name: "a".repeat(5_000) }), US);
  assert.equal(plain.full_name?.length, 500);
  assert.equal("raw_name" in mapClientToCustomer(client(), US), false);
});

Deno.test("email is the primary one even when it is not first, else the first listed", () => {
  const primarySecond = client({
    emails: [{ address: "old@example.com", primary: false }, { address: " New@Example.COM ", primary: true }],
  });
  assert.equal(mapClientToCustomer(primarySecond, US).email, "new@example.com");
  const nonePrimary = client({
    emails: [{ address: "first@example.com", primary: false }, {
      address: "second@example.com",
      primary: false,
    }],
  });
  assert.equal(mapClientToCustomer(nonePrimary, US).email, "first@example.com");
  const emptyPrimary = client({
    emails: [{ address: "  ", primary: true }, { address: "real@example.com", primary: false }],
  });
  assert.equal(mapClientToCustomer(emptyPrimary, US).email, "real@example.com");
});

Deno.test("an implausible email is kept but marked unusable", () => {
  const mapped = mapClientToCustomer(
    client({ emails: [{ address: "ann at example dot com", primary: true }] }),
    US,
  );
  assert.equal(mapped.email, "ann at example dot com");
  assert.equal(mapped.email_usable, false);
});

Deno.test("a client with no contact details maps to nulls and unusable flags", () => {
  const mapped = mapClientToCustomer(
    client({ emails: [], phones: null, billingAddress: null, clientProperties: null }),
    US,
  );
  assert.equal(mapped.email, null);
  assert.equal(mapped.phone, null);
  assert.equal(mapped.address, null);
  assert.equal(mapped.email_usable, false);
  assert.equal(mapped.phone_usable, false);
});

Deno.test("phone is the primary one, normalised to E.164 with the business country", () => {
  const phones = [{ number: "555-0000", primary: false }, { number: "(613) 555-0123", primary: true }];
  assert.equal(mapClientToCustomer(client({ phones }), { country: "CA" }).phone, "+16135550123");
  assert.equal(
    mapClientToCustomer(client({ phones: [{ number: "020 7946 0018", primary: true }] }), { country: "GB" })
      .phone,
    "+442079460018",
  );
  assert.equal(
    mapClientToCustomer(client({ phones: [{ number: "07700 900123", primary: false }] }), { country: "GB" })
      .phone,
    "+447700900123",
  );
  // An international number written with + keeps its own country whatever the business country is.
  assert.equal(
    mapClientToCustomer(client({ phones: [{ number: "+44 20 7946 0018", primary: true }] }), US).phone,
    "+442079460018",
  );
});

Deno.test("an unreadable phone is kept as given (trimmed) and marked unusable", () => {
  const mapped = mapClientToCustomer(
    client({ phones: [{ number: "  call the office  ", primary: true }] }),
    US,
  );
  assert.equal(mapped.phone, "call the office");
  assert.equal(mapped.phone_usable, false);
  assert.deepEqual(normalisePhone("12", "US"), { phone: "12", usable: false });
});

Deno.test("address comes from billing, else the first property, with empty parts dropped", () => {
  const property = {
    street1: "9 Elm Rd",
    street2: "Unit 4",
    city: "Toronto",
    province: "ON",
    postalCode: "M5V 2T6",
    country: "Canada",
  };
  const fromProperty = client({
    billingAddress: { street1: "", street2: "", city: "", province: "", postalCode: "", country: "" },
    clientProperties: { nodes: [{ address: property }, { address: { ...property, street1: "second" } }] },
  });
  assert.equal(
    mapClientToCustomer(fromProperty, US).address,
    "9 Elm Rd, Unit 4, Toronto, ON M5V 2T6, Canada",
  );
  assert.equal(
    formatAddress({
      street1: null,
      street2: null,
      city: "Leeds",
      province: null,
      postalCode: "LS1 4AP",
      country: null,
    }),
    "Leeds, LS1 4AP",
  );
});

Deno.test("status is archived over lead over active", () => {
  assert.equal(mapClientToCustomer(client({ isArchived: true, isLead: true }), US).status, "archived");
  assert.equal(mapClientToCustomer(client({ isLead: true }), US).status, "lead");
  assert.equal(mapClientToCustomer(client({ isLead: null, isArchived: null }), US).status, "active");
});

Deno.test("normaliseEmail and isPlausibleEmail", () => {
  assert.equal(normaliseEmail("  Mixed.Case@Example.COM "), "mixed.case@example.com");
  assert.equal(normaliseEmail("   "), null);
  assert.equal(normaliseEmail(null), null);
  for (const good of ["a@b.co", "first.last+tag@sub.example.org", "josé@exämple.de"]) {
    assert.equal(isPlausibleEmail(good), true, good);
  }
  for (
    const bad of [
      "plain",
      "a@b",
      "a@@b.com",
      "a b@c.com",
      ".a@b.com",
      "a..b@c.com",
      "a@-b.com",
      "a@b.123",
      `${"x".repeat(65)}@b.com`,
    ]
  ) {
    assert.equal(isPlausibleEmail(bad), false, bad);
  }
});

Deno.test("normalisePhone with an unknown country still reads + numbers", () => {
  assert.deepEqual(normalisePhone("+1 415 555 2671", "ZZ"), { phone: "+14155552671", usable: true });
  assert.deepEqual(normalisePhone("415 555 2671", "ZZ"), { phone: "415 555 2671", usable: false });
});
