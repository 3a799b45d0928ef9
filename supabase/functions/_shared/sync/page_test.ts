import assert from "node:assert/strict";
import { mapClientsPage } from "./page.ts";

function node(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    name: "Ann Lee",
    firstName: "Ann",
    lastName: "Lee",
    companyName: null,
    isCompany: false,
    isLead: false,
    isArchived: false,
    updatedAt: "2025-10-12T03:27:49-06:00",
    emails: [{ address: "ann@example.com", primary: true }],
    phones: [{ number: "(415) 555-2671", primary: true }],
    billingAddress: null,
    clientProperties: { nodes: [] },
    ...overrides,
  };
}

Deno.test("a malformed client becomes an error naming its id while the rest of the page maps", () => {
  const { rows, errors } = mapClientsPage(
    [node("c1"), node("c2", { updatedAt: "not a date" }), node("c3", { emails: "ann@example.com" }), node("c4")],
    "US",
  );
  assert.deepEqual(rows.map((r) => r.external_id), ["c1", "c4"]);
  assert.deepEqual(errors.map((e) => e.external_id), ["c2", "c3"]);
  assert.match(errors[0]!.message, /^Jobber sent a client Blipp cannot read: .*updatedAt/);
  assert.match(errors[1]!.message, /^Jobber sent a client Blipp cannot read: .*emails/);
  assert.deepEqual(rows[0], {
    external_id: "c1",
    full_name: "Ann Lee",
    email: "ann@example.com",
    phone: "+14155552671",
    address: null,
    status: "active",
    email_usable: true,
    phone_usable: true,
    remote_updated_at: "2025-10-12T09:27:49.000Z",
  });
});

Deno.test("a node without a readable id is reported with the id it had, or null", () => {
  const { rows, errors } = mapClientsPage([null, { name: "No id" }, node("")], "US");
  assert.equal(rows.length, 0);
  assert.deepEqual(errors.map((e) => e.external_id), [null, null, ""]);
});

Deno.test("an over-long email is cut to 320 characters and flagged unusable", () => {
  const email = `${"a".repeat(400)}@example.com`;
  const { rows, errors } = mapClientsPage([node("long", { emails: [{ address: email, primary: true }] })], "US");
  assert.equal(errors.length, 0);
  assert.equal(rows[0]!.email, "a".repeat(320));
  assert.equal(rows[0]!.email!.length, 320);
  assert.equal(rows[0]!.email_usable, false);
  // The other contact is untouched.
  assert.equal(rows[0]!.phone, "+14155552671");
  assert.equal(rows[0]!.phone_usable, true);
});

Deno.test("an over-long unreadable phone and address are cut to their column limits", () => {
  const { rows } = mapClientsPage([
    node("p", {
      phones: [{ number: `call ${"x".repeat(100)}`, primary: true }],
      billingAddress: { street1: "s".repeat(1200), street2: null, city: null, province: null, postalCode: null, country: null },
    }),
  ], "US");
  assert.equal(rows[0]!.phone!.length, 64);
  assert.equal(rows[0]!.phone_usable, false);
  assert.equal(rows[0]!.address!.length, 1000);
});

Deno.test("an empty page maps to nothing", () => {
  assert.deepEqual(mapClientsPage([], "US"), { rows: [], errors: [] });
});
