import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../support/stack';

// The pg_net stand-in must behave like pg_net: requests leave only after the queuing transaction
// commits, a rolled-back request never leaves, and every outcome lands in net._http_response.
const sql = adminSql();
let server: Server;
let base = '';
const received: { path: string; body: string; auth: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      received.push({ path: req.url ?? '', body, auth: req.headers.authorization });
      if (req.url?.startsWith('/slow')) {
        setTimeout(() => { res.writeHead(200); res.end('late'); }, 2_000);
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await sql.end();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function requestId(query: Promise<{ id: string }[]>): Promise<number> {
  const [row] = await query;
  return Number(row!.id);
}

async function response(id: number) {
  for (let i = 0; i < 100; i++) {
    const [row] = await sql`select status_code, content, timed_out, error_msg from net._http_response where id = ${id}`;
    if (row) return row;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no response recorded for request ${id}`);
}

describe('the pg_net stand-in', () => {
  it('posts JSON after commit and records the response', async () => {
    const row = await response(await requestId(sql<{ id: string }[]>`select net.http_post(${`${base}/hook`}, '{"task":"x"}'::jsonb,
      headers := '{"Content-Type":"application/json","Authorization":"Bearer k"}'::jsonb) as id`));
    expect(row).toMatchObject({ status_code: 201, content: '{"ok":true}', timed_out: false, error_msg: null });
    expect(received.find((r) => r.path === '/hook')).toEqual({ path: '/hook', body: '{"task": "x"}', auth: 'Bearer k' });
  });

  it('sends nothing for a transaction that rolled back', async () => {
    await sql.begin(async (tx) => {
      await tx`select net.http_post(${`${base}/rolled-back`})`;
      throw new Error('roll back');
    }).catch(() => {});
    await response(await requestId(sql<{ id: string }[]>`select net.http_get(${`${base}/after`}) as id`));
    expect(received.some((r) => r.path === '/rolled-back')).toBe(false);
  });

  it('records a timeout as pg_net does', async () => {
    const row = await response(
      await requestId(sql<{ id: string }[]>`select net.http_get(${`${base}/slow`}, timeout_milliseconds := 300) as id`),
    );
    expect(row.timed_out).toBe(true);
    expect(row.status_code).toBeNull();
    expect(row.error_msg).toMatch(/Timeout of 300 ms reached/);
  });

  it('records a refused connection as an error', async () => {
    const row = await response(await requestId(sql<{ id: string }[]>`select net.http_get('http://127.0.0.1:9/nothing-here') as id`));
    expect(row).toMatchObject({ status_code: null, timed_out: false });
    expect(row.error_msg).toMatch(/Couldn't connect to server/);
  });

  it('refuses a non-JSON content type, like pg_net', async () => {
    await expect(sql`select net.http_post(${`${base}/x`}, headers := '{"Content-Type":"text/plain"}'::jsonb)`)
      .rejects.toThrow('Content-Type header must be "application/json"');
  });

  it('runs the scheduled jobs as pg_cron jobs that call the worker through Vault-held settings', async () => {
    const jobs = await sql`select jobname, schedule, command from cron.job order by jobname`;
    expect(jobs.map((j) => [j.jobname, j.schedule])).toEqual([
      ['jobber-continue-syncs', '* * * * *'],
      ['jobber-process-webhooks', '* * * * *'],
      ['jobber-reconcile', '*/5 * * * *'],
      ['jobber-refresh-tokens', '* * * * *'],
      ['jobber-send-review-messages', '* * * * *'],
    ]);
    for (const job of jobs) expect(job.command).not.toMatch(/eyJ|Bearer/);
  });
});
