import { type DocumentNode, execute, type ExecutionResult, GraphQLError, parse, validate } from "graphql";
import { applyLatency, bucketFor, disconnectAccount, type Sandbox, windowFor } from "./context.ts";
import { actualQueryCost, requestedQueryCost } from "./cost.ts";
import { encodeId } from "./ids.ts";
import { json } from "../sandbox_http.ts";
import type { GqlContext } from "./resolvers.ts";

export const THROTTLE_DOCS = "https://developer.getjobber.com/docs/using_jobbers_api/api_rate_limits/";
export const DISCONNECTED_MESSAGE =
  "User has disconnected this app from their account. Please delete this token";

function serverError(status: 500 | 502 | 503): Response {
  // 502/503 come from the load balancer in front of Jobber, so they are HTML, not JSON.
  if (status === 500) return json({ message: "Internal Server Error" }, 500);
  const text = status === 502 ? "502 Bad Gateway" : "503 Service Temporarily Unavailable";
  return new Response(`<html><head><title>${text}</title></head><body><h1>${text}</h1></body></html>`, {
    status,
    headers: { "content-type": "text/html" },
  });
}

function tooManyRequests(): Response {
  // Rack::Attack's default throttled response: plain text, no Retry-After.
  return new Response("Retry later\n", { status: 429, headers: { "content-type": "text/plain" } });
}

interface GraphqlBody {
  query: string;
  variables: Record<string, unknown>;
  operationName: string | null;
}

function readBody(raw: unknown): GraphqlBody | string {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return "Request body must be a JSON object";
  }
  const { query, variables, operationName } = raw as Record<string, unknown>;
  if (typeof query !== "string" || query.trim() === "") return "No query string was present";
  if (variables != null && (typeof variables !== "object" || Array.isArray(variables))) {
    return "Variables must be a JSON object";
  }
  if (operationName != null && typeof operationName !== "string") return "operationName must be a string";
  return {
    query,
    variables: (variables ?? {}) as Record<string, unknown>,
    operationName: (operationName ?? null) as string | null,
  };
}

export async function graphqlEndpoint(sb: Sandbox, req: Request): Promise<Response> {
  sb.counters.graphqlCalls++;
  await applyLatency(sb);
  if (sb.faults.failNext.graphql5xx > 0) {
    sb.faults.failNext.graphql5xx--;
    return serverError(sb.faults.failNext.status);
  }
  if (sb.faults.errorRate > 0 && Math.random() < sb.faults.errorRate) {
    return serverError(([500, 502, 503] as const)[Math.floor(Math.random() * 3)]!);
  }
  if (sb.faults.http429) return tooManyRequests();

  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.get("authorization") ?? "")?.[1];
  const check = bearer
    ? await sb.auth.checkAccessToken(bearer)
    : { ok: false as const, reason: "invalid" as const };
  if (!check.ok) {
    sb.log("graphql_unauthorized", { reason: check.reason });
    return json({ message: check.reason === "disconnected" ? DISCONNECTED_MESSAGE : "Unauthorized" }, 401);
  }
  const accountId = check.accountId;
  const version = req.headers.get("x-jobber-graphql-version");
  if (!version) {
    return json({
      message: "The X-JOBBER-GRAPHQL-VERSION header is required, e.g. X-JOBBER-GRAPHQL-VERSION: 2025-04-16",
    }, 400);
  }
  if (!windowFor(sb, accountId).hit(sb.faults.rateLimit.requests, sb.faults.rateLimit.windowMs)) {
    sb.log("graphql_rate_limited", { accountId: encodeId("Account", accountId) });
    return tooManyRequests();
  }

  const bucket = bucketFor(sb, accountId);
  const extensions = (requested: number, actual: number) => ({
    cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: bucket.status() },
    versioning: { version },
  });
  const fail = (errors: readonly GraphQLError[], status = 200) =>
    json({ errors: errors.map((e) => e.toJSON()), extensions: extensions(0, 0) }, status);

  let raw: unknown;
  try {
    raw = await req.json();
  } catch {
    return fail([new GraphQLError("Request body is not valid JSON")], 400);
  }
  const body = readBody(raw);
  if (typeof body === "string") return fail([new GraphQLError(body)]);

  let document: DocumentNode;
  try {
    document = parse(body.query);
  } catch (error) {
    return fail([error instanceof GraphQLError ? error : new GraphQLError(String(error))]);
  }
  const validationErrors = validate(sb.schema, document);
  if (validationErrors.length > 0) return fail(validationErrors);

  const requested = requestedQueryCost(sb.schema, document, body.operationName, body.variables);
  if (sb.faults.throttle || requested > bucket.currentlyAvailable()) {
    sb.log("graphql_throttled", { accountId: encodeId("Account", accountId), requested });
    return json({
      errors: [{ message: "Throttled", extensions: { code: "THROTTLED", documentation: THROTTLE_DOCS } }],
      extensions: extensions(requested, 0),
    });
  }

  const contextValue: GqlContext = {
    store: sb.store,
    accountId,
    appName: sb.options.appName,
    disconnect: (id) => disconnectAccount(sb, id),
  };
  let result: ExecutionResult;
  try {
    result = await execute({
      schema: sb.schema,
      document,
      variableValues: body.variables,
      operationName: body.operationName,
      contextValue,
    });
  } catch (error) {
    // execute() only throws on programmer error; never let it take the sandbox down.
    sb.log("graphql_internal_error", { message: String(error) });
    return json({ message: "Internal Server Error" }, 500);
  }
  const actual = result.data
    ? actualQueryCost(sb.schema, document, body.operationName, body.variables, result.data)
    : 0;
  bucket.charge(actual);
  const key = encodeId("Account", accountId);
  sb.counters.pointsSpent[key] = (sb.counters.pointsSpent[key] ?? 0) + actual;
  const out: Record<string, unknown> = {};
  if (result.errors) out.errors = result.errors.map((e) => e.toJSON());
  if (result.data !== undefined) out.data = result.data;
  out.extensions = extensions(requested, actual);
  return json(out);
}
