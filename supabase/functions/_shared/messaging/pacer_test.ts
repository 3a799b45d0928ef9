import assert from "node:assert/strict";
import { Pacer, PacerRegistry } from "./pacer.ts";
import { deliverAll } from "./dispatch.ts";
import { simulatedClock, simulatedProvider, smsBatch } from "./testing_provider.ts";

Deno.test("without a known limit the pacer lets sends through at once", async () => {
  const clock = simulatedClock();
  const pacer = new Pacer({ now: clock.nowMs, sleep: clock.sleep });
  const start = clock.nowMs();
  for (let i = 0; i < 50; i++) await pacer.acquire();
  assert.equal(clock.nowMs(), start);
  assert.equal(pacer.ratePerSecond, Infinity);
});

Deno.test("a known rate spaces sends evenly", async () => {
  const clock = simulatedClock();
  const pacer = new Pacer({ now: clock.nowMs, sleep: clock.sleep, initialRatePerSecond: 4 });
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    await pacer.acquire();
    times.push(clock.nowMs());
  }
  assert.deepEqual(times.map((t) => t - times[0]!), [0, 250, 500, 750, 1000]);
});

for (const [rate, burst] of [[10, 10], [10, 20], [5, 5], [50, 50]] as const) {
  Deno.test(`learns a ${rate}/s limit (burst ${burst}) from 429s: every message accepted once, near the lower bound`, async () => {
    const clock = simulatedClock();
    const provider = simulatedProvider(clock, { rate, burst });
    const pacers = new PacerRegistry({ now: clock.nowMs, sleep: clock.sleep });
    const n = rate * 20;
    const start = clock.nowMs();
    const results = await deliverAll(() => provider, smsBatch(n), {
      pacers,
      now: clock.now,
      sleep: clock.sleep,
      random: () => 0.5,
      budgetMs: 3600_000,
      concurrency: 1,
    });
    assert.ok(results.every((r) => r.kind === "accepted"));
    assert.equal(provider.accepted.size, n);
    assert.ok([...provider.accepted.values()].every((count) => count === 1), "a message was accepted twice");
    const lowerBound = ((n - burst) / rate) * 1000;
    const ratio = (clock.nowMs() - start) / lowerBound;
    assert.ok(ratio <= 1.1, `simulated wall time was ${ratio.toFixed(3)} x the lower bound`);
    // Learning the limit costs some 429s, but the pacer does not hammer the provider.
    assert.ok(provider.rejected429 < n / 2, `${provider.rejected429} 429s for ${n} messages`);
  });
}

Deno.test("after an idle spell a raised limit is found again by probing", async () => {
  const clock = simulatedClock();
  const slow = simulatedProvider(clock, { rate: 5, burst: 5 });
  const pacers = new PacerRegistry({ now: clock.nowMs, sleep: clock.sleep });
  const options = { pacers, now: clock.now, sleep: clock.sleep, random: () => 0.5, budgetMs: 3600_000, concurrency: 1 };
  await deliverAll(() => slow, smsBatch(100, "a"), options);
  const learned = pacers.for(slow.senderKey).ratePerSecond;
  assert.ok(learned > 4 && learned < 8, `learned ${learned}/s`);
  clock.advance(60_000);
  const fast = simulatedProvider(clock, { rate: 50, burst: 50 });
  await deliverAll(() => fast, smsBatch(1000, "b"), options);
  assert.ok(pacers.for(fast.senderKey).ratePerSecond > 30, `stuck at ${pacers.for(fast.senderKey).ratePerSecond}/s`);
});

Deno.test("senders are paced independently", () => {
  const pacers = new PacerRegistry();
  assert.notEqual(pacers.for("+15005550006"), pacers.for("resend"));
  assert.equal(pacers.for("resend"), pacers.for("resend"));
});
