import assert from "node:assert/strict";
import { generateClients, type IdAllocator } from "./generator.ts";

function allocator(): IdAllocator {
  const counters = { client: 0, email: 0, phone: 0, property: 0 };
  return { next: (kind) => ++counters[kind] };
}

const NOW = Date.UTC(2026, 0, 15);
const make = (seed: number, count: number) =>
  generateClients({ seed, count, accountId: 1, ids: allocator(), now: NOW });

Deno.test("the same seed generates the same clients and another seed does not", () => {
  assert.deepEqual(make(7, 500), make(7, 500));
  assert.notDeepEqual(make(7, 50).map((c) => c.firstName), make(8, 50).map((c) => c.firstName));
});

Deno.test("generated clients include the nasty cases integrations must survive", () => {
  const clients = make(1, 2000);
  const names = clients.map((c) => `${c.firstName} ${c.lastName}`);
  assert.ok(names.some((n) => /[^ -~]/.test(n)), "unicode names");
  assert.ok(clients.some((c) => c.isCompany && c.companyName), "company clients");
  assert.ok(clients.some((c) => c.emails.length === 0 && c.phones.length === 0), "no contact info");
  assert.ok(clients.some((c) => c.emails.length > 1 && !c.emails.some((e) => e.primary)), "no primary email");
  assert.ok(
    clients.some((c) => c.emails.length > 1 && c.emails.findIndex((e) => e.primary) > 0),
    "primary not first",
  );
  assert.ok(clients.some((c) => c.phones.length === 3), "three phones");
  assert.ok(
    clients.some((c) => c.emails.some((e) => !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e.address))),
    "invalid email",
  );
  assert.ok(
    clients.some((c) => c.phones.some((p) => p.number.replace(/\D/g, "").length < 7)),
    "invalid phone",
  );
  assert.ok(clients.some((c) => c.isArchived) && clients.some((c) => c.isLead), "archived and leads");
  assert.ok(
    clients.some((c) => c.billingAddress === null && c.properties.length > 0),
    "only a property address",
  );
  const byEmail = new Map<string, Set<number>>();
  for (const c of clients) {
    for (const e of c.emails) byEmail.set(e.address, (byEmail.get(e.address) ?? new Set()).add(c.id));
  }
  assert.ok(
    [...byEmail.entries()].some(([a, ids]) => a.includes("@") && ids.size > 1),
    "same email on two clients",
  );
  assert.ok(clients.every((c) => c.updatedAt >= c.createdAt && c.updatedAt <= NOW));
});

Deno.test("50,000 clients generate in well under five seconds", () => {
  const started = performance.now();
  assert.equal(make(3, 50_000).length, 50_000);
  assert.ok(performance.now() - started < 5000);
});
