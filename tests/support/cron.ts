// pg_cron in tests. The test stack runs with every job off (stack/test_runner.ts), so no job fires
// into tests that do not test it; a test of the scheduling turns on the jobs it tests, and off again.
import type postgres from 'postgres';

type Sql = postgres.Sql;

export async function setCronJob(sql: Sql, jobname: string, active: boolean): Promise<void> {
  const [job] = await sql<{ jobid: string }[]>`select jobid from cron.job where jobname = ${jobname}`;
  if (!job) throw new Error(`There is no pg_cron job named ${jobname}`);
  await sql`select cron.alter_job(${job.jobid}::bigint, active := ${active})`;
}

/** Runs `fn` with the pg_cron job `jobname` on, and turns it off afterwards whatever happens. */
export async function withCronJob<T>(sql: Sql, jobname: string, fn: () => Promise<T>): Promise<T> {
  await setCronJob(sql, jobname, true);
  try {
    return await fn();
  } finally {
    await setCronJob(sql, jobname, false);
  }
}
