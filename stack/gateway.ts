// One port that routes like Supabase's API gateway: /rest/v1 -> PostgREST, /functions/v1/<name> ->
// the functions server, /auth/v1 -> the local auth endpoints. Like Kong on hosted Supabase, /rest
// and /auth need a valid `apikey`; functions authenticate their callers themselves.
import { verifyJwt } from "./jwt.ts";

export interface GatewayOptions {
  port: number;
  postgrestUrl: string;
  functionsUrl: string;
  jwtSecret: string;
  handleAuth: (req: Request, path: string) => Promise<Response>;
}

const CORS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Headers":
    "authorization, x-client-info, apikey, content-type, prefer, range, accept-profile, content-profile, x-supabase-api-version",
  "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
  "Access-Control-Expose-Headers": "content-range, content-location, x-request-id",
  "Access-Control-Max-Age": "3600",
};

// Hop-by-hop headers must not be forwarded by a proxy.
const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"];

async function proxy(req: Request, target: string, withCors: boolean, client?: string): Promise<Response> {
  const headers = new Headers(req.headers);
  for (const h of HOP_BY_HOP) headers.delete(h);
  // As the platform's edge does, the gateway says who the client is. It replaces anything the
  // client sent, so a forged x-forwarded-for never reaches the functions.
  if (client !== undefined) headers.set("x-forwarded-for", client);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: req.method,
      headers,
      body: hasBody ? await req.arrayBuffer() : null,
      redirect: "manual",
    });
  } catch {
    return Response.json({ message: "An invalid response was received from the upstream server" }, { status: 502 });
  }
  const out = new Headers(upstream.headers);
  for (const h of HOP_BY_HOP) out.delete(h);
  if (withCors) for (const [k, v] of Object.entries(CORS)) out.set(k, v);
  return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: out });
}

export function createGatewayHandler(opts: GatewayOptions) {
  async function apiKeyOk(req: Request): Promise<boolean> {
    const key = req.headers.get("apikey") ?? new URL(req.url).searchParams.get("apikey");
    if (!key) return false;
    try {
      const claims = await verifyJwt(opts.jwtSecret, key);
      return claims.role === "anon" || claims.role === "service_role";
    } catch {
      return false;
    }
  }

  return async function handle(req: Request, info?: Deno.ServeHandlerInfo): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname;

    if (path.startsWith("/functions/v1/")) {
      const client = info?.remoteAddr.transport === "tcp" ? info.remoteAddr.hostname : undefined;
      return await proxy(req, opts.functionsUrl + path.slice("/functions/v1".length) + url.search, false, client);
    }
    const isRest = path === "/rest/v1" || path.startsWith("/rest/v1/");
    const isAuth = path.startsWith("/auth/v1/");
    if (!isRest && !isAuth) {
      return Response.json({ message: "no Route matched with those values" }, { status: 404, headers: CORS });
    }
    if (req.method === "OPTIONS") return new Response("ok", { headers: CORS });
    if (!(await apiKeyOk(req))) {
      return Response.json({ message: "No API key found in request", hint: "No `apikey` request header or url param was found." }, {
        status: 401,
        headers: CORS,
      });
    }
    if (isRest) {
      return await proxy(req, opts.postgrestUrl + (path.slice("/rest/v1".length) || "/") + url.search, true);
    }
    const response = await opts.handleAuth(req, path.slice("/auth/v1".length));
    const headers = new Headers(response.headers);
    for (const [k, v] of Object.entries(CORS)) headers.set(k, v);
    return new Response(response.body, { status: response.status, headers });
  };
}
