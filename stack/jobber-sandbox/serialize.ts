import { encodeId, isoSeconds } from "./ids.ts";
import type { ClientRecord, JobRecord } from "./model.ts";
import { clientName, type Store } from "./store.ts";

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
    properties: c.properties.map((p) => ({ id: encodeId("Property", p.id), address: p.address })),
  };
}

export function jobJson(store: Store, j: JobRecord) {
  return {
    id: encodeId("Job", j.id),
    accountId: encodeId("Account", j.accountId),
    clientId: encodeId("Client", j.clientId),
    jobNumber: j.jobNumber,
    title: j.title,
    jobStatus: j.jobStatus,
    createdAt: isoSeconds(j.createdAt),
    updatedAt: isoSeconds(j.updatedAt),
    completedAt: j.completedAt === null ? null : isoSeconds(j.completedAt),
    visits: j.visitIds.map((id) => {
      const v = store.visits.get(id);
      return {
        id: encodeId("Visit", id),
        isComplete: v?.completedAt != null,
        completedAt: v?.completedAt != null ? isoSeconds(v.completedAt) : null,
      };
    }),
  };
}
