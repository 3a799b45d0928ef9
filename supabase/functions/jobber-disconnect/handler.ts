// POST {business_id}: an owner or admin disconnects Jobber. Jobber requires apps to call
// appDisconnect themselves (best effort: the local disconnect happens whatever Jobber answers),
// then the Vault secrets are deleted, the row marked disconnected and pending sync work cancelled.
// Customers stay.
import type { Runtime } from "../_shared/runtime.ts";
import { json, serveFunction } from "../_shared/http.ts";
import { asService } from "../_shared/db.ts";
import { mappingDbErrors } from "../_shared/db_errors.ts";
import { notConnected } from "../_shared/errors.ts";
import { jobberClientFor } from "../_shared/jobber/connection.ts";
import { APP_DISCONNECT_MUTATION, appDisconnectResultSchema } from "../_shared/jobber/queries.ts";
import { authenticateUser, businessRequest, readInput } from "../_shared/user_request.ts";

export function createHandler(rt: Runtime) {
  const logger = rt.logger("jobber-disconnect");
  return serveFunction({ appOrigin: rt.config.appOrigin, methods: ["POST"], logger }, async (req, ctx) => {
    const user = await authenticateUser(req, rt);
    const { business_id } = await readInput(req, businessRequest);
    const status = await mappingDbErrors(() =>
      asService(rt.sql, async (tx) => {
        await tx`select private.assert_business_role(${business_id}, ${user.userId}, array['owner', 'admin'])`;
        const [row] = await tx<{ connection_status: string }[]>`
          select connection_status from public.integrations_jobber where business_id = ${business_id}`;
        return row?.connection_status ?? "disconnected";
      })
    );
    if (status === "disconnected") throw notConnected();

    if (status === "connected") {
      try {
        await jobberClientFor(rt, business_id, ctx.log).request(APP_DISCONNECT_MUTATION, {}, appDisconnectResultSchema);
        ctx.log.info("jobber_app_disconnected", { business_id });
      } catch (err) {
        ctx.log.warn("jobber_app_disconnect_failed", { business_id, error: err instanceof Error ? err.message : String(err) });
      }
    }
    await asService(rt.sql, (tx) =>
      tx`select private.jobber_disconnect(${business_id}, 'Cancelled because Jobber was disconnected.')`
    );
    ctx.log.info("disconnected", { business_id });
    return json(200, { disconnected: true });
  });
}
