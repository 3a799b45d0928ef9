// Jobber job / visit -> rows for private.jobber_apply_work (SPEC §9 "Data"). Pure: no I/O, no
// clock. The job's client goes through the customer sync's own mapping (sync/page.ts), so a
// customer made from a job is exactly the customer the sync would have made.
import tzLookup from "@photostructure/tz-lookup";
import { type ClientError, type CustomerRow, mapClientsPage } from "../sync/page.ts";
import { cleanText, formatAddress, truncateText } from "./mapping.ts";
import type { JobberJobNode, JobberPropertyAddress, JobberVisitNode } from "./queries.ts";

export const MAX_TEXT = 1000;
const MAX_ASSIGNEES = 10;
const MAX_NAME = 200;
// numeric(14, 2): anything at or beyond 10^12 does not fit.
const MAX_TOTAL = 1e12;

export interface JobRow {
  external_id: string;
  /** The job's client in Jobber, linking the job to its customer (null when Jobber gave none). */
  client_external_id: string | null;
  job_number: number | null;
  title: string | null;
  /** Jobber's JobStatusTypeEnum, lowercase as Jobber spells it. */
  job_status: string | null;
  /** Jobber's JobTypeTypeEnum, lower-cased (one_off, recurring). */
  job_type: string | null;
  total: number | null;
  /** Set while the job is closed: what records a `job_closed` completion. */
  completed_at: string | null;
  property_address: string | null;
  /** IANA zone of the property, from its coordinates; null when they are unknown. */
  property_time_zone: string | null;
  remote_updated_at: string;
}

export interface VisitRow {
  external_id: string;
  job_external_id: string;
  title: string | null;
  start_at: string | null;
  end_at: string | null;
  completed_at: string | null;
  is_last_scheduled_visit: boolean;
  /** The assignees' display names. */
  assigned_to: string[];
  /** Jobber's Visit has no updatedAt: its job's, when fetched (SPEC §9). */
  remote_updated_at: string;
}

/** What private.jobber_apply_work takes per job: its client, the job, the visits to apply. */
export interface WorkItem {
  client: CustomerRow | null;
  job: JobRow;
  visits: VisitRow[];
}

const iso = (value: string | null | undefined): string | null => value ? new Date(value).toISOString() : null;

/** A Jobber enum value in the lowercase form the jobs table keeps; null if it has no such form. */
export function enumValue(value: string | null | undefined): string | null {
  const v = value?.trim().toLowerCase().replace(/[^a-z0-9_]+/g, "_") ?? "";
  return /^[a-z][a-z0-9_]{0,49}$/.test(v) ? v : null;
}

function text(value: string | null | undefined, max: number): string | null {
  const cleaned = cleanText(value);
  return cleaned === null ? null : truncateText(cleaned, max);
}

/**
 * The IANA time zone at a property's coordinates, through @photostructure/tz-lookup; null when
 * Jobber has no coordinates for it (not geocoded), or gives (0, 0) - where a failed geocode
 * lands, never a customer's house.
 */
export function timeZoneAt(address: JobberPropertyAddress | null | undefined): string | null {
  const c = address?.coordinates;
  if (!c || !Number.isFinite(c.latitude) || !Number.isFinite(c.longitude)) return null;
  if (c.latitude === 0 && c.longitude === 0) return null;
  if (Math.abs(c.latitude) > 90 || Math.abs(c.longitude) > 180) return null;
  try {
    return tzLookup(c.latitude, c.longitude);
  } catch {
    return null;
  }
}

function total(value: number | null | undefined): number | null {
  if (value === null || value === undefined || !Number.isFinite(value) || Math.abs(value) >= MAX_TOTAL) return null;
  return Math.round(value * 100) / 100;
}

export interface MappedJob {
  item: WorkItem;
  /** The job's client could not be read; the job is applied without (re)writing its customer. */
  clientError: ClientError | null;
}

/** A job (with its client and property) as rows; `country` normalises the client's phone. */
export function mapJob(node: JobberJobNode, country: string): MappedJob {
  const clientId = typeof (node.client as { id?: unknown } | null)?.id === "string"
    ? (node.client as { id: string }).id
    : null;
  let client: CustomerRow | null = null;
  let clientError: ClientError | null = null;
  if (node.client !== null && node.client !== undefined) {
    const mapped = mapClientsPage([node.client], country);
    client = mapped.rows[0] ?? null;
    clientError = mapped.errors[0] ?? null;
  }
  const address = node.property?.address ?? null;
  const job: JobRow = {
    external_id: node.id,
    client_external_id: clientId,
    job_number: node.jobNumber ?? null,
    title: text(node.title, MAX_TEXT),
    job_status: enumValue(node.jobStatus),
    job_type: enumValue(node.jobType),
    total: total(node.total),
    completed_at: iso(node.completedAt),
    property_address: (() => {
      const line = formatAddress(address);
      return line === null ? null : truncateText(line, MAX_TEXT);
    })(),
    property_time_zone: timeZoneAt(address),
    remote_updated_at: new Date(node.updatedAt).toISOString(),
  };
  return { item: { client, job, visits: [] }, clientError };
}

/** A visit of `job` as a row. */
export function mapVisit(node: JobberVisitNode, job: JobRow): VisitRow {
  const names = (node.assignedUsers?.nodes ?? [])
    .map((u) => text(u.name?.full, MAX_NAME))
    .filter((n): n is string => n !== null);
  return {
    external_id: node.id,
    job_external_id: job.external_id,
    title: text(node.title, MAX_TEXT),
    start_at: iso(node.startAt),
    end_at: iso(node.endAt),
    completed_at: iso(node.completedAt),
    is_last_scheduled_visit: node.isLastScheduledVisit === true,
    assigned_to: [...new Set(names)].slice(0, MAX_ASSIGNEES),
    remote_updated_at: job.remote_updated_at,
  };
}
