// GET ?business_id= or POST {business_id}: the connection's status for any member. Read as the
// user through the jobber_status view, so RLS decides who sees what; an expired token is
// refreshed first (under the connection lock), so the answer reflects a usable connection.
import type { Runtime } from "../_shared/runtime.ts";
import { json, serveFunction } from "../_shared/http.ts";
import { asUser } from "../_shared/db.ts";
import { notAMember } from "../_shared/errors.ts";
import type { VerifiedUser } from "../_shared/auth.ts";
import { refreshConnection } from "../_shared/jobber/connection.ts";
import { type StatusRow, statusJson } from "../_shared/status.ts";
import { authenticateUser, businessRequest, readInput } from "../_shared/user_request.ts";

async function readStatus(rt: Runtime, user: VerifiedUser, businessId: string): Promise<StatusRow> {
  const [row] = await asUser(rt.sql, user, (tx) =>
    tx<StatusRow[]>`select * from public.jobber_status where business_id = ${businessId}`
  );
  if (!row) throw notAMember();
  return row;
}

export function createHandler(rt: Runtime) {
  const logger = rt.logger("jobber-status");
  return serveFunction({ appOrigin: rt.config.appOrigin, methods: ["GET", "POST"], logger }, async (req, ctx) => {
    const user = await authenticateUser(req, rt);
    const { business_id } = await readInput(req, businessRequest);
    let row = await readStatus(rt, user, business_id);
    const expiresAt = row.token_expires_at?.getTime() ?? Infinity;
    if (row.connection_status === "connected" && expiresAt - rt.now().getTime() <= rt.tuning.refreshMarginMs) {
      // Whatever happened under the lock (our refresh, someone else's, a refused token), the row
      // read before it is stale now.
      await refreshConnection(rt, business_id, ctx.log);
      row = await readStatus(rt, user, business_id);
    }
    return json(200, statusJson(row));
  });
}
