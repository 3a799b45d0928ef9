// Is the job still done in Jobber? Asked once per review request at send time (SPEC §10): a job
// reopened or deleted since it was decided must not be asked about. One GraphQL request: the job,
// and for a visit completion that visit too. Jobber's answer is the truth; our `jobs` row may lag
// behind a webhook that has not arrived yet.
import { z } from "zod";

export const REVIEW_JOB_CHECK_QUERY = `
query ReviewJobCheck($jobId: EncodedId!) {
  job(id: $jobId) { id jobStatus completedAt }
}`;

export const REVIEW_VISIT_CHECK_QUERY = `
query ReviewVisitCheck($jobId: EncodedId!, $visitId: EncodedId!) {
  job(id: $jobId) { id jobStatus completedAt }
  visit(id: $visitId) { id isComplete completedAt }
}`;

const jobSchema = z.object({ id: z.string(), jobStatus: z.string(), completedAt: z.string().nullish() }).nullable();
const visitSchema = z.object({ id: z.string(), isComplete: z.boolean(), completedAt: z.string().nullish() }).nullable();

export const jobCheckResultSchema = z.object({ job: jobSchema });
export const visitCheckResultSchema = z.object({ job: jobSchema, visit: visitSchema });

/** Jobber's JobStatusTypeEnum values of a job that is not finished (lowercase, as Jobber sends them). */
const OPEN_STATUSES = new Set([
  "late",
  "today",
  "upcoming",
  "action_required",
  "on_hold",
  "unscheduled",
  "active",
  "expiring_within_30_days",
]);

export type JobVerdict = "done" | "job_reopened" | "job_deleted";

export type JobCheckData =
  | { kind: "job_closed"; data: z.output<typeof jobCheckResultSchema> }
  | { kind: "visit_completed"; data: z.output<typeof visitCheckResultSchema> };

/**
 * A closed job is still done while Jobber reports it completed and not back in an open status;
 * a visit completion while that visit is still complete (its job may carry on: recurring work).
 * A job or visit Jobber no longer has (null) was deleted.
 */
export function jobVerdict(check: JobCheckData): JobVerdict {
  const job = check.data.job;
  if (job === null) return "job_deleted";
  if (check.kind === "job_closed") {
    return job.completedAt && !OPEN_STATUSES.has(job.jobStatus.toLowerCase()) ? "done" : "job_reopened";
  }
  const visit = check.data.visit;
  if (visit === null) return "job_deleted";
  return visit.isComplete && visit.completedAt ? "done" : "job_reopened";
}
