// Jobs and their visits as Jobber runs them: a job has one visit (one-off) or a schedule of them
// (recurring); each visit is completed on its own (VISIT_COMPLETE); a job is closed
// (JOB_CLOSED: requires_invoicing or archived, completedAt set), reopened, or deleted
// (JOB_DESTROY). Every change moves the job's updatedAt to a later second and fires JOB_UPDATE.
import type { Coordinates } from "./geo.ts";
import type {
  ClientRecord,
  ClosedStatus,
  JobRecord,
  JobStatus,
  JobType,
  PropertyRecord,
  VisitRecord,
} from "./model.ts";
import { type AddressInput, fullAddress, nextUpdatedAt, setCoordinates, type Store } from "./store.ts";

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
export const MAX_VISITS = 52;
/** A visit lasts two hours unless said otherwise. */
const VISIT_LENGTH = 2 * HOUR;

/** A request the sandbox refuses: `invalid` answers 400, `conflict` (wrong state) answers 409. */
export class WorkError extends Error {
  constructor(readonly kind: "invalid" | "conflict", message: string) {
    super(message);
  }
}

export interface JobInput {
  clientId: number;
  title: string;
  /** Number of visits (default 1); more than one makes a recurring job unless jobType says so. */
  visits?: number | undefined;
  jobType?: JobType | undefined;
  total?: number | undefined;
  /** Team members put on every visit. */
  assignedUserIds?: number[] | undefined;
  /** An existing property of the client. */
  propertyId?: number | undefined;
  /** A new property for the client at this address (geocoded like Jobber does). */
  propertyAddress?: AddressInput | undefined;
  /** Pins the job's property by hand; null leaves it without coordinates. */
  coordinates?: Coordinates | null | undefined;
  /** First visit's start (default: this time tomorrow); later visits follow every `intervalDays`. */
  startAt?: number | undefined;
  intervalDays?: number | undefined;
}

export interface ActionOptions {
  /** Seeding: change the data without firing webhooks. */
  silent?: boolean;
  /** When the visit was completed (seeding back-dates it); defaults to now. */
  at?: number;
}

export function visitsOf(store: Store, job: JobRecord): VisitRecord[] {
  return job.visitIds.map((id) => store.visits.get(id)).filter((v): v is VisitRecord => v !== undefined);
}

function dayOf(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(ms);
}

/** Jobber's VisitStatusTypeEnum for a visit at `now`, "today" meaning today in `timeZone`. */
export function visitStatus(v: VisitRecord, now: number, timeZone = "UTC"): string {
  if (v.completedAt !== null) return "COMPLETED";
  if (v.endAt < now) return "LATE";
  if (v.startAt <= now) return "ACTIVE";
  if (dayOf(v.startAt, timeZone) === dayOf(now, timeZone)) return "TODAY";
  return "UPCOMING";
}

/**
 * A closed job keeps its closing status. An open one follows its next incomplete visit
 * (late, today or upcoming) and, with none left, is action_required: Jobber's prompt to
 * schedule more visits or close the job.
 */
export function jobStatus(store: Store, job: JobRecord, now = store.now()): JobStatus {
  if (job.closedStatus) return job.closedStatus;
  const next = visitsOf(store, job).find((v) => v.completedAt === null);
  if (!next) return "action_required";
  const status = visitStatus(next, now);
  return status === "LATE" ? "late" : status === "UPCOMING" ? "upcoming" : "today";
}

/** The visit with the latest start is the job's last scheduled visit. */
export function isLastScheduledVisit(store: Store, visit: VisitRecord): boolean {
  const job = store.jobs.get(visit.jobId);
  if (!job) return true;
  return visitsOf(store, job).every((v) =>
    v.startAt < visit.startAt || v.id === visit.id ||
    (v.startAt === visit.startAt && v.id < visit.id)
  );
}

/** Jobber's VisitsInfo counts. The sandbox has no unscheduled visits. */
export function visitsInfo(store: Store, job: JobRecord, now = store.now()) {
  const incomplete = visitsOf(store, job).filter((v) => v.completedAt === null);
  const endOfToday = Date.parse(`${dayOf(now, "UTC")}T23:59:59.999Z`);
  const pastCount = incomplete.filter((v) => v.startAt <= endOfToday).length;
  return {
    incompleteTotal: incomplete.length,
    pastCount,
    futureCount: incomplete.length - pastCount,
    scheduledCount: incomplete.length,
    unscheduledCount: 0,
  };
}

function propertyFor(store: Store, client: ClientRecord, input: JobInput): PropertyRecord {
  let property: PropertyRecord | undefined;
  if (input.propertyId !== undefined) {
    property = client.properties.find((p) => p.id === input.propertyId);
    if (!property) {
      throw new WorkError("invalid", `propertyId: no property ${input.propertyId} on this client`);
    }
  } else if (input.propertyAddress !== undefined) {
    return store.addProperty(client, fullAddress(input.propertyAddress), input.coordinates);
  } else {
    // Jobber jobs always sit on a property; use the billing address when there is no other.
    property = client.properties[0] ??
      store.addProperty(client, client.billingAddress ? { ...client.billingAddress } : fullAddress({}));
  }
  if (input.coordinates !== undefined) setCoordinates(property, input.coordinates);
  return property;
}

export function createJob(
  store: Store,
  accountId: number,
  input: JobInput,
  opts: ActionOptions = {},
): JobRecord {
  const client = store.clients.get(input.clientId);
  if (!client || client.accountId !== accountId) {
    throw new WorkError("invalid", `clientId: no client ${input.clientId} in this account`);
  }
  const count = input.visits ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > MAX_VISITS) {
    throw new WorkError("invalid", `visits: must be a whole number from 1 to ${MAX_VISITS}`);
  }
  const assigned = input.assignedUserIds ?? [];
  for (const userId of assigned) {
    if (store.users.get(userId)?.accountId !== accountId) {
      throw new WorkError("invalid", `assignedUserIds: no user ${userId} in this account`);
    }
  }
  const property = propertyFor(store, client, input);
  const now = store.now();
  const jobs = store.listJobs(accountId);
  const job: JobRecord = {
    id: store.ids.next("job"),
    accountId,
    clientId: client.id,
    propertyId: property.id,
    jobNumber: jobs.reduce((max, j) => Math.max(max, j.jobNumber), 0) + 1,
    title: input.title,
    jobType: input.jobType ?? (count > 1 ? "RECURRING" : "ONE_OFF"),
    closedStatus: null,
    createdAt: now,
    updatedAt: now,
    completedAt: null,
    visitIds: [],
    total: input.total ?? 0,
  };
  const firstStart = input.startAt ?? now + DAY;
  const interval = (input.intervalDays ?? 7) * DAY;
  const visits = Array.from({ length: count }, (_, i): VisitRecord => ({
    id: store.ids.next("visit"),
    jobId: job.id,
    title: input.title,
    startAt: firstStart + i * interval,
    endAt: firstStart + i * interval + VISIT_LENGTH,
    createdAt: now,
    completedAt: null,
    assignedUserIds: [...new Set(assigned)],
  }));
  job.visitIds = visits.map((v) => v.id);
  store.addJob(job, visits);
  if (!opts.silent) store.emit("JOB_CREATE", accountId, "Job", job.id, job.updatedAt);
  return job;
}

function jobOf(store: Store, jobId: number): JobRecord {
  const job = store.jobs.get(jobId);
  if (!job) throw new WorkError("invalid", `No job ${jobId}`);
  return job;
}

function touch(store: Store, job: JobRecord): number {
  job.updatedAt = nextUpdatedAt(job.updatedAt, store.now());
  return job.updatedAt;
}

function finishVisits(store: Store, job: JobRecord, visits: VisitRecord[], opts: ActionOptions): JobRecord {
  const at = opts.at ?? store.now();
  for (const v of visits) v.completedAt = at;
  const updatedAt = touch(store, job);
  if (!opts.silent) {
    for (const v of visits) store.emit("VISIT_COMPLETE", job.accountId, "Visit", v.id, updatedAt);
    store.emit("JOB_UPDATE", job.accountId, "Job", job.id, updatedAt);
  }
  return job;
}

/** Completes one visit: VISIT_COMPLETE for it, then JOB_UPDATE for its job. */
export function completeVisit(store: Store, visitId: number, opts: ActionOptions = {}): JobRecord {
  const visit = store.visits.get(visitId);
  if (!visit) throw new WorkError("invalid", `No visit ${visitId}`);
  if (visit.completedAt !== null) throw new WorkError("conflict", "This visit is already complete");
  return finishVisits(store, jobOf(store, visit.jobId), [visit], opts);
}

/** Completes every visit still open, one VISIT_COMPLETE each, then one JOB_UPDATE. */
export function completeJob(store: Store, jobId: number, opts: ActionOptions = {}): JobRecord {
  const job = jobOf(store, jobId);
  const open = visitsOf(store, job).filter((v) => v.completedAt === null);
  if (open.length === 0) throw new WorkError("conflict", `Job #${job.jobNumber} has no incomplete visits`);
  return finishVisits(store, job, open, opts);
}

/** Closes the job: JOB_CLOSED, then JOB_UPDATE. Its visits stay as they are. */
export function closeJob(
  store: Store,
  jobId: number,
  status: ClosedStatus = "requires_invoicing",
  opts: ActionOptions = {},
): JobRecord {
  const job = jobOf(store, jobId);
  if (job.closedStatus) throw new WorkError("conflict", `Job #${job.jobNumber} is already closed`);
  job.closedStatus = status;
  job.completedAt = opts.at ?? store.now();
  const updatedAt = touch(store, job);
  if (!opts.silent) {
    store.emit("JOB_CLOSED", job.accountId, "Job", job.id, updatedAt);
    store.emit("JOB_UPDATE", job.accountId, "Job", job.id, updatedAt);
  }
  return job;
}

/** Reopens a closed job: completedAt cleared, status back to open; visits keep their completion. */
export function reopenJob(store: Store, jobId: number): JobRecord {
  const job = jobOf(store, jobId);
  if (!job.closedStatus) throw new WorkError("conflict", `Job #${job.jobNumber} is not closed`);
  job.closedStatus = null;
  job.completedAt = null;
  const updatedAt = touch(store, job);
  store.emit("JOB_UPDATE", job.accountId, "Job", job.id, updatedAt);
  return job;
}

/** Deletes the job and its visits (JOB_DESTROY); `job(id:)` and `visit(id:)` then answer null. */
export function deleteJob(store: Store, jobId: number): void {
  store.removeJob(jobOf(store, jobId));
}
