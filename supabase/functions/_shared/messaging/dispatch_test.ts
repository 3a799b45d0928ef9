import assert from "node:assert/strict";
import { deliver } from "./dispatch.ts";
import { PacerRegistry } from "./pacer.ts";
import { simulatedClock, simulatedProvider, smsBatch } from "./testing_provider.ts";
import type { ResolveOutcome, Sender, SendOutcome } from "./types.ts";

function setup() {
  const clock = simulatedClock();
  const provider = simulatedProvider(clock, { rate: 100, burst: 100 });
  const options = {
    pacers: new PacerRegistry({ now: clock.nowMs, sleep: clock.sleep }),
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
  };
  return { clock, provider, options };
}
const [message] = smsBatch(1);

Deno.test("a 5xx whose message was in fact accepted is resolved by lookup, not sent twice", async () => {
  const { provider, options } = setup();
  provider.script.push("5xx_after_accept");
  const result = await deliver(provider, message!, options);
  assert.deepEqual(result, { kind: "accepted", providerMessageId: "SM-m-0", status: "sent", attempts: 2 });
  assert.equal(provider.accepted.get("m-0"), 1);
  assert.equal(provider.calls, 1);
});

Deno.test("a 5xx that lost the message is looked up, found missing, and sent once", async () => {
  const { provider, options } = setup();
  provider.script.push("5xx_lost", "5xx_lost");
  const result = await deliver(provider, message!, options);
  assert.equal(result.kind, "accepted");
  assert.equal(provider.accepted.get("m-0"), 1);
  assert.equal(provider.calls, 3);
});

Deno.test("a permanent refusal stops at once with what it means for the contact", async () => {
  const { provider, options } = setup();
  provider.script.push("refused");
  const result = await deliver(provider, message!, options);
  assert.deepEqual(result, { kind: "refused", code: "21610", reason: "opted out", contactEffect: "opted_out", attempts: 1 });
  assert.equal(provider.calls, 1);
});

Deno.test("a message found sending after a crash starts with the lookup", async () => {
  const { provider, options } = setup();
  provider.accepted.set("m-0", 1);
  const result = await deliver(provider, message!, { ...options, resolveFirst: true, attemptedAt: options.now() });
  assert.equal(result.kind, "accepted");
  assert.equal(provider.calls, 0);
  assert.equal(provider.accepted.get("m-0"), 1);
});

Deno.test("repeated failures give up, keeping 'maybe accepted' so the worker resolves later", async () => {
  const { clock, options } = setup();
  const calls: string[] = [];
  const failing: Sender = {
    channel: "sms",
    provider: "twilio",
    available: true,
    senderKey: "x",
    send: (): Promise<SendOutcome> => {
      calls.push("send");
      return Promise.resolve({ kind: "retry", after: clock.now(), reason: "500", maybeAccepted: true, rateLimited: false });
    },
    resolveUnknown: (): Promise<ResolveOutcome> => {
      calls.push("resolve");
      return Promise.resolve({ kind: "retry", after: clock.now(), reason: "lookup failed" });
    },
  };
  const result = await deliver(failing, message!, { ...options, maxFailures: 3 });
  assert.equal(result.kind, "gave_up");
  assert.ok(result.kind === "gave_up" && result.maybeAccepted);
  assert.deepEqual(calls, ["send", "resolve", "resolve"]);
});

Deno.test("an undeterminable lookup is final: nothing is sent again", async () => {
  const { options } = setup();
  let sends = 0;
  const sender: Sender = {
    channel: "email",
    provider: "resend",
    available: true,
    senderKey: "resend",
    send: () => {
      sends++;
      return Promise.resolve({ kind: "accepted", providerMessageId: "x", status: "queued" });
    },
    resolveUnknown: () => Promise.resolve({ kind: "undeterminable", reason: "too old" }),
  };
  const result = await deliver(sender, message!, { ...options, resolveFirst: true });
  assert.equal(result.kind, "undeterminable");
  assert.equal(sends, 0);
});

Deno.test("429s beyond the time budget give up as certainly not accepted", async () => {
  const { clock, options } = setup();
  const limited = simulatedProvider(clock, { rate: 0.001, burst: 0 });
  const result = await deliver(limited, message!, { ...options, budgetMs: 5_000 });
  assert.ok(result.kind === "gave_up" && result.maybeAccepted === false);
  assert.equal(limited.accepted.size, 0);
});
