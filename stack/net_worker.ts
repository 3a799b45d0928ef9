// The worker half of the local pg_net stand-in: woken by NOTIFY pg_net_wake (sent when a
// transaction that queued a request commits), it performs queued requests with their timeout and
// records each outcome in net._http_response (status, headers, body, timed_out, error_msg) as
// pg_net does. Responses older than pg_net's default TTL (6 hours) are pruned.
import type postgres from "postgres";

type Sql = ReturnType<typeof postgres>;

interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Uint8Array | null;
  timeout_milliseconds: number;
}

const BATCH_SIZE = 200;

export interface NetWorker {
  stop(): Promise<void>;
  /** Drains the queue now; resolves when the requests taken have finished. */
  drain(): Promise<void>;
}

export async function startNetWorker(sql: Sql, log: (line: string) => void): Promise<NetWorker> {
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  async function perform(req: QueuedRequest) {
    const started = performance.now();
    let row: Record<string, unknown>;
    try {
      const response = await fetch(req.url, {
        method: req.method.toUpperCase(),
        headers: req.headers,
        body: req.body ? new Uint8Array(req.body) : null,
        signal: AbortSignal.timeout(req.timeout_milliseconds),
      });
      const content = await response.text();
      row = {
        id: req.id,
        status_code: response.status,
        content_type: response.headers.get("content-type"),
        headers: Object.fromEntries(response.headers.entries()),
        content,
        timed_out: false,
        error_msg: null,
      };
    } catch (error) {
      const timedOut = error instanceof DOMException && error.name === "TimeoutError";
      row = {
        id: req.id,
        status_code: null,
        content_type: null,
        headers: null,
        content: null,
        timed_out: timedOut,
        error_msg: timedOut
          ? `Timeout of ${req.timeout_milliseconds} ms reached`
          : `Couldn't connect to server: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    await sql`insert into net._http_response ${sql(row)}`;
    log(JSON.stringify({
      service: "net-worker",
      event: "request_done",
      id: req.id,
      method: req.method,
      url: new URL(req.url).pathname,
      status: row.status_code,
      timed_out: row.timed_out,
      ms: Math.round(performance.now() - started),
    }));
  }

  async function drainOnce() {
    do {
      again = false;
      const batch = await sql<QueuedRequest[]>`
        delete from net.http_request_queue
        where id in (select id from net.http_request_queue order by id limit ${BATCH_SIZE})
        returning id, method, url, headers, body, timeout_milliseconds`;
      await Promise.all(batch.map(perform));
      if (batch.length === BATCH_SIZE) again = true;
    } while (again && !stopped);
    await sql`delete from net._http_response where created < now() - interval '6 hours'`;
  }

  function wake(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = drainOnce().catch((error) => {
      log(JSON.stringify({ service: "net-worker", event: "drain_failed", error: String(error) }));
    }).finally(() => {
      running = null;
      if (again && !stopped) void wake();
    });
    return running;
  }

  const listener = await sql.listen("pg_net_wake", () => void wake());
  // Requests queued while the worker was down are picked up at start and on a slow safety tick.
  void wake();
  const tick = setInterval(() => void wake(), 5_000);

  return {
    async stop() {
      stopped = true;
      clearInterval(tick);
      await listener.unlisten();
      if (running) await running;
    },
    drain: wake,
  };
}
