// What every user-facing function does first: verify the caller's Supabase JWT and read the
// business it acts on (JSON body for POST, query string for GET), validated with zod.
import { z } from "zod";
import type { Runtime } from "./runtime.ts";
import { verifyUserJwt, type VerifiedUser } from "./auth.ts";
import { readJsonBody, readQuery } from "./http.ts";

export const businessIdField = z.uuid();
export const businessRequest = z.object({ business_id: businessIdField }).strict();

export function authenticateUser(req: Request, rt: Runtime): Promise<VerifiedUser> {
  return verifyUserJwt(req, rt.config, { ...(rt.jwks ? { jwks: rt.jwks } : {}), now: rt.now });
}

/** Reads `schema` from the query string (GET) or the JSON body (other methods). */
export function readInput<S extends z.ZodType>(req: Request, schema: S): Promise<z.output<S>> {
  return req.method === "GET" ? Promise.resolve(readQuery(req.url, schema)) : readJsonBody(req, schema);
}

/** Every function's entry point is `createHandler(runtime)`; index.ts wires it to Deno.serve. */
export type HandlerFactory = (rt: Runtime) => (req: Request) => Promise<Response>;
