// The review journey under chaos, at a size `npm test` can afford (stack/chaos.ts says what happens
// and what is checked; `npm run bench` runs the same with 10,000 completions): jobs closed in the
// Jobber sandbox reach the messaging sandbox's phones through the real webhooks, worker, decision
// trigger and sender, with duplicate deliveries, reopened jobs, STOPs, shared household phones,
// recipients outside the send window and the functions process killed twice.
import { afterAll, describe, expect, it } from 'vitest';
import { runChaos } from '../../stack/chaos.ts';
import { adminSql, stack } from '../support/stack';

const sql = adminSql();

afterAll(async () => {
  await sql.end();
});

async function control(path: string): Promise<void> {
  const res = await fetch(`${stack.controlUrl}${path}`, { method: 'POST' });
  if (!res.ok) throw new Error(`control ${path} answered ${res.status}`);
}

describe('review requests under chaos', () => {
  it('200 completions through webhooks: no text after STOP, for a reopened job, outside the window or twice; every completion decided once', async () => {
    const report = await runChaos({
      sql,
      app: {
        sandboxUrl: stack.sandboxUrl,
        clientId: process.env.JOBBER_CLIENT_ID!,
        clientSecret: process.env.JOBBER_CLIENT_SECRET!,
        redirectUri: `${stack.supabaseUrl}/functions/v1/jobber-callback`,
      },
      messagingSandboxUrl: stack.messagingSandboxUrl,
      completions: 200,
      killWorker: async () => {
        await control('/functions/kill');
        await control('/functions/restart');
      },
      log: (line) => console.log(line),
    });
    expect(report.violations).toEqual(Object.fromEntries(Object.keys(report.violations).map((k) => [k, 0])));
    // 200 jobs: 60 in the closed zone, 10 households (10 second jobs skipped), 10 reopened, 10 STOPs.
    expect(report.decisions).toEqual({ requested: 190, household_recently_asked: 10 });
    expect(report.texts).toEqual({ accepted: 110, sandbox: 110, insideZone: 110, outsideZone: 0 });
    expect(report.cancelled).toMatchObject({ job_reopened: 10, opted_out: 10 });
  }, 600_000);
});
