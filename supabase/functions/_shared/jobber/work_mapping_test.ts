// Jobber job / visit -> rows (SPEC §9 "Data"): Jobber's lowercase status, the type lower-cased,
// the property's time zone from its coordinates (null when Jobber has none), the client mapped as
// the sync maps it, a visit's assignees and its job's updatedAt.
import assert from "node:assert/strict";
import { enumValue, mapJob, mapVisit, timeZoneAt } from "./work_mapping.ts";
import { jobNodeSchema, visitWithJobSchema } from "./queries.ts";

// A job as Jobber's JOB_QUERY answers it (fields we do not read included, as Jobber sends them).
const JOB = {
  id: "Z2lkOi8vSm9iYmVyL0pvYi8z",
  jobNumber: 3,
  title: "  Window   washing ",
  jobStatus: "requires_invoicing",
  jobType: "ONE_OFF",
  total: 180.499,
  completedAt: "2025-10-12T10:15:00-04:00",
  updatedAt: "2025-10-12T10:15:01-04:00",
  jobberWebUri: "https://secure.getjobber.com/work_orders/3",
  client: {
    id: "Z2lkOi8vSm9iYmVyL0NsaWVudC8x",
    name: "Ann Lee",
    firstName: "Ann",
    lastName: "Lee",
    companyName: null,
    isCompany: false,
    isLead: false,
    isArchived: false,
    updatedAt: "2025-10-01T12:00:00Z",
    emails: [{ address: " Ann@Example.com ", primary: true }],
    phones: [{ number: "(416) 555-0123", primary: true }],
    billingAddress: null,
    clientProperties: { nodes: [] },
  },
  property: {
    address: {
      street1: "100 Queen St W",
      street2: null,
      city: "Toronto",
      province: "ON",
      postalCode: "M5H 2N2",
      country: "Canada",
      coordinates: { latitude: 43.6532, longitude: -79.3832 },
    },
  },
};

const job = () => jobNodeSchema.parse(structuredClone(JOB));

Deno.test("maps a closed job: status, type, total, completion, property and its time zone", () => {
  const { item, clientError } = mapJob(job(), "CA");
  assert.equal(clientError, null);
  assert.deepEqual(item.job, {
    external_id: "Z2lkOi8vSm9iYmVyL0pvYi8z",
    client_external_id: "Z2lkOi8vSm9iYmVyL0NsaWVudC8x",
    job_number: 3,
    title: "Window washing",
    job_status: "requires_invoicing",
    job_type: "one_off",
    total: 180.5,
    completed_at: "2025-10-12T14:15:00.000Z",
    property_address: "100 Queen St W, Toronto, ON M5H 2N2, Canada",
    property_time_zone: "America/Toronto",
    remote_updated_at: "2025-10-12T14:15:01.000Z",
  });
  assert.deepEqual(item.visits, []);
});

Deno.test("maps the job's client exactly as the customer sync does", () => {
  const { item } = mapJob(job(), "CA");
  assert.deepEqual(item.client, {
    external_id: "Z2lkOi8vSm9iYmVyL0NsaWVudC8x",
    full_name: "Ann Lee",
    email: "ann@example.com",
    phone: "+14165550123",
    address: null,
    status: "active",
    email_usable: true,
    phone_usable: true,
    remote_updated_at: "2025-10-01T12:00:00.000Z",
  });
});

Deno.test("a client Jobber sends that cannot be read is an error, and the job still maps with its client's id", () => {
  const node = job();
  node.client = { id: "Z2lkOi8vSm9iYmVyL0NsaWVudC85", updatedAt: "not a date" };
  const { item, clientError } = mapJob(node, "US");
  assert.equal(item.client, null);
  assert.equal(item.job.client_external_id, "Z2lkOi8vSm9iYmVyL0NsaWVudC85");
  assert.equal(clientError?.external_id, "Z2lkOi8vSm9iYmVyL0NsaWVudC85");
  assert.match(clientError!.message, /updatedAt/);
});

Deno.test("an open job has no completion time", () => {
  const node = job();
  node.completedAt = null;
  node.jobStatus = "today";
  assert.equal(mapJob(node, "US").item.job.completed_at, null);
  assert.equal(mapJob(node, "US").item.job.job_status, "today");
});

Deno.test("the time zone is null when Jobber has no coordinates for the property, or gives (0, 0)", () => {
  assert.equal(timeZoneAt({ street1: "RR 2", coordinates: null }), null);
  assert.equal(timeZoneAt(undefined), null);
  assert.equal(timeZoneAt({ coordinates: { latitude: 0, longitude: 0 } }), null);
  assert.equal(timeZoneAt({ coordinates: { latitude: 95, longitude: 0 } }), null);
  const node = job();
  node.property = { address: { ...JOB.property.address, coordinates: null } };
  assert.equal(mapJob(node, "CA").item.job.property_time_zone, null);
});

Deno.test("the time zone follows the coordinates across the continent", () => {
  const at = (latitude: number, longitude: number) => timeZoneAt({ coordinates: { latitude, longitude } });
  assert.equal(at(40.7128, -74.006), "America/New_York");
  assert.equal(at(41.8781, -87.6298), "America/Chicago");
  assert.equal(at(33.4484, -112.074), "America/Phoenix");
  assert.equal(at(49.2827, -123.1207), "America/Vancouver");
  assert.equal(at(21.3069, -157.8583), "Pacific/Honolulu");
});

Deno.test("enum values are kept lowercase as Jobber spells them; nonsense is dropped", () => {
  assert.equal(enumValue("requires_invoicing"), "requires_invoicing");
  assert.equal(enumValue("RECURRING"), "recurring");
  assert.equal(enumValue(" on hold "), "on_hold");
  assert.equal(enumValue(""), null);
  assert.equal(enumValue("42"), null);
  assert.equal(enumValue(null), null);
});

Deno.test("a total too large for the column is dropped rather than failing the job", () => {
  const node = job();
  node.total = 1e13;
  assert.equal(mapJob(node, "US").item.job.total, null);
});

Deno.test("maps a completed visit with its assignees, taking its job's updatedAt", () => {
  const node = visitWithJobSchema.parse({
    id: "Z2lkOi8vSm9iYmVyL1Zpc2l0LzQy",
    title: "Weekly clean",
    startAt: "2025-10-12T14:00:00Z",
    endAt: "2025-10-12T16:00:00Z",
    completedAt: "2025-10-12T15:58:00Z",
    isLastScheduledVisit: false,
    assignedUsers: { nodes: [{ name: { full: "Priya Natarajan" } }, { name: { full: " Marcus  O'Neil " } }, { name: { full: "Priya Natarajan" } }, { name: null }] },
    job: structuredClone(JOB),
  });
  const { item } = mapJob(node.job, "CA");
  assert.deepEqual(mapVisit(node, item.job), {
    external_id: "Z2lkOi8vSm9iYmVyL1Zpc2l0LzQy",
    job_external_id: "Z2lkOi8vSm9iYmVyL0pvYi8z",
    title: "Weekly clean",
    start_at: "2025-10-12T14:00:00.000Z",
    end_at: "2025-10-12T16:00:00.000Z",
    completed_at: "2025-10-12T15:58:00.000Z",
    is_last_scheduled_visit: false,
    assigned_to: ["Priya Natarajan", "Marcus O'Neil"],
    remote_updated_at: "2025-10-12T14:15:01.000Z",
  });
});
