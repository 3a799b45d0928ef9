import { type Coordinates, locate } from "./geo.ts";
import { generateClients, type IdAllocator } from "./generator.ts";
import type {
  AccountRecord,
  AddressRecord,
  ClientRecord,
  EmailRecord,
  JobRecord,
  PhoneRecord,
  PropertyRecord,
  UserRecord,
  VisitRecord,
} from "./model.ts";
import { lowerBound, type RangeFilter } from "./paging.ts";

/** Data-change topics the store reports; the webhook dispatcher decides who hears them. */
export type ChangeTopic =
  | "CLIENT_CREATE"
  | "CLIENT_UPDATE"
  | "CLIENT_DESTROY"
  | "JOB_CREATE"
  | "JOB_UPDATE"
  | "JOB_CLOSED"
  | "JOB_DESTROY"
  | "VISIT_COMPLETE";

export interface ChangeEvent {
  topic: ChangeTopic;
  accountId: number;
  itemType: "Client" | "Job" | "Visit";
  itemId: number;
  /** When it happened: the record's new updatedAt where it has one, so no two changes share it. */
  at: number;
}

export interface ClientFilter {
  isArchived?: boolean | null | undefined;
  isLead?: boolean | null | undefined;
  isCompany?: boolean | null | undefined;
  updatedAt?: RangeFilter | null | undefined;
  createdAt?: RangeFilter | null | undefined;
}

export interface ClientInput {
  firstName?: string | undefined;
  lastName?: string | undefined;
  companyName?: string | null | undefined;
  isCompany?: boolean | undefined;
  isLead?: boolean | undefined;
  isArchived?: boolean | undefined;
  title?: string | null | undefined;
  emails?:
    | Array<{ address: string; primary?: boolean | undefined; description?: string | undefined }>
    | undefined;
  phones?:
    | Array<
      {
        number: string;
        primary?: boolean | undefined;
        smsAllowed?: boolean | undefined;
        description?: string | undefined;
      }
    >
    | undefined;
  billingAddress?: AddressInput | null | undefined;
  propertyAddress?: AddressInput | null | undefined;
}

export type AddressInput = { [K in keyof AddressRecord]?: string | undefined };

export interface UserInput {
  firstName: string;
  lastName: string;
  email?: string | undefined;
  isAdmin?: boolean | undefined;
}

export function clientName(c: ClientRecord): string {
  if (c.isCompany && c.companyName) return c.companyName;
  return `${c.firstName} ${c.lastName}`.trim();
}

/**
 * The updatedAt a change stamps: now, but always in a later second than the previous value.
 * Jobber prints timestamps to the second, and integrations compare them ("never older"); two
 * changes in one second would look like one, so the sandbox never lets that happen.
 */
export function nextUpdatedAt(previous: number, now: number): number {
  return Math.max(now, (Math.floor(previous / 1000) + 1) * 1000);
}

/** All sandbox data, in memory, plus the change events the webhook dispatcher listens to. */
export class Store {
  accounts = new Map<number, AccountRecord>();
  users = new Map<number, UserRecord>();
  usersByAccount = new Map<number, UserRecord[]>();
  /** Per account, sorted by id ascending (ids only grow, so appends keep the order). */
  clientsByAccount = new Map<number, ClientRecord[]>();
  clients = new Map<number, ClientRecord>();
  properties = new Map<number, PropertyRecord>();
  /** Per account, sorted by id ascending. */
  jobsByAccount = new Map<number, JobRecord[]>();
  jobs = new Map<number, JobRecord>();
  visits = new Map<number, VisitRecord>();
  private counters = { account: 0, user: 0, client: 0, email: 0, phone: 0, property: 0, job: 0, visit: 0 };
  private listeners: Array<(e: ChangeEvent) => void> = [];

  constructor(readonly now: () => number = Date.now) {}

  onChange(listener: (e: ChangeEvent) => void): void {
    this.listeners.push(listener);
  }

  emit(
    topic: ChangeTopic,
    accountId: number,
    itemType: ChangeEvent["itemType"],
    itemId: number,
    at: number = this.now(),
  ): void {
    const event = { topic, accountId, itemType, itemId, at };
    for (const l of this.listeners) l(event);
  }

  readonly ids: IdAllocator & { next(kind: "job" | "visit" | "user"): number } = {
    next: (kind: keyof Store["counters"]) => ++this.counters[kind],
  };

  /** Empty, with every id counter back at zero (seed.ts fills it again). */
  clear(): void {
    this.accounts.clear();
    this.users.clear();
    this.usersByAccount.clear();
    this.clientsByAccount.clear();
    this.clients.clear();
    this.properties.clear();
    this.jobsByAccount.clear();
    this.jobs.clear();
    this.visits.clear();
    for (const key of Object.keys(this.counters) as Array<keyof typeof this.counters>) this.counters[key] = 0;
  }

  createAccount(name: string, owner = { first: "Account", last: "Owner" }): AccountRecord {
    const id = ++this.counters.account;
    const account: AccountRecord = { id, name, ownerUserId: 0, createdAt: this.now() };
    this.accounts.set(id, account);
    this.clientsByAccount.set(id, []);
    this.jobsByAccount.set(id, []);
    this.usersByAccount.set(id, []);
    // The owner is the account's first user and the one who connects apps.
    const ownerUser = this.addUser(id, {
      firstName: owner.first,
      lastName: owner.last,
      email: `owner${id}@example.com`,
      isAdmin: true,
    }, true);
    account.ownerUserId = ownerUser.id;
    return account;
  }

  addUser(accountId: number, input: UserInput, isOwner = false): UserRecord {
    const list = this.usersByAccount.get(accountId);
    if (!list) throw new Error(`Unknown account ${accountId}`);
    const id = this.ids.next("user");
    const user: UserRecord = {
      id,
      accountId,
      firstName: input.firstName,
      lastName: input.lastName,
      email: input.email ?? `user${id}@example.com`,
      isOwner,
      isAdmin: isOwner || (input.isAdmin ?? false),
      createdAt: this.now(),
    };
    list.push(user);
    this.users.set(id, user);
    return user;
  }

  listUsers(accountId: number): UserRecord[] {
    return this.usersByAccount.get(accountId) ?? [];
  }

  /** Bulk import: fires no webhooks, like an import in Jobber. */
  generateClients(accountId: number, count: number, seed: number): number {
    const list = this.clientsByAccount.get(accountId);
    if (!list) throw new Error(`Unknown account ${accountId}`);
    const created = generateClients({ seed, count, accountId, ids: this.ids, now: this.now() });
    for (const c of created) {
      list.push(c);
      this.clients.set(c.id, c);
      for (const p of c.properties) this.properties.set(p.id, p);
    }
    return created.length;
  }

  listClients(accountId: number): ClientRecord[] {
    return this.clientsByAccount.get(accountId) ?? [];
  }

  createClient(accountId: number, input: ClientInput): ClientRecord {
    const list = this.clientsByAccount.get(accountId);
    if (!list) throw new Error(`Unknown account ${accountId}`);
    const now = this.now();
    const client: ClientRecord = {
      id: this.ids.next("client"),
      accountId,
      firstName: "",
      lastName: "",
      companyName: null,
      isCompany: false,
      isLead: false,
      isArchived: false,
      title: null,
      createdAt: now,
      updatedAt: now,
      emails: [],
      phones: [],
      billingAddress: null,
      properties: [],
      balance: 0,
    };
    this.applyInput(client, input);
    list.push(client);
    this.clients.set(client.id, client);
    this.emit("CLIENT_CREATE", accountId, "Client", client.id, client.updatedAt);
    return client;
  }

  updateClient(id: number, input: ClientInput): ClientRecord | null {
    const client = this.clients.get(id);
    if (!client) return null;
    this.applyInput(client, input);
    // A later second than before, or an `updatedAt.after` sync could miss the edit.
    client.updatedAt = nextUpdatedAt(client.updatedAt, this.now());
    this.emit("CLIENT_UPDATE", client.accountId, "Client", client.id, client.updatedAt);
    return client;
  }

  deleteClient(id: number): boolean {
    const client = this.clients.get(id);
    if (!client) return false;
    // Jobs cannot outlive their client (Job.client is non-null): they are deleted first, each
    // with its own JOB_DESTROY, as deleting them one by one would.
    for (const job of this.listJobs(client.accountId).filter((j) => j.clientId === id)) this.removeJob(job);
    const list = this.clientsByAccount.get(client.accountId) ?? [];
    const index = lowerBound(list, id, false);
    if (list[index]?.id === id) list.splice(index, 1);
    this.clients.delete(id);
    for (const p of client.properties) this.properties.delete(p.id);
    this.emit("CLIENT_DESTROY", client.accountId, "Client", id);
    return true;
  }

  /**
   * Adds a service address to a client. Jobber geocodes it; `coordinates` stands for a pin the
   * user placed by hand (MANUAL_OVERRIDE), or null for an address the geocoder cannot place.
   */
  addProperty(
    client: ClientRecord,
    address: AddressRecord,
    coordinates?: Coordinates | null,
  ): PropertyRecord {
    const property: PropertyRecord = {
      id: this.ids.next("property"),
      clientId: client.id,
      address,
      ...locate(address),
    };
    if (coordinates !== undefined) setCoordinates(property, coordinates);
    client.properties.push(property);
    this.properties.set(property.id, property);
    return property;
  }

  private applyInput(client: ClientRecord, input: ClientInput): void {
    if (input.firstName !== undefined) client.firstName = input.firstName;
    if (input.lastName !== undefined) client.lastName = input.lastName;
    if (input.companyName !== undefined) client.companyName = input.companyName;
    if (input.isCompany !== undefined) client.isCompany = input.isCompany;
    if (input.isLead !== undefined) client.isLead = input.isLead;
    if (input.isArchived !== undefined) client.isArchived = input.isArchived;
    if (input.title !== undefined) client.title = input.title;
    if (input.emails !== undefined) {
      client.emails = input.emails.map((e): EmailRecord => ({
        id: this.ids.next("email"),
        address: e.address,
        primary: e.primary ?? false,
        description: e.description ?? "main",
      }));
    }
    if (input.phones !== undefined) {
      client.phones = input.phones.map((p): PhoneRecord => ({
        id: this.ids.next("phone"),
        number: p.number,
        primary: p.primary ?? false,
        smsAllowed: p.smsAllowed ?? false,
        description: p.description ?? "main",
      }));
    }
    if (input.billingAddress !== undefined) {
      client.billingAddress = input.billingAddress === null ? null : fullAddress(input.billingAddress);
    }
    if (input.propertyAddress != null) this.addProperty(client, fullAddress(input.propertyAddress));
  }

  addJob(job: JobRecord, visits: VisitRecord[]): void {
    const jobs = this.jobsByAccount.get(job.accountId);
    if (!jobs) throw new Error(`Unknown account ${job.accountId}`);
    jobs.push(job);
    this.jobs.set(job.id, job);
    for (const v of visits) this.visits.set(v.id, v);
  }

  /** Deletes a job and its visits and fires JOB_DESTROY; lookups of either then find nothing. */
  removeJob(job: JobRecord): void {
    const jobs = this.jobsByAccount.get(job.accountId) ?? [];
    const index = lowerBound(jobs, job.id, false);
    if (jobs[index]?.id === job.id) jobs.splice(index, 1);
    this.jobs.delete(job.id);
    for (const v of job.visitIds) this.visits.delete(v);
    this.emit("JOB_DESTROY", job.accountId, "Job", job.id);
  }

  listJobs(accountId: number): JobRecord[] {
    return this.jobsByAccount.get(accountId) ?? [];
  }
}

/** A pin set by hand (MANUAL_OVERRIDE), or null: the property then has no coordinates. */
export function setCoordinates(property: PropertyRecord, coordinates: Coordinates | null): void {
  property.coordinates = coordinates && { latitude: coordinates.latitude, longitude: coordinates.longitude };
  property.geoStatus = coordinates ? "MANUAL_OVERRIDE" : "NOT_FOUND";
}

export function fullAddress(a: AddressInput): AddressRecord {
  return {
    street1: a.street1 ?? "",
    street2: a.street2 ?? "",
    city: a.city ?? "",
    province: a.province ?? "",
    postalCode: a.postalCode ?? "",
    country: a.country ?? "",
  };
}
