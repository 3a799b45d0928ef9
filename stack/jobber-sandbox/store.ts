import { generateClients, type IdAllocator } from "./generator.ts";
import type {
  AccountRecord,
  AddressRecord,
  ClientRecord,
  EmailRecord,
  JobRecord,
  PhoneRecord,
  PropertyRecord,
  VisitRecord,
} from "./model.ts";

/** Data-change topics the store reports; the webhook dispatcher decides who hears them. */
export type ChangeTopic =
  | "CLIENT_CREATE"
  | "CLIENT_UPDATE"
  | "CLIENT_DESTROY"
  | "JOB_CREATE"
  | "JOB_UPDATE"
  | "JOB_CLOSED"
  | "VISIT_COMPLETE";

export interface ChangeEvent {
  topic: ChangeTopic;
  accountId: number;
  itemType: "Client" | "Job" | "Visit";
  itemId: number;
  at: number;
}

export interface ClientFilter {
  isArchived?: boolean | null | undefined;
  isLead?: boolean | null | undefined;
  isCompany?: boolean | null | undefined;
  updatedAt?: RangeFilter | null | undefined;
  createdAt?: RangeFilter | null | undefined;
}

export interface RangeFilter {
  after?: number | null | undefined;
  before?: number | null | undefined;
  eq?: number | null | undefined;
}

export interface PageRequest {
  first?: number | null | undefined;
  last?: number | null | undefined;
  /** Numeric id the page starts after / ends before (decoded from a cursor). */
  afterId?: number | null | undefined;
  beforeId?: number | null | undefined;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  totalCount: () => number;
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

export const DEFAULT_PAGE_SIZE = 100;

export function inRange(value: number | null, range: RangeFilter | null | undefined): boolean {
  if (!range) return true;
  if (value === null) return range.after == null && range.before == null && range.eq == null;
  // Jobber compares at second precision, the precision it prints timestamps with.
  const v = Math.floor(value / 1000);
  if (range.eq != null && v !== Math.floor(range.eq / 1000)) return false;
  if (range.after != null && v < Math.floor(range.after / 1000)) return false;
  if (range.before != null && v > Math.floor(range.before / 1000)) return false;
  return true;
}

/** First index whose id is greater than (strict) or at least (non-strict) `id`. */
function lowerBound(list: { id: number }[], id: number, strict: boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const midId = list[mid]!.id;
    if (midId < id || (strict && midId === id)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Pages a list sorted by id without copying it: the window is found by binary search on the
 * cursor id and the predicate is applied lazily, so 50,000 clients page as fast as 50.
 */
export function pageById<T extends { id: number }>(
  list: T[],
  req: PageRequest,
  match: (item: T) => boolean,
): Page<T> {
  const start = req.afterId != null ? lowerBound(list, req.afterId, true) : 0;
  const end = req.beforeId != null ? lowerBound(list, req.beforeId, false) : list.length;
  const items: T[] = [];
  let hasNextPage = false;
  let hasPreviousPage = false;
  const useLast = req.last != null && req.first == null;
  if (!useLast) {
    const limit = req.first ?? DEFAULT_PAGE_SIZE;
    let i = start;
    for (; i < end && items.length < limit; i++) if (match(list[i]!)) items.push(list[i]!);
    for (; i < end; i++) {
      if (match(list[i]!)) {
        hasNextPage = true;
        break;
      }
    }
    for (let j = start - 1; j >= 0; j--) {
      if (match(list[j]!)) {
        hasPreviousPage = true;
        break;
      }
    }
    if (req.last != null && items.length > req.last) {
      items.splice(0, items.length - req.last);
      hasPreviousPage = true;
    }
  } else {
    const limit = req.last!;
    let i = end - 1;
    for (; i >= start && items.length < limit; i--) if (match(list[i]!)) items.push(list[i]!);
    for (; i >= start; i--) {
      if (match(list[i]!)) {
        hasPreviousPage = true;
        break;
      }
    }
    for (let j = end; j < list.length; j++) {
      if (match(list[j]!)) {
        hasNextPage = true;
        break;
      }
    }
    items.reverse();
  }
  let total: number | null = null;
  return {
    items,
    hasNextPage,
    hasPreviousPage,
    totalCount: () => {
      if (total === null) {
        total = 0;
        for (const item of list) if (match(item)) total++;
      }
      return total;
    },
  };
}

export function clientName(c: ClientRecord): string {
  if (c.isCompany && c.companyName) return c.companyName;
  return `${c.firstName} ${c.lastName}`.trim();
}

export class Store {
  accounts = new Map<number, AccountRecord>();
  /** Per account, sorted by id ascending (ids only grow, so appends keep the order). */
  clientsByAccount = new Map<number, ClientRecord[]>();
  clients = new Map<number, ClientRecord>();
  properties = new Map<number, PropertyRecord>();
  jobsByAccount = new Map<number, JobRecord[]>();
  jobs = new Map<number, JobRecord>();
  visits = new Map<number, VisitRecord>();
  private counters = { account: 0, user: 0, client: 0, email: 0, phone: 0, property: 0, job: 0, visit: 0 };
  private listeners: Array<(e: ChangeEvent) => void> = [];

  constructor(readonly now: () => number = Date.now) {}

  onChange(listener: (e: ChangeEvent) => void): void {
    this.listeners.push(listener);
  }

  private emit(
    topic: ChangeTopic,
    accountId: number,
    itemType: ChangeEvent["itemType"],
    itemId: number,
  ): void {
    const event = { topic, accountId, itemType, itemId, at: this.now() };
    for (const l of this.listeners) l(event);
  }

  readonly ids: IdAllocator = {
    next: (kind) => ++this.counters[kind],
  };

  /** Back to the seeded state: two accounts with generated clients and a few jobs. */
  reset(seed: number): void {
    this.accounts.clear();
    this.clientsByAccount.clear();
    this.clients.clear();
    this.properties.clear();
    this.jobsByAccount.clear();
    this.jobs.clear();
    this.visits.clear();
    for (const key of Object.keys(this.counters) as Array<keyof typeof this.counters>) this.counters[key] = 0;
    const seeded: Array<[string, { first: string; last: string }]> = [
      ["Sparkle Cleaning Co.", { first: "Sam", last: "Sparkle" }],
      ["Green Lawn Pros", { first: "Gale", last: "Green" }],
    ];
    for (const [name, owner] of seeded) {
      const account = this.createAccount(name, owner);
      this.generateClients(account.id, 25, seed * 1000 + account.id);
      const list = this.clientsByAccount.get(account.id) ?? [];
      const [a, b, c] = [list[0], list[1], list[2]];
      if (a) this.createJob(account.id, a.id, "Spring clean-up", { silent: true });
      if (b) {
        const job = this.createJob(account.id, b.id, "Weekly maintenance", { silent: true });
        this.completeJob(job.id, { silent: true });
      }
      if (c) {
        const job = this.createJob(account.id, c.id, "Window washing", { silent: true });
        this.completeJob(job.id, { silent: true });
        this.closeJob(job.id, "requires_invoicing", { silent: true });
      }
    }
  }

  createAccount(name: string, owner = { first: "Account", last: "Owner" }): AccountRecord {
    const id = ++this.counters.account;
    const account: AccountRecord = {
      id,
      name,
      ownerUserId: ++this.counters.user,
      ownerName: owner,
      ownerEmail: `owner${id}@example.com`,
      createdAt: this.now(),
    };
    this.accounts.set(id, account);
    this.clientsByAccount.set(id, []);
    this.jobsByAccount.set(id, []);
    return account;
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
    this.emit("CLIENT_CREATE", accountId, "Client", client.id);
    return client;
  }

  updateClient(id: number, input: ClientInput): ClientRecord | null {
    const client = this.clients.get(id);
    if (!client) return null;
    this.applyInput(client, input);
    // Jobber timestamps have second precision; never let an edit keep the same updatedAt second
    // as the previous value would hide it from an `updatedAt.after` sync.
    client.updatedAt = Math.max(this.now(), client.updatedAt + 1);
    this.emit("CLIENT_UPDATE", client.accountId, "Client", client.id);
    return client;
  }

  deleteClient(id: number): boolean {
    const client = this.clients.get(id);
    if (!client) return false;
    const list = this.clientsByAccount.get(client.accountId) ?? [];
    const index = lowerBound(list, id, false);
    if (list[index]?.id === id) list.splice(index, 1);
    this.clients.delete(id);
    for (const p of client.properties) this.properties.delete(p.id);
    // Jobs cannot outlive their client (Job.client is non-null), so they go with it.
    const jobs = this.jobsByAccount.get(client.accountId) ?? [];
    for (const job of jobs.filter((j) => j.clientId === id)) {
      jobs.splice(jobs.indexOf(job), 1);
      this.jobs.delete(job.id);
      for (const v of job.visitIds) this.visits.delete(v);
    }
    this.emit("CLIENT_DESTROY", client.accountId, "Client", id);
    return true;
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
    if (input.propertyAddress != null) {
      const property: PropertyRecord = {
        id: this.ids.next("property"),
        clientId: client.id,
        address: fullAddress(input.propertyAddress),
      };
      client.properties.push(property);
      this.properties.set(property.id, property);
    }
  }

  createJob(accountId: number, clientId: number, title: string, opts: { silent?: boolean } = {}): JobRecord {
    const client = this.clients.get(clientId);
    if (!client || client.accountId !== accountId) throw new Error(`Unknown client ${clientId}`);
    let property = client.properties[0];
    if (!property) {
      // Jobber jobs always sit on a property; use the billing address when there is no other.
      property = {
        id: this.ids.next("property"),
        clientId,
        address: client.billingAddress ? { ...client.billingAddress } : fullAddress({}),
      };
      client.properties.push(property);
      this.properties.set(property.id, property);
    }
    const jobs = this.jobsByAccount.get(accountId)!;
    const now = this.now();
    const job: JobRecord = {
      id: ++this.counters.job,
      accountId,
      clientId,
      propertyId: property.id,
      jobNumber: jobs.reduce((max, j) => Math.max(max, j.jobNumber), 0) + 1,
      title,
      jobStatus: "upcoming",
      createdAt: now,
      updatedAt: now,
      completedAt: null,
      visitIds: [],
      total: 0,
    };
    const visit: VisitRecord = {
      id: ++this.counters.visit,
      jobId: job.id,
      title,
      startAt: now + 24 * 3600 * 1000,
      endAt: now + 26 * 3600 * 1000,
      createdAt: now,
      completedAt: null,
    };
    job.visitIds.push(visit.id);
    jobs.push(job);
    this.jobs.set(job.id, job);
    this.visits.set(visit.id, visit);
    if (!opts.silent) this.emit("JOB_CREATE", accountId, "Job", job.id);
    return job;
  }

  completeJob(jobId: number, opts: { silent?: boolean } = {}): JobRecord | null {
    const job = this.jobs.get(jobId);
    if (!job) return null;
    const now = this.now();
    const completed: number[] = [];
    for (const id of job.visitIds) {
      const visit = this.visits.get(id);
      if (visit && visit.completedAt === null) {
        visit.completedAt = now;
        completed.push(visit.id);
      }
    }
    if (job.completedAt === null) job.jobStatus = "action_required";
    job.updatedAt = now;
    if (!opts.silent) {
      for (const id of completed) this.emit("VISIT_COMPLETE", job.accountId, "Visit", id);
      this.emit("JOB_UPDATE", job.accountId, "Job", job.id);
    }
    return job;
  }

  closeJob(
    jobId: number,
    status: "requires_invoicing" | "archived",
    opts: { silent?: boolean } = {},
  ): JobRecord | null {
    const job = this.jobs.get(jobId);
    if (!job) return null;
    const now = this.now();
    job.jobStatus = status;
    job.completedAt = now;
    job.updatedAt = now;
    if (!opts.silent) {
      this.emit("JOB_CLOSED", job.accountId, "Job", job.id);
      this.emit("JOB_UPDATE", job.accountId, "Job", job.id);
    }
    return job;
  }

  reopenJob(jobId: number): JobRecord | null {
    const job = this.jobs.get(jobId);
    if (!job) return null;
    job.completedAt = null;
    job.jobStatus = "upcoming";
    job.updatedAt = this.now();
    for (const id of job.visitIds) {
      const visit = this.visits.get(id);
      if (visit) visit.completedAt = null;
    }
    this.emit("JOB_UPDATE", job.accountId, "Job", job.id);
    return job;
  }

  listJobs(accountId: number): JobRecord[] {
    return this.jobsByAccount.get(accountId) ?? [];
  }

  isLastScheduledVisit(visit: VisitRecord): boolean {
    const job = this.jobs.get(visit.jobId);
    if (!job) return true;
    const starts = job.visitIds.map((id) => this.visits.get(id)?.startAt ?? 0);
    return visit.startAt >= Math.max(...starts);
  }
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
