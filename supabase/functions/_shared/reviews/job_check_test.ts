import assert from "node:assert/strict";
import { buildClientSchema, type IntrospectionQuery, parse, validate } from "graphql";
import { jobVerdict, REVIEW_JOB_CHECK_QUERY, REVIEW_VISIT_CHECK_QUERY } from "./job_check.ts";

const schemaPath = Deno.env.get("JOBBER_REFERENCE_SCHEMA") ??
  new URL("../../../../../shared/reference/jobber-schema-2022.introspection.json", import.meta.url).pathname;
const available = (() => {
  try {
    return Deno.statSync(schemaPath).isFile;
  } catch {
    return false;
  }
})();
const inCi = Deno.env.get("CI") === "true";

Deno.test({
  name: "the send-time job checks are valid against Jobber's reference schema",
  ignore: !available && !inCi,
  fn() {
    assert.ok(available, `The Jobber reference schema is required in CI but ${schemaPath} is missing`);
    const introspection = JSON.parse(Deno.readTextFileSync(schemaPath)) as { data?: IntrospectionQuery } & IntrospectionQuery;
    const schema = buildClientSchema(introspection.data ?? introspection);
    for (const document of [REVIEW_JOB_CHECK_QUERY, REVIEW_VISIT_CHECK_QUERY]) {
      assert.deepEqual(validate(schema, parse(document)).map((e) => e.message), []);
    }
  },
});

const closed = (jobStatus: string, completedAt: string | null) => ({ id: "Z2lkOi8vSm9iLzE=", jobStatus, completedAt });

Deno.test("a closed job is done while Jobber reports it completed in a closed status", () => {
  assert.equal(jobVerdict({ kind: "job_closed", data: { job: closed("requires_invoicing", "2025-10-12T03:00:00Z") } }), "done");
  assert.equal(jobVerdict({ kind: "job_closed", data: { job: closed("archived", "2025-10-12T03:00:00Z") } }), "done");
});

Deno.test("a closed job that lost its completion time or went back to an open status was reopened", () => {
  assert.equal(jobVerdict({ kind: "job_closed", data: { job: closed("action_required", null) } }), "job_reopened");
  assert.equal(jobVerdict({ kind: "job_closed", data: { job: closed("upcoming", "2025-10-12T03:00:00Z") } }), "job_reopened");
});

Deno.test("a job Jobber answers null for was deleted", () => {
  assert.equal(jobVerdict({ kind: "job_closed", data: { job: null } }), "job_deleted");
  assert.equal(jobVerdict({ kind: "visit_completed", data: { job: null, visit: null } }), "job_deleted");
});

Deno.test("a visit completion follows the visit: still complete is done, even while its job carries on", () => {
  const job = closed("upcoming", null);
  const visit = { id: "Z2lkOi8vVmlzaXQvMQ==", isComplete: true, completedAt: "2025-10-12T03:00:00Z" };
  assert.equal(jobVerdict({ kind: "visit_completed", data: { job, visit } }), "done");
  assert.equal(
    jobVerdict({ kind: "visit_completed", data: { job, visit: { ...visit, isComplete: false, completedAt: null } } }),
    "job_reopened",
  );
  assert.equal(jobVerdict({ kind: "visit_completed", data: { job, visit: null } }), "job_deleted");
});
