// POST {claim, business_id}: attaches a Marketplace install (held by the callback) to a business
// the caller owns or administers. The claim token is single-use and expires after 30 minutes.
import { z } from "zod";
import type { Runtime } from "../_shared/runtime.ts";
import { json, serveFunction } from "../_shared/http.ts";
import { asService } from "../_shared/db.ts";
import { mappingDbErrors } from "../_shared/db_errors.ts";
import { sha256Hex } from "../_shared/crypto.ts";
import { authenticateUser, businessIdField, readInput } from "../_shared/user_request.ts";
import { wakeWorker } from "../_shared/worker/wake.ts";

const claimRequest = z.object({
  claim: z.string({ error: "claim is required" }).regex(/^[A-Za-z0-9_-]{20,100}$/, "claim is not a valid claim token"),
  business_id: businessIdField,
}).strict();

export function createHandler(rt: Runtime) {
  const logger = rt.logger("jobber-claim");
  return serveFunction({ appOrigin: rt.config.appOrigin, methods: ["POST"], logger }, async (req, ctx) => {
    const user = await authenticateUser(req, rt);
    const { claim, business_id } = await readInput(req, claimRequest);
    const claimHash = await sha256Hex(claim);
    const claimed = await mappingDbErrors(() =>
      asService(rt.sql, async (tx) => {
        const [row] = await tx<{ account_name: string; run_id: string }[]>`
          select * from private.jobber_claim_pending_install(${claimHash}, ${user.userId}, ${business_id})`;
        return row!;
      })
    );
    ctx.log.info("install_claimed", { business_id, run_id: claimed.run_id });
    await wakeWorker(rt, ctx.log, "continue_syncs", { run_ids: [claimed.run_id] });
    return json(200, { connected: true, account_name: claimed.account_name });
  });
}
