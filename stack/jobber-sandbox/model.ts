// In-memory record shapes. Timestamps are epoch milliseconds; ids are the numeric part of a gid.
import type { Coordinates, GeoStatus } from "./geo.ts";

export interface AddressRecord {
  street1: string;
  street2: string;
  city: string;
  province: string;
  postalCode: string;
  country: string;
}

export interface EmailRecord {
  id: number;
  address: string;
  primary: boolean;
  description: string;
}

export interface PhoneRecord {
  id: number;
  number: string;
  primary: boolean;
  smsAllowed: boolean;
  description: string;
}

export interface PropertyRecord {
  id: number;
  clientId: number;
  address: AddressRecord;
  /** What Jobber's geocoder found for the address (null: nothing). */
  coordinates: Coordinates | null;
  geoStatus: GeoStatus;
}

export interface ClientRecord {
  id: number;
  accountId: number;
  firstName: string;
  lastName: string;
  companyName: string | null;
  isCompany: boolean;
  isLead: boolean;
  isArchived: boolean;
  title: string | null;
  createdAt: number;
  updatedAt: number;
  emails: EmailRecord[];
  phones: PhoneRecord[];
  billingAddress: AddressRecord | null;
  properties: PropertyRecord[];
  balance: number;
}

/** Jobber's JobStatusTypeEnum (lowercase, as Jobber spells it). */
export type JobStatus =
  | "requires_invoicing"
  | "archived"
  | "late"
  | "today"
  | "upcoming"
  | "action_required"
  | "on_hold"
  | "unscheduled"
  | "active";

/** The two statuses of a closed job; an open job's status follows from its visits. */
export type ClosedStatus = "requires_invoicing" | "archived";

export type JobType = "ONE_OFF" | "RECURRING";

export interface VisitRecord {
  id: number;
  jobId: number;
  title: string;
  startAt: number;
  endAt: number;
  createdAt: number;
  completedAt: number | null;
  /** Team members (UserRecord ids) assigned to the visit. */
  assignedUserIds: number[];
}

export interface JobRecord {
  id: number;
  accountId: number;
  clientId: number;
  propertyId: number;
  jobNumber: number;
  title: string;
  jobType: JobType;
  /** Set while the job is closed; null while it is open. */
  closedStatus: ClosedStatus | null;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
  /** In visit order (by start time). */
  visitIds: number[];
  total: number;
}

/** A team member of an account: the owner, who connects apps, and the technicians. */
export interface UserRecord {
  id: number;
  accountId: number;
  firstName: string;
  lastName: string;
  email: string;
  isOwner: boolean;
  isAdmin: boolean;
  createdAt: number;
}

export interface AccountRecord {
  id: number;
  name: string;
  ownerUserId: number;
  createdAt: number;
}
