import { encodeId, isoSeconds } from "./ids.ts";
import type { ClientRecord, JobRecord, PropertyRecord, UserRecord, VisitRecord } from "./model.ts";
import { clientName, type Store } from "./store.ts";
import { isLastScheduledVisit, jobStatus, visitsOf, visitStatus } from "./work.ts";

// JSON views for the control API and the page: ids as Jobber would show them (EncodedId).

export function clientJson(c: ClientRecord) {
  return {
    id: encodeId("Client", c.id),
    accountId: encodeId("Account", c.accountId),
    name: clientName(c),
    firstName: c.firstName,
    lastName: c.lastName,
    companyName: c.companyName,
    isCompany: c.isCompany,
    isLead: c.isLead,
    isArchived: c.isArchived,
    title: c.title,
    createdAt: isoSeconds(c.createdAt),
    updatedAt: isoSeconds(c.updatedAt),
    emails: c.emails.map((e) => ({
      id: encodeId("Email", e.id),
      address: e.address,
      primary: e.primary,
      description: e.description,
    })),
    phones: c.phones.map((p) => ({
      id: encodeId("ClientPhoneNumber", p.id),
      number: p.number,
      primary: p.primary,
      smsAllowed: p.smsAllowed,
      description: p.description,
    })),
    billingAddress: c.billingAddress,
    properties: c.properties.map(propertyJson),
  };
}

export function userJson(u: UserRecord) {
  return {
    id: encodeId("User", u.id),
    accountId: encodeId("Account", u.accountId),
    name: `${u.firstName} ${u.lastName}`.trim(),
    firstName: u.firstName,
    lastName: u.lastName,
    email: u.email,
    isAccountOwner: u.isOwner,
    isAccountAdmin: u.isAdmin,
  };
}

export function propertyJson(p: PropertyRecord) {
  return {
    id: encodeId("Property", p.id),
    address: p.address,
    coordinates: p.coordinates,
    geoStatus: p.geoStatus,
  };
}

const iso = (ms: number | null) => (ms === null ? null : isoSeconds(ms));

export function visitJson(store: Store, v: VisitRecord) {
  return {
    id: encodeId("Visit", v.id),
    jobId: encodeId("Job", v.jobId),
    title: v.title,
    startAt: isoSeconds(v.startAt),
    endAt: isoSeconds(v.endAt),
    isComplete: v.completedAt !== null,
    completedAt: iso(v.completedAt),
    visitStatus: visitStatus(v, store.now()),
    isLastScheduledVisit: isLastScheduledVisit(store, v),
    assignedUsers: v.assignedUserIds.map((id) => {
      const u = store.users.get(id);
      return { id: encodeId("User", id), name: u ? `${u.firstName} ${u.lastName}`.trim() : "" };
    }),
  };
}

export function jobJson(store: Store, j: JobRecord) {
  const property = store.properties.get(j.propertyId);
  return {
    id: encodeId("Job", j.id),
    accountId: encodeId("Account", j.accountId),
    clientId: encodeId("Client", j.clientId),
    jobNumber: j.jobNumber,
    title: j.title,
    jobStatus: jobStatus(store, j),
    jobType: j.jobType,
    total: j.total,
    createdAt: isoSeconds(j.createdAt),
    updatedAt: isoSeconds(j.updatedAt),
    completedAt: iso(j.completedAt),
    property: property ? propertyJson(property) : null,
    visits: visitsOf(store, j).map((v) => visitJson(store, v)),
  };
}
