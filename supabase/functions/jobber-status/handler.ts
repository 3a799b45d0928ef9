// GET ?business_id= or POST {business_id}: the connection's status for any member - the status
// JSON of SPEC §5 exactly as the `jobber_status` view builds it (the one place it is built; the
// card reads the same column). Read as the user, so RLS decides who sees what; an expired token is
// refreshed first, so the answer reflects a usable connection.
import { z } from "zod";
import type { Runtime } from "../_shared/runtime.ts";
import { json, serveFunction } from "../_shared/http.ts";
import { asUser } from "../_shared/db.ts";
import { notAMember } from "../_shared/errors.ts";
import type { VerifiedUser } from "../_shared/auth.ts";
import { refreshConnection } from "../_shared/jobber/connection.ts";
import { authenticateUser, businessRequest, readInput } from "../_shared/user_request.ts";

/** The two fields this function decides on; the status itself passes through as the view made it. */
const tokenFields = z.object({ connectionStatus: z.string(), token_expires_at: z.string().nullable() });

async function readStatus(rt: Runtime, user: VerifiedUser, businessId: string) {
  const [row] = await asUser(rt.sql, user, (tx) =>
    tx<{ status: Record<string, unknown> }[]>`select status from public.jobber_status where business_id = ${businessId}`
  );
  if (!row) throw notAMember();
  return { status: row.status, ...tokenFields.parse(row.status) };
}

export function createHandler(rt: Runtime) {
  const logger = rt.logger("jobber-status");
  return serveFunction({ appOrigin: rt.config.appOrigin, methods: ["GET", "POST"], logger }, async (req, ctx) => {
    const user = await authenticateUser(req, rt);
    const { business_id } = await readInput(req, businessRequest);
    let read = await readStatus(rt, user, business_id);
    const expiresAt = read.token_expires_at ? Date.parse(read.token_expires_at) : Infinity;
    if (read.connectionStatus === "connected" && expiresAt - rt.now().getTime() <= rt.tuning.refreshMarginMs) {
      // Whatever the refresh came to (ours, someone else's, a refused token), the status read
      // before it is stale now.
      await refreshConnection(rt, business_id, ctx.log);
      read = await readStatus(rt, user, business_id);
    }
    return json(200, read.status);
  });
}
