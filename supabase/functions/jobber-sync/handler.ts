// POST {business_id, mode?} -> 202 {run_id, joined}: any member may ask for a customer sync. At
// most one run per business is live; asking again joins it. Without a mode the run is incremental
// once a full run has succeeded, full before that. The worker is woken at once to start it.
import { z } from "zod";
import type { Runtime } from "../_shared/runtime.ts";
import { json, serveFunction } from "../_shared/http.ts";
import { asService } from "../_shared/db.ts";
import { mappingDbErrors } from "../_shared/db_errors.ts";
import { authenticateUser, businessIdField, readInput } from "../_shared/user_request.ts";
import { wakeWorker } from "../_shared/worker/wake.ts";

const syncRequest = z.object({
  business_id: businessIdField,
  mode: z.enum(["full", "incremental"], { error: 'mode must be "full" or "incremental"' }).optional(),
}).strict();

export function createHandler(rt: Runtime) {
  const logger = rt.logger("jobber-sync");
  return serveFunction({ appOrigin: rt.config.appOrigin, methods: ["POST"], logger }, async (req, ctx) => {
    const user = await authenticateUser(req, rt);
    const { business_id, mode } = await readInput(req, syncRequest);
    const started = await mappingDbErrors(() =>
      asService(rt.sql, async (tx) => {
        const [row] = await tx<{ run_id: string; joined: boolean }[]>`
          select * from private.jobber_start_sync_run(${business_id}, ${user.userId}, ${mode ?? null})`;
        return row!;
      })
    );
    ctx.log.info("sync_requested", { business_id, run_id: started.run_id, joined: started.joined, mode: mode ?? null });
    if (!started.joined) await wakeWorker(rt, ctx.log, "continue_syncs", { run_ids: [started.run_id] });
    return json(202, { run_id: started.run_id, joined: started.joined });
  });
}
