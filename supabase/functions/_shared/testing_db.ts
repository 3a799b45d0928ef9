// Scaffolding for the Deno tests that run a handler (or the refresh routine) against the stack's real
// database while Jobber is stubbed. Each test gets a superuser connection for fixtures, builds
// Runtimes with a stubbed fetch, and everything it created is removed and every connection closed
// afterwards, pass or fail, so tests never see each other's rows and `deno test` exits cleanly.
// Files differ only in what their tests need on top of that; they say so with a context builder.
import assert from "node:assert/strict";
import postgres from "postgres";
import { createRuntime, type Runtime } from "./runtime.ts";
import { hs256Jwt, jsonReply, type RecordedCall, stubFetch } from "./testing.ts";
import { cleanup, createTenant, type Role, type TestUser } from "../../../tests/support/jobber_fixtures.ts";

type Env = Record<string, string | undefined>;
export type Stub = ReturnType<typeof stubFetch>;
export type Handle = (req: Request) => Promise<Response>;

/** The process environment; the stack's test runner puts its database URLs and keys here. */
export const env: Env = Deno.env.toObject();

/** True when any of `names` is unset, so tests that need them are skipped rather than failed. */
export const lacksEnv = (...names: string[]): boolean => names.some((name) => !env[name]);

/** No database to test against: a bare `deno test` outside the stack. */
export const NO_DATABASE = lacksEnv("SUPABASE_DB_URL", "STACK_ADMIN_DB_URL");

/** What the handler tests need: the database, and the secret their users' JWTs are signed with. */
export const NO_DB = NO_DATABASE || lacksEnv("JWT_SECRET");

// ---- the world the handlers see ------------------------------------------------------------------

export const APP_ORIGIN = "https://app.example.test";
export const JOBBER = "https://jobber.example.test";
export const TOKEN_URL = `${JOBBER}/api/oauth/token`;
export const GRAPHQL_URL = `${JOBBER}/api/graphql`;

/** Jobber stubbed: its token endpoint and GraphQL routed to separate responders, calls recorded. */
export interface FakeJobber {
  fetch: Stub;
  tokenCalls: () => RecordedCall[];
  graphqlCalls: () => RecordedCall[];
}

export function fakeJobber(
  token: (call: RecordedCall) => Response | Promise<Response>,
  graphql: (call: RecordedCall) => Response | Promise<Response> = () => jsonReply(500, {}),
): FakeJobber {
  const fetch = stubFetch((call) => (call.url === TOKEN_URL ? token(call) : graphql(call)));
  return {
    fetch,
    tokenCalls: () => fetch.calls.filter((c) => c.url === TOKEN_URL),
    graphqlCalls: () => fetch.calls.filter((c) => c.url === GRAPHQL_URL),
  };
}
const FUNCTIONS = "https://project.example.test/functions/v1";

/** The URL the platform routes to the function `fn`. */
export const functionUrl = (fn: string): string => `${FUNCTIONS}/${fn}`;

/**
 * A Runtime on `vars` whose fetch is `fetchStub` and whose sleeps return at once, so retries and
 * backoff cost no wall time. Log lines go to `logs` when given (to assert secrets never reach
 * them), else nowhere. Its own database pool must be closed: see DbHarness.track.
 */
export function stubbedRuntime(vars: Env, fetchStub: typeof fetch, logs?: string[]): Runtime {
  const rt = createRuntime(vars, logs ? (line) => logs.push(line) : () => {});
  return { ...rt, fetch: fetchStub, sleep: () => Promise.resolve() };
}

/** A fetch for handlers that must never talk to Jobber: any call fails the test. */
export const noJobber = (fn?: string): Stub =>
  stubFetch(() => Promise.reject(new Error(fn ? `${fn} called Jobber` : "called Jobber")));

/** The calls that reached Jobber's token endpoint (code exchanges and refreshes). */
export const tokenCalls = (stub: Stub) => stub.calls.filter((c) => c.url === TOKEN_URL);

/** Jobber's answer to the appDisconnect mutation. */
export const appDisconnected = (): Response =>
  jsonReply(200, { data: { appDisconnect: { app: { name: "Blipp", author: "Blipp" }, userErrors: [] } } });

/**
 * A Jobber access token: a JWT whose `exp` is what the code stores as token_expires_at. Jobber signs
 * it with a key we never see, so a key of our own stands in for it.
 */
export const jobberAccessToken = (exp: Date, claims: Record<string, unknown> = {}): Promise<string> =>
  hs256Jwt({ sub: "7", ...claims }, { secret: "jobber-signs-its-own-tokens-with-this-key!", expiresAt: exp });

/** A signed-in user's JWT, signed with the stack's secret as GoTrue would. */
export const userJwt = (userId: string): Promise<string> =>
  hs256Jwt({ sub: userId, role: "authenticated" }, { secret: env.JWT_SECRET ?? "" });

/**
 * A JSON POST to the function `fn`, as the dashboard or a scheduled job sends it: with a bearer
 * `token` when given, plus any `headers`. A string body goes as is, to test malformed bodies.
 */
export function postJson(
  fn: string,
  body: unknown,
  { token, headers = {} }: { token?: string | undefined; headers?: Record<string, string> } = {},
): Request {
  return new Request(functionUrl(fn), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/**
 * The `{ error: { code, message } }` body every function answers a failure with (SPEC §5), after
 * asserting it has exactly that shape.
 */
export async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const body = await res.json();
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message"]);
  return body.error as { code: string; message: string };
}

/**
 * Runs `fn` with `rt`, then closes `rt`'s database pool. Tests that never reach the database still
 * get a pool from createRuntime, and an open one would trip Deno's leak check.
 */
export async function withRuntime(rt: Runtime, fn: (rt: Runtime) => Promise<void>): Promise<void> {
  try {
    await fn(rt);
  } finally {
    await rt.sql.end();
  }
}

// ---- against the database ------------------------------------------------------------------------

/** Rows a test made, removed by `cleanup` once it ends. */
export interface Created {
  businessIds: string[];
  userIds: string[];
  accountIds: string[];
}

/** A fresh business with one member, that member's id and their JWT. */
export interface SignedInTenant {
  businessId: string;
  userId: string;
  jwt: string;
}

/** What every database test starts from; each file builds its own context on top of it. */
export interface DbHarness {
  /** Superuser connection: creates fixtures and reads what the code under test left behind. */
  admin: postgres.Sql;
  /** Push the ids of anything made outside `business`/`tenant` here to have it removed too. */
  created: Created;
  /** Registers a Runtime so its database pool is closed when the test ends; returns it. */
  track: (rt: Runtime) => Runtime;
  /** A fresh business with one user in `role` (owner by default), removed after the test. */
  business: (role?: Role) => Promise<{ businessId: string; user: TestUser }>;
  /** As `business`, plus a JWT for its user. */
  tenant: (role?: Role) => Promise<SignedInTenant>;
}

export interface DbTestOptions {
  /** Skip the tests (default: NO_DB). */
  ignore?: boolean;
  /** How `tenant` signs its user in (default: userJwt). */
  jwt?: (userId: string) => Promise<string>;
}

/**
 * Runs `fn` with the context `context` builds from a fresh harness, then removes what the test
 * created and closes every connection, whether the test passed or not.
 */
export async function withDb<Ctx>(
  context: (harness: DbHarness) => Ctx,
  fn: (ctx: Ctx) => Promise<void>,
  jwt: (userId: string) => Promise<string> = userJwt,
): Promise<void> {
  const admin = postgres(env.STACK_ADMIN_DB_URL!, { max: 2, onnotice: () => {} });
  const runtimes: Runtime[] = [];
  const created: Created = { businessIds: [], userIds: [], accountIds: [] };
  const business = async (role: Role = "owner") => {
    const t = await createTenant(admin, role);
    created.businessIds.push(t.businessId);
    created.userIds.push(t.user.id);
    return t;
  };
  const harness: DbHarness = {
    admin,
    created,
    track: (rt) => {
      runtimes.push(rt);
      return rt;
    },
    business,
    tenant: async (role = "owner") => {
      const t = await business(role);
      return { businessId: t.businessId, userId: t.user.id, jwt: await jwt(t.user.id) };
    },
  };
  try {
    await fn(context(harness));
  } finally {
    await cleanup(admin, created);
    for (const rt of runtimes) await rt.sql.end();
    await admin.end();
  }
}

/**
 * `dbTest(name, fn)` for one test file: a Deno test, skipped without a database, that runs `fn`
 * through withDb with the file's `context`.
 */
export function dbTestFactory<Ctx>(
  context: (harness: DbHarness) => Ctx,
  options: DbTestOptions = {},
): (name: string, fn: (ctx: Ctx) => Promise<void>) => void {
  const { ignore = NO_DB, jwt = userJwt } = options;
  return (name, fn) => Deno.test({ name, ignore, fn: () => withDb(context, fn, jwt) });
}
