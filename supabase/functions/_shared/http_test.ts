import assert from "node:assert/strict";
import { z } from "zod";
import { AppError, notAMember } from "./errors.ts";
import { corsHeaders, errorResponse, json, readJsonBody, readQuery, serveFunction } from "./http.ts";
import { createLogger } from "./log.ts";

const ORIGIN = "http://localhost:5173";
const BUSINESS = "7d3f8a52-4c1e-4b8e-9a51-2f0c6f1d9e21";
const bodySchema = z.object({ business_id: z.uuid(), mode: z.enum(["full", "incremental"]).optional() })
  .strict();

function post(body: BodyInit | null, headers: Record<string, string> = {}) {
  return new Request("http://fn.test/jobber-sync", { method: "POST", body, headers });
}

async function errorOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof AppError, `expected AppError, got ${err}`);
    return err;
  }
  throw new Error("expected a rejection");
}

Deno.test("json sets status, body and content type", async () => {
  const res = json(201, { ok: true }, { "x-extra": "1" });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
  assert.equal(res.headers.get("x-extra"), "1");
  assert.deepEqual(await res.json(), { ok: true });
});

Deno.test("errorResponse uses the one error shape and hides unexpected errors", async () => {
  const known = errorResponse(notAMember());
  assert.equal(known.status, 403);
  assert.deepEqual(await known.json(), {
    error: { code: "not_a_member", message: "You are not a member of this business, or it does not exist." },
  });
  const unknown = errorResponse(new Error("connection to 10.0.0.3 refused, password=x"));
  assert.equal(unknown.status, 500);
  const body = await unknown.json();
  assert.equal(body.error.code, "internal_error");
  assert.equal(JSON.stringify(body).includes("10.0.0.3"), false);
});

Deno.test("corsHeaders allows exactly the app origin and varies on Origin", () => {
  const headers = corsHeaders(ORIGIN, ["POST"]);
  assert.equal(headers["Access-Control-Allow-Origin"], ORIGIN);
  assert.equal(headers["Vary"], "Origin");
  assert.equal(headers["Access-Control-Allow-Headers"], "authorization, x-client-info, apikey, content-type");
  assert.equal(headers["Access-Control-Allow-Methods"], "POST, OPTIONS");
});

Deno.test("readJsonBody returns the parsed body", async () => {
  const body = await readJsonBody(post(JSON.stringify({ business_id: BUSINESS, mode: "full" })), bodySchema);
  assert.deepEqual(body, { business_id: BUSINESS, mode: "full" });
});

Deno.test("readJsonBody names the field that is wrong", async () => {
  const bad = await errorOf(readJsonBody(post(JSON.stringify({ business_id: "nope" })), bodySchema));
  assert.equal(bad.status, 400);
  assert.equal(bad.code, "invalid_request");
  assert.equal(bad.message, "The business id (business_id) must be a UUID");

  const missing = await errorOf(readJsonBody(post(""), bodySchema));
  assert.equal(missing.message, "The business id (business_id) is required");

  const wrongMode = await errorOf(
    readJsonBody(post(JSON.stringify({ business_id: BUSINESS, mode: "fast" })), bodySchema),
  );
  assert.equal(wrongMode.message, 'The sync mode (mode) must be one of "full", "incremental"');

  const extra = await errorOf(
    readJsonBody(post(JSON.stringify({ business_id: BUSINESS, admin: true })), bodySchema),
  );
  assert.equal(extra.message, 'Unknown field "admin"');
});

Deno.test("readJsonBody rejects malformed JSON and non-objects", async () => {
  assert.equal(
    (await errorOf(readJsonBody(post("{not json"), bodySchema))).message,
    "The request body is not valid JSON.",
  );
  assert.equal(
    (await errorOf(readJsonBody(post("[1]"), bodySchema))).message,
    "The request body must be a JSON object.",
  );
  assert.equal(
    (await errorOf(readJsonBody(post(new Uint8Array([0xff, 0xfe])), bodySchema))).message,
    "The request body is not valid UTF-8.",
  );
});

Deno.test("readJsonBody answers 413 from Content-Length without reading the body", async () => {
  const req = post(JSON.stringify({ business_id: BUSINESS }), { "content-length": String(70_000) });
  const err = await errorOf(readJsonBody(req, bodySchema));
  assert.equal(err.status, 413);
  assert.equal(err.code, "payload_too_large");
  await req.body?.cancel();
});

Deno.test("readJsonBody answers 413 when a streamed body passes the limit", async () => {
  const chunk = new TextEncoder().encode("x".repeat(1024));
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < 100) controller.enqueue(chunk);
      else controller.close();
    },
  });
  const err = await errorOf(readJsonBody(post(stream), bodySchema, { maxBytes: 4096 }));
  assert.equal(err.status, 413);
  assert.ok(sent < 10, "stopped reading soon after the limit");
});

Deno.test("readQuery validates the query string strictly", () => {
  const schema = z.object({ business_id: z.uuid() }).strict();
  assert.deepEqual(readQuery(`http://fn.test/s?business_id=${BUSINESS}`, schema), { business_id: BUSINESS });
  assert.throws(() => readQuery("http://fn.test/s?business_id=x", schema), {
    message: "The business id (business_id) must be a UUID",
  });
  assert.throws(() => readQuery(`http://fn.test/s?business_id=${BUSINESS}&x=1`, schema), {
    message: 'Unknown field "x"',
  });
  assert.throws(() => readQuery(`http://fn.test/s?business_id=${BUSINESS}&business_id=${BUSINESS}`, schema), {
    message: 'Query parameter "business_id" is given more than once',
  });
});

function serve(handler: (req: Request) => Promise<Response>, lines: string[] = []) {
  return serveFunction(
    {
      appOrigin: ORIGIN,
      methods: ["POST"],
      logger: createLogger("jobber-sync", (l) => lines.push(l)),
      newRequestId: () => "req-fixed-0001",
    },
    handler,
  );
}

Deno.test("serveFunction answers the CORS preflight without calling the handler", async () => {
  let called = false;
  const res = await serve(() => {
    called = true;
    return Promise.resolve(json(200, {}));
  })(new Request("http://fn.test/x", { method: "OPTIONS" }));
  assert.equal(called, false);
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
  assert.equal(res.headers.get("access-control-allow-methods"), "POST, OPTIONS");
});

Deno.test("serveFunction answers 405 for other methods, with CORS and Allow", async () => {
  const res = await serve(() => Promise.resolve(json(200, {})))(
    new Request("http://fn.test/x", { method: "DELETE" }),
  );
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "POST, OPTIONS");
  assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
  assert.equal((await res.json()).error.code, "method_not_allowed");
});

Deno.test("serveFunction adds CORS and x-request-id to handler responses, even immutable ones", async () => {
  const res = await serve(() =>
    Promise.resolve(Response.redirect("http://localhost:5173/jobber/callback?result=connected", 302))
  )(post("{}"));
  assert.equal(res.status, 302);
  assert.equal(res.headers.get("location"), "http://localhost:5173/jobber/callback?result=connected");
  assert.equal(res.headers.get("x-request-id"), "req-fixed-0001");
  assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
});

Deno.test("serveFunction keeps a well-formed incoming x-request-id", async () => {
  const res = await serve(() => Promise.resolve(json(200, {})))(
    post("{}", { "x-request-id": "abcdef12-3456" }),
  );
  assert.equal(res.headers.get("x-request-id"), "abcdef12-3456");
  await res.body?.cancel();
});

Deno.test("serveFunction turns AppErrors into their code and anything else into a logged 500", async () => {
  const lines: string[] = [];
  const rejected = await serve(
    () => Promise.reject(new AppError("not_connected", "This business is not connected to Jobber.")),
    lines,
  )(post("{}"));
  assert.equal(rejected.status, 422);
  assert.deepEqual(await rejected.json(), {
    error: { code: "not_connected", message: "This business is not connected to Jobber." },
  });

  const crashed = await serve(() => Promise.reject(new Error('relation "x" does not exist')), lines)(
    post("{}"),
  );
  assert.equal(crashed.status, 500);
  const body = await crashed.json();
  assert.equal(body.error.code, "internal_error");
  assert.equal(JSON.stringify(body).includes("relation"), false);
  assert.equal(crashed.headers.get("access-control-allow-origin"), ORIGIN);
  const failure = lines.map((l) => JSON.parse(l)).find((l) => l.event === "request_failed");
  assert.ok(failure, "the 500 is logged");
  assert.equal(failure.request_id, "req-fixed-0001");
  assert.match(failure.error.message, /relation "x" does not exist/);
});
