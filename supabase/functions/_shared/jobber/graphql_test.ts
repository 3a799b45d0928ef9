import assert from "node:assert/strict";
import { z } from "zod";
import { createLogger } from "../log.ts";
import { jsonReply, manualClock, stubFetch, testConfig } from "../testing.ts";
import type { Responder } from "../testing.ts";
import {
  JobberAuthError,
  JobberError,
  JobberDisconnectedError,
  JobberGraphQLError,
  JobberUnavailableError,
} from "./errors.ts";
import { createJobberClient } from "./graphql.ts";
import { type ObservedCost, pacingDelayMs } from "./throttle.ts";

const config = testConfig({ JOBBER_GRAPHQL_VERSION: "2025-04-16" });
const accountSchema = z.object({ account: z.object({ id: z.string(), name: z.string() }) });
const QUERY = "query { account { id name } }";

function cost(requested: number, available: number, actual = requested) {
  return {
    requestedQueryCost: requested,
    actualQueryCost: actual,
    throttleStatus: { maximumAvailable: 10_000, currentlyAvailable: available, restoreRate: 500 },
  };
}

const ok = (available = 9_990): Responder => () =>
  jsonReply(200, {
    data: { account: { id: "acc-1", name: "Acme" } },
    extensions: { cost: cost(2, available), versioning: { version: "2025-04-16" } },
  });

const throttled = (requested: number, available: number): Responder => () =>
  jsonReply(200, {
    errors: [{
      message: "Throttled",
      extensions: { code: "THROTTLED", documentation: "https://developer.getjobber.com/docs" },
    }],
    extensions: { cost: { ...cost(requested, available, 0) } },
  });

function setup(
  responders: Responder[],
  overrides: { onUnauthorized?: () => Promise<string>; maxRetries?: number } = {},
) {
  const clock = manualClock();
  const fetch = stubFetch(...responders);
  const lines: string[] = [];
  let refreshes = 0;
  const client = createJobberClient({
    config,
    getAccessToken: () => Promise.resolve("token-1"),
    onUnauthorized: overrides.onUnauthorized ?? (() => {
      refreshes++;
      return Promise.resolve("token-2");
    }),
    fetch,
    sleep: clock.sleep,
    now: clock.now,
    random: () => 0.5,
    logger: createLogger("test", (l) => lines.push(l)),
    ...(overrides.maxRetries !== undefined ? { maxRetries: overrides.maxRetries } : {}),
  });
  return { client, clock, fetch, lines, refreshes: () => refreshes };
}

async function rejection<T extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof type, `expected ${type.name}, got ${err}`);
    return err;
  }
  throw new Error("expected a rejection");
}

Deno.test("sends the query with bearer token, version header and JSON body; returns data and cost", async () => {
  const { client, fetch } = setup([ok()]);
  const result = await client.request(QUERY, { a: 1 }, accountSchema);
  assert.deepEqual(result.data, { account: { id: "acc-1", name: "Acme" } });
  assert.equal(result.cost?.requestedQueryCost, 2);
  const call = fetch.calls[0]!;
  assert.equal(call.url, "http://127.0.0.1:54330/api/graphql");
  assert.equal(call.headers.get("authorization"), "Bearer token-1");
  assert.equal(call.headers.get("x-jobber-graphql-version"), "2025-04-16");
  assert.equal(call.headers.get("content-type"), "application/json");
  assert.deepEqual(JSON.parse(call.body), { query: QUERY, variables: { a: 1 } });
  assert.equal(call.method, "POST");
  assert.equal(result.cost?.throttleStatus.currentlyAvailable, 9_990);
});

Deno.test("retries network errors and 5xx with growing jittered backoff", async () => {
  const { client, clock, fetch } = setup([
    () => Promise.reject(new TypeError("connection reset")),
    () => new Response("bad gateway", { status: 502 }),
    ok(),
  ]);
  await client.request(QUERY, {}, accountSchema);
  assert.equal(fetch.calls.length, 3);
  assert.deepEqual(clock.sleeps, [250, 500]); // random 0.5 × 500 ms × 2^(n-1)
});

Deno.test("gives up after maxRetries with jobber_unavailable", async () => {
  const { client, fetch } = setup([() => new Response("down", { status: 503 })], { maxRetries: 2 });
  const err = await rejection(client.request(QUERY, {}, accountSchema), JobberUnavailableError);
  assert.equal(err.code, "jobber_unavailable");
  assert.equal(fetch.calls.length, 3);
});

Deno.test("429 backs off from a longer base", async () => {
  const { client, clock } = setup([() => new Response("", { status: 429 }), ok()]);
  await client.request(QUERY, {}, accountSchema);
  assert.deepEqual(clock.sleeps, [2500]);
});

Deno.test("a 401 refreshes once and retries with the new token", async () => {
  const { client, fetch, refreshes } = setup([() => jsonReply(401, { message: "Unauthorized" }), ok()]);
  await client.request(QUERY, {}, accountSchema);
  assert.equal(refreshes(), 1);
  assert.equal(fetch.calls[1]!.headers.get("authorization"), "Bearer token-2");
});

Deno.test("a second 401 after the refresh is an auth error", async () => {
  const { client, fetch, refreshes } = setup([() => jsonReply(401, { message: "Unauthorized" })]);
  const err = await rejection(client.request(QUERY, {}, accountSchema), JobberAuthError);
  assert.equal(err.kind, "unauthorized");
  assert.equal(refreshes(), 1);
  assert.equal(fetch.calls.length, 2);
});

Deno.test("a disconnected app or inactive account stops at once, without refreshing", async () => {
  for (
    const body of [
      { message: "User has disconnected this app from their account. Please delete this token" },
      { error: { message: "This account is not active" } },
    ]
  ) {
    const { client, fetch, refreshes } = setup([() => jsonReply(401, body)]);
    const err = await rejection(client.request(QUERY, {}, accountSchema), JobberDisconnectedError);
    assert.equal(err.code, "not_connected");
    assert.equal(refreshes(), 0);
    assert.equal(fetch.calls.length, 1);
  }
});

Deno.test("a client named like the disconnect message is not mistaken for a disconnect", async () => {
  const { client } = setup([
    () => jsonReply(200, { data: { account: { id: "a", name: "This account is not active" } } }),
  ]);
  const { data } = await client.request(QUERY, {}, accountSchema);
  assert.equal(data.account.name, "This account is not active");
});

Deno.test("THROTTLED inside HTTP 200 waits (requested − available) / restoreRate, then retries", async () => {
  const { client, clock, fetch } = setup([throttled(3_000, 500), ok()]);
  await client.request(QUERY, {}, accountSchema);
  assert.equal(fetch.calls.length, 2);
  assert.deepEqual(clock.sleeps, [5_000 + 250]);
});

Deno.test("throttling does not use up failure retries, but total waiting is capped", async () => {
  const { client } = setup([throttled(3_000, 0)], { maxRetries: 0 });
  const err = await rejection(client.request(QUERY, {}, accountSchema), JobberUnavailableError);
  assert.match(err.message, /kept rate-limiting/);
});

Deno.test("a query dearer than the whole bucket fails instead of waiting forever", async () => {
  const { client } = setup([throttled(12_000, 10_000)]);
  const err = await rejection(client.request(QUERY, {}, accountSchema), JobberGraphQLError);
  assert.match(err.message, /can never run/);
});

Deno.test("other GraphQL errors become jobber_error quoting the first message", async () => {
  const { client, fetch } = setup([
    () =>
      jsonReply(200, {
        errors: [{ message: "The field jobs on an object of type Query was hidden due to permissions" }, {
          message: "second",
        }],
      }),
  ]);
  const err = await rejection(client.request(QUERY, {}, accountSchema), JobberGraphQLError);
  assert.equal(err.code, "jobber_error");
  assert.equal(err.status, 502);
  assert.equal(
    err.message,
    'Jobber answered with a GraphQL error: "The field jobs on an object of type Query was hidden due to permissions"',
  );
  assert.equal(fetch.calls.length, 1);
});

Deno.test("data in an unexpected shape names the path", async () => {
  const { client } = setup([() => jsonReply(200, { data: { account: { id: 42, name: "Acme" } } })]);
  const err = await rejection(client.request(QUERY, {}, accountSchema), JobberGraphQLError);
  assert.equal(err.message, "Jobber answered with an unexpected shape: account.id must be a string");
});

Deno.test("logs the versioning warning once per client", async () => {
  const warned: Responder = () =>
    jsonReply(200, {
      data: { account: { id: "a", name: "b" } },
      extensions: {
        versioning: { version: "2024-06-10", warning: "Version 2024-06-10 will be removed soon" },
      },
    });
  const { client, lines } = setup([warned]);
  await client.request(QUERY, {}, accountSchema);
  await client.request(QUERY, {}, accountSchema);
  assert.equal(lines.filter((l) => l.includes("jobber_version_warning")).length, 1);
});

Deno.test("paces a query of known cost until the bucket can pay for it", async () => {
  const { client, clock, fetch } = setup([ok(1_000), ok(10_000)]);
  await client.request(QUERY, {}, accountSchema, { expectedCost: 500 });
  assert.deepEqual(clock.sleeps, [], "no observation yet, no wait");
  clock.advance(1_000); // bucket now 1,000 + 500 = 1,500
  await client.request(QUERY, {}, accountSchema, { expectedCost: 3_000 });
  assert.deepEqual(clock.sleeps, [3_000 + 250]);
  assert.equal(fetch.calls.length, 2);
});

Deno.test("pacingDelayMs extrapolates with restoreRate and never waits for impossible costs", () => {
  const observed: ObservedCost = { ...cost(10, 2_000), observedAt: new Date("2025-01-01T00:00:00Z") };
  const at = (s: number) => new Date(Date.parse("2025-01-01T00:00:00Z") + s * 1000);
  assert.equal(pacingDelayMs(null, 5_000, at(0)), 0);
  assert.equal(pacingDelayMs(observed, 1_500, at(0)), 0);
  assert.equal(pacingDelayMs(observed, 3_000, at(0)), 2_250);
  assert.equal(pacingDelayMs(observed, 3_000, at(2)), 0);
  assert.equal(pacingDelayMs(observed, 20_000, at(0)), 0);
});

Deno.test("tokens never appear in the client's logs", async () => {
  const { client, lines } = setup([() => jsonReply(401, {}), () => new Response("", { status: 500 }), ok()]);
  await client.request(QUERY, {}, accountSchema);
  const all = lines.join("\n");
  assert.equal(all.includes("token-1"), false);
  assert.equal(all.includes("token-2"), false);
});

Deno.test("an unexpected 4xx is jobber_error quoting what Jobber said, without retrying", async () => {
  const { client, fetch } = setup([() => jsonReply(404, { message: "GraphQL API version '1999-01-01' does not exist" })]);
  const err = await rejection(client.request(QUERY, {}, accountSchema), JobberError);
  assert.equal(err.code, "jobber_error");
  assert.match(err.message, /^Jobber answered HTTP 404: ".*does not exist.*"$/);
  assert.equal(fetch.calls.length, 1);
});

Deno.test("a 200 that is not a GraphQL response is jobber_error", async () => {
  const { client } = setup([() => new Response("<html>maintenance</html>", { status: 200, headers: { "content-type": "text/html" } })]);
  const err = await rejection(client.request(QUERY, {}, accountSchema), JobberError);
  assert.equal(err.message, "Jobber answered with something that is not a GraphQL response.");
});

Deno.test("a request that times out is retried as a timeout", async () => {
  const { client, fetch, lines } = setup([
    () => Promise.reject(new DOMException("Signal timed out.", "TimeoutError")),
    ok(),
  ]);
  await client.request(QUERY, {}, accountSchema);
  assert.equal(fetch.calls.length, 2);
  assert.ok(lines.some((l) => l.includes('"jobber_retry"') && l.includes('"timeout"')));
});

Deno.test("429 waits as long as Retry-After says", async () => {
  const { client, clock } = setup([() => new Response("", { status: 429, headers: { "retry-after": "7" } }), ok()]);
  await client.request(QUERY, {}, accountSchema);
  assert.deepEqual(clock.sleeps, [7_000]);
});
