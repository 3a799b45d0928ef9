// Benchmark (not a test): how fast the sandbox generates clients and serves a full client page.
// Run: deno run -A stack/jobber-sandbox/bench.ts
import { startSandbox } from "./server.ts";

const CLIENT_PAGE = `query Clients($first: Int!, $after: String) {
  clients(first: $first, after: $after) {
    nodes {
      id name firstName lastName companyName isCompany isLead isArchived title createdAt updatedAt
      emails { id address primary description }
      phones { id number primary smsAllowed description }
      billingAddress { street1 street2 city province postalCode country }
      clientProperties(first: 5) { nodes { id address { street1 street2 city province postalCode country } } }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export async function runSandboxBench(
  options: { pages?: number; clients?: number } = {},
): Promise<Record<string, number>> {
  const clients = options.clients ?? 50_000;
  const pages = options.pages ?? 200;
  const s = await startSandbox({ port: 0, quiet: true });
  try {
    const account = s.sandbox.store.createAccount("Bench Account");
    const accountId = btoa(`gid://Jobber/Account/${account.id}`);
    const t0 = performance.now();
    const gen = await fetch(`${s.url}/_sandbox/accounts/${accountId}/clients/generate`, {
      method: "POST",
      body: JSON.stringify({ count: clients, seed: 5 }),
    });
    await gen.body?.cancel();
    const generateMs = performance.now() - t0;

    // Connect without the browser step: the OAuth flow itself is covered by tests.
    const { auth } = s.sandbox;
    const code = auth.issueCode(account.id, s.sandbox.options.clientId, s.sandbox.options.redirectUris[0]!);
    auth.redeemCode(code, s.sandbox.options.clientId, s.sandbox.options.redirectUris[0]!);
    const { access_token } = await auth.issueTokens(account.id, account.ownerUserId);
    // A full page costs thousands of points; lift the bucket so the bench measures serving, not throttling.
    s.sandbox.faults.bucket = { max: 1e12, restoreRate: 1e12 };

    const times: number[] = [];
    let after: string | null = null;
    for (let i = 0; i < pages; i++) {
      const started = performance.now();
      const res: Response = await fetch(`${s.url}/api/graphql`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${access_token}`,
          "x-jobber-graphql-version": "2025-04-16",
        },
        body: JSON.stringify({ query: CLIENT_PAGE, variables: { first: 100, after } }),
      });
      const body = await res.json() as {
        data: { clients: { pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
      };
      times.push(performance.now() - started);
      const info = body.data.clients.pageInfo;
      after = info.hasNextPage ? info.endCursor : null;
    }
    times.sort((a, b) => a - b);
    return {
      generateClients: clients,
      generateMs: Math.round(generateMs),
      pageP50Ms: Math.round(percentile(times, 50) * 10) / 10,
      pageP95Ms: Math.round(percentile(times, 95) * 10) / 10,
      pages,
    };
  } finally {
    await s.close();
  }
}

/** Runs the sandbox benchmark and prints its numbers (used by `npm run bench` and by `deno run`). */
export async function reportSandboxBench(): Promise<void> {
  const r = await runSandboxBench();
  console.log(`sandbox: generate ${r.generateClients} clients: ${r.generateMs} ms (target < 5000 ms)`);
  console.log(
    `sandbox: clients page (100): p50 ${r.pageP50Ms} ms, p95 ${r.pageP95Ms} ms (target < 50 ms, ${r.pages} pages)`,
  );
}

if (import.meta.main) await reportSandboxBench();
