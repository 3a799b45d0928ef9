// Responses, CORS, request parsing and the wrapper every function is served through.
import type { z } from "zod";
import { AppError, invalidRequest, isAppError, methodNotAllowed, payloadTooLarge } from "./errors.ts";
import type { Logger } from "./log.ts";
import { describeZodError } from "./validation.ts";

export type HeadersRecord = Record<string, string>;

export function json(status: number, body: unknown, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(body), { status, headers: h });
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export const GENERIC_INTERNAL_MESSAGE = "Something went wrong on our side; try again later.";

/** The one error shape. Anything that is not an AppError becomes a generic 500. */
export function errorResponse(err: unknown, headers: HeadersInit = {}): Response {
  const appError = isAppError(err) ? err : new AppError("internal_error", GENERIC_INTERNAL_MESSAGE);
  const body: ErrorBody = { error: { code: appError.code, message: appError.message } };
  return json(appError.status, body, headers);
}

export const CORS_ALLOW_HEADERS = "authorization, x-client-info, apikey, content-type";

export function corsHeaders(appOrigin: string, methods: readonly string[] = ["GET", "POST"]): HeadersRecord {
  const allowed = [...new Set([...methods.map((m) => m.toUpperCase()), "OPTIONS"])];
  return {
    "Access-Control-Allow-Origin": appOrigin,
    "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
    "Access-Control-Allow-Methods": allowed.join(", "),
    "Access-Control-Expose-Headers": "x-request-id",
    "Access-Control-Max-Age": "600",
    // Caches must not serve one origin's answer to another.
    "Vary": "Origin",
  };
}

export function preflightResponse(appOrigin: string, methods: readonly string[]): Response {
  return new Response(null, { status: 204, headers: corsHeaders(appOrigin, methods) });
}

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** Reads at most `maxBytes` of the body; stops reading (413) as soon as the limit is passed. */
export async function readBodyBytes(req: Request, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) {
    throw payloadTooLarge(maxBytes);
  }
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      // Content-Length can lie or be absent (chunked), so the bytes themselves are counted too.
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw payloadTooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  // reportInput lets the message tell a missing field ("is required") from a wrong one; the
  // input itself never reaches the message.
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) {
    throw invalidRequest(describeZodError(result.error).replace(/^The value\b/, what));
  }
  return result.data;
}

/**
 * Parses a JSON body with a zod schema (use `.strict()` objects). An empty body counts as `{}`
 * so a missing field is reported by name rather than as "not JSON".
 */
export async function readJsonBody<S extends z.ZodType>(
  req: Request,
  schema: S,
  options: { maxBytes?: number } = {},
): Promise<z.output<S>> {
  const bytes = await readBodyBytes(req, options.maxBytes ?? DEFAULT_MAX_BODY_BYTES);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw invalidRequest("The request body is not valid UTF-8.");
  }
  let value: unknown = {};
  if (text.trim() !== "") {
    try {
      value = JSON.parse(text);
    } catch {
      throw invalidRequest("The request body is not valid JSON.");
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw invalidRequest("The request body must be a JSON object.");
  }
  return parseWith(schema, value, "The request body");
}

/** Parses the query string with a zod schema; a repeated parameter is an error, not a guess. */
export function readQuery<S extends z.ZodType>(url: URL | string, schema: S): z.output<S> {
  const params = (typeof url === "string" ? new URL(url) : url).searchParams;
  const value: Record<string, string> = {};
  for (const [key, v] of params) {
    if (key in value) throw invalidRequest(`Query parameter ${JSON.stringify(key)} is given more than once`);
    value[key] = v;
  }
  return parseWith(schema, value, "The query string");
}

export interface RequestContext {
  requestId: string;
  log: Logger;
}

export type Handler = (req: Request, ctx: RequestContext) => Promise<Response>;

export interface ServeOptions {
  appOrigin: string;
  methods: readonly string[];
  logger: Logger;
  now?: () => Date;
  newRequestId?: () => string;
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{8,100}$/;

/**
 * Wraps a handler: answers the CORS preflight, rejects other methods with 405, turns thrown
 * AppErrors into their JSON error and anything else into a generic 500 (details only in the
 * log), and adds CORS headers and `x-request-id` to every response.
 */
export function serveFunction(options: ServeOptions, handler: Handler): (req: Request) => Promise<Response> {
  const methods = options.methods.map((m) => m.toUpperCase());
  const now = options.now ?? (() => new Date());
  const newRequestId = options.newRequestId ?? (() => crypto.randomUUID());
  const cors = corsHeaders(options.appOrigin, methods);

  return async (req: Request): Promise<Response> => {
    const started = now().getTime();
    const incoming = req.headers.get("x-request-id");
    const requestId = incoming && REQUEST_ID_PATTERN.test(incoming) ? incoming : newRequestId();
    const log = options.logger.child({ request_id: requestId });
    const method = req.method.toUpperCase();

    let response: Response;
    if (method === "OPTIONS") {
      response = preflightResponse(options.appOrigin, methods);
    } else if (!methods.includes(method)) {
      response = errorResponse(methodNotAllowed(method, methods), {
        Allow: [...methods, "OPTIONS"].join(", "),
      });
    } else {
      try {
        response = await handler(req, { requestId, log });
      } catch (err) {
        if (isAppError(err) && err.status < 500) {
          log.warn("request_rejected", { error_code: err.code, status: err.status, message: err.message });
        } else {
          log.error("request_failed", {
            error_code: isAppError(err) ? err.code : "internal_error",
            error: err,
          });
        }
        response = errorResponse(err);
      }
    }

    const finished = withHeaders(response, { ...cors, "x-request-id": requestId });
    if (method !== "OPTIONS") {
      log.info("request_finished", {
        method,
        status: finished.status,
        duration_ms: now().getTime() - started,
      });
    }
    return finished;
  };
}

// Responses such as Response.redirect() have immutable headers, so a copy is made.
function withHeaders(response: Response, headers: HeadersRecord): Response {
  const merged = new Headers(response.headers);
  for (const [k, v] of Object.entries(headers)) merged.set(k, v);
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: merged,
  });
}
