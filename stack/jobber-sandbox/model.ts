// In-memory record shapes. Timestamps are epoch milliseconds; ids are the numeric part of a gid.

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

export interface VisitRecord {
  id: number;
  jobId: number;
  title: string;
  startAt: number;
  endAt: number;
  createdAt: number;
  completedAt: number | null;
}

export interface JobRecord {
  id: number;
  accountId: number;
  clientId: number;
  propertyId: number;
  jobNumber: number;
  title: string;
  jobStatus: JobStatus;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
  visitIds: number[];
  total: number;
}

export interface AccountRecord {
  id: number;
  name: string;
  ownerUserId: number;
  ownerName: { first: string; last: string };
  ownerEmail: string;
  createdAt: number;
}
