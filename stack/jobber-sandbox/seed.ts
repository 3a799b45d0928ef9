// The state `POST /_sandbox/reset {seed}` returns to: two accounts with 25 generated clients each,
// their team members, and jobs in every state an integration meets (open, visits done but not
// closed, closed, recurring part-way through), on properties in different time zones and one
// the geocoder could not place. Everything follows from the seed; times are relative to now.
import { UNPLACED_ADDRESS } from "./geo.ts";
import type { ClientRecord } from "./model.ts";
import type { Store } from "./store.ts";
import { closeJob, completeJob, completeVisit, createJob } from "./work.ts";

const DAY = 24 * 3600 * 1000;

interface SeedAccount {
  name: string;
  owner: { first: string; last: string };
  technicians: Array<{ firstName: string; lastName: string; email: string }>;
  recurring: { title: string; visits: number; done: number; total: number };
  /** A one-off job at a rural property the geocoder cannot place (no coordinates). */
  rural: { title: string; total: number };
  /**
   * The mobile of the "Spring clean-up" client, the job the README's demo closes: generated
   * clients' numbers are deliberately messy (most cannot be texted), and the demo's review request
   * should arrive as a text on the messaging sandbox's phone.
   */
  demoMobile: string;
}

const ACCOUNTS: SeedAccount[] = [
  {
    name: "Sparkle Cleaning Co.",
    owner: { first: "Sam", last: "Sparkle" },
    technicians: [
      { firstName: "Priya", lastName: "Natarajan", email: "priya@sparkle-cleaning.example" },
      { firstName: "Marcus", lastName: "O'Neil", email: "marcus@sparkle-cleaning.example" },
    ],
    recurring: { title: "Weekly office cleaning", visits: 4, done: 1, total: 480 },
    rural: { title: "Cottage spring opening", total: 320 },
    demoMobile: "(303) 555-0184",
  },
  {
    name: "Green Lawn Pros",
    owner: { first: "Gale", last: "Green" },
    technicians: [{ firstName: "Tomás", lastName: "Herrera", email: "tomas@greenlawnpros.example" }],
    recurring: { title: "Lawn mowing, summer season", visits: 6, done: 2, total: 390 },
    rural: { title: "Acreage aeration", total: 275.5 },
    demoMobile: "(604) 555-0186",
  },
];

export function resetStore(store: Store, seed: number): void {
  store.clear();
  // First pass, in the order the sandbox has always seeded (client, property and job ids depend
  // on it): each account, its clients, and three one-off jobs.
  for (const spec of ACCOUNTS) {
    const account = store.createAccount(spec.name, spec.owner);
    store.generateClients(account.id, 25, seed * 1000 + account.id);
    const list = store.listClients(account.id);
    const [a, b, c] = [list[0], list[1], list[2]];
    const silent = { silent: true };
    if (a) {
      a.phones = [
        { id: store.ids.next("phone"), number: spec.demoMobile, primary: true, smsAllowed: true, description: "mobile" },
        ...a.phones.map((p) => ({ ...p, primary: false })),
      ];
    }
    if (a) createJob(store, account.id, { clientId: a.id, title: "Spring clean-up", total: 240 }, silent);
    if (b) {
      const job = createJob(
        store,
        account.id,
        { clientId: b.id, title: "Weekly maintenance", total: 95 },
        silent,
      );
      completeJob(store, job.id, silent);
    }
    if (c) {
      const job = createJob(
        store,
        account.id,
        { clientId: c.id, title: "Window washing", total: 150 },
        silent,
      );
      completeJob(store, job.id, silent);
      closeJob(store, job.id, "requires_invoicing", silent);
    }
  }
  // Second pass: team members (after both owners, so owner user ids stay 1 and 2), who work the
  // first-pass jobs; a recurring job part-way through on a client in another city; and a job at
  // a client's second, rural property (their first property and billing address stay as they are).
  for (const [index, spec] of ACCOUNTS.entries()) {
    const accountId = index + 1;
    const techs = spec.technicians.map((t) => store.addUser(accountId, t));
    for (const [i, job] of store.listJobs(accountId).entries()) {
      const tech = techs[i % techs.length]!;
      for (const visitId of job.visitIds) store.visits.get(visitId)!.assignedUserIds = [tech.id];
    }
    const client = clientInAnotherCity(store, accountId);
    if (client) seedRecurring(store, accountId, client, spec, techs.map((t) => t.id));
    const cottage = store.listClients(accountId).find((c) =>
      c.properties.length > 0 && !store.listJobs(accountId).some((j) => j.clientId === c.id)
    );
    if (cottage) {
      createJob(store, accountId, {
        clientId: cottage.id,
        title: spec.rural.title,
        total: spec.rural.total,
        propertyAddress: { ...UNPLACED_ADDRESS },
        assignedUserIds: [techs[0]!.id],
      }, { silent: true });
    }
  }
}

/** Weekly from `done` weeks ago: the finished visits lie in the past and the next is under way. */
function seedRecurring(
  store: Store,
  accountId: number,
  client: ClientRecord,
  spec: SeedAccount,
  assignedUserIds: number[],
): void {
  const { title, visits, done, total } = spec.recurring;
  const startAt = store.now() - done * 7 * DAY;
  const job = createJob(
    store,
    accountId,
    { clientId: client.id, title, visits, total, startAt, assignedUserIds },
    { silent: true },
  );
  for (const visitId of job.visitIds.slice(0, done)) {
    completeVisit(store, visitId, { silent: true, at: store.visits.get(visitId)!.endAt });
  }
}

/** The first client with a geocoded property in a city none of the account's jobs is in yet. */
function clientInAnotherCity(store: Store, accountId: number): ClientRecord | undefined {
  const used = new Set(
    store.listJobs(accountId).map((j) => store.properties.get(j.propertyId)?.address.city ?? ""),
  );
  return store.listClients(accountId).find((c) => {
    const p = c.properties[0];
    return p?.coordinates != null && !used.has(p.address.city);
  });
}
