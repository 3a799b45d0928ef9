// The webhook benchmark's sender, run as its own process so it never shares an event loop with
// what it measures: `concurrency` senders POST signed deliveries (each a distinct event, signed
// beforehand exactly as Jobber signs) to `url` for `seconds`, and the process prints one JSON line
// with what came back. Usage: deno run -A bench_webhook_load.ts <url> <seconds> <concurrency>
// <client secret> <account id> <item id prefix>
const [url, secondsArg, concurrencyArg, secret, accountId, prefix] = Deno.args;
if (!url || !secondsArg || !concurrencyArg || !secret || !accountId || !prefix) {
  console.error("usage: bench_webhook_load.ts <url> <seconds> <concurrency> <secret> <accountId> <itemPrefix>");
  Deno.exit(2);
}
const seconds = Number(secondsArg);
const concurrency = Number(concurrencyArg);
// More than any run can send (at 10,000/s for the whole window), signed before the clock starts.
const capacity = Math.ceil(seconds * 10_000);
const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
const occurredAt = new Date().toISOString().replace(/\.\d+Z$/, "Z");
const bodies: string[] = new Array(capacity);
const signatures: string[] = new Array(capacity);
for (let i = 0; i < capacity; i++) {
  const body = JSON.stringify({
    data: { webHookEvent: { topic: "JOB_UPDATE", appId: "bench-app", accountId, itemId: `${prefix}${i}`, occurredAt } },
  });
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  bodies[i] = body;
  signatures[i] = btoa(String.fromCharCode(...mac));
}

const latencies: number[] = [];
const statuses: Record<string, number> = {};
let duplicates = 0;
let next = 0;
const started = performance.now();
const end = started + seconds * 1000;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (performance.now() < end && next < capacity) {
    const i = next++;
    const sent = performance.now();
    let status = "error";
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-jobber-hmac-sha256": signatures[i]! },
        body: bodies[i]!,
      });
      const answer = await res.json().catch(() => null) as { duplicate?: boolean } | null;
      status = String(res.status);
      if (res.status === 200 && answer?.duplicate === true) duplicates++;
    } catch {
      // counted as "error"
    }
    latencies.push(performance.now() - sent);
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
}));
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
console.log(JSON.stringify({
  sent: latencies.length,
  acknowledged: statuses["200"] ?? 0,
  statuses,
  duplicates,
  seconds: elapsed,
  perSecond: (statuses["200"] ?? 0) / elapsed,
  p50: at(0.5),
  p99: at(0.99),
}));
