// POST {claim}: describes a Marketplace install (held by the callback) before anyone attaches it:
// which Jobber account, installed when. POST {claim, business_id}: attaches it to a business the
// caller owns or administers. A claim link can be forwarded, so the claim page shows the account
// first and asks for an explicit choice. The claim token is single-use and expires after 30 minutes.
import { z } from "zod";
import type { Runtime } from "../_shared/runtime.ts";
import { json, serveFunction } from "../_shared/http.ts";
import { asService } from "../_shared/db.ts";
import { mappingDbErrors } from "../_shared/db_errors.ts";
import { notFound } from "../_shared/errors.ts";
import { sha256Hex } from "../_shared/crypto.ts";
import { authenticateUser, businessIdField, readInput } from "../_shared/user_request.ts";
import { wakeWorker } from "../_shared/worker/wake.ts";

export const CLAIM_PATTERN = /^[A-Za-z0-9_-]{20,100}$/;

const claimRequest = z.object({
  claim: z.string().regex(
    CLAIM_PATTERN,
    "The claim code from the install link (claim) is not valid: open the install link from Jobber again.",
  ),
  business_id: businessIdField.optional(),
}).strict();

const EXPIRED = "This install link has expired or was already used. Start the connection again from Blipp.";

export function createHandler(rt: Runtime) {
  const logger = rt.logger("jobber-claim");
  return serveFunction({ appOrigin: rt.config.appOrigin, methods: ["POST"], logger }, async (req, ctx) => {
    const user = await authenticateUser(req, rt);
    const { claim, business_id } = await readInput(req, claimRequest);
    const claimHash = await sha256Hex(claim);

    if (business_id === undefined) {
      const [install] = await asService(rt.sql, (tx) =>
        tx<{ account_name: string; installed_at: Date; expires_at: Date }[]>`
          select * from private.jobber_describe_pending_install(${claimHash})`
      );
      if (!install) throw notFound(EXPIRED);
      return json(200, {
        account_name: install.account_name,
        installed_at: install.installed_at.toISOString(),
        expires_at: install.expires_at.toISOString(),
      });
    }

    const claimed = await mappingDbErrors(() =>
      asService(rt.sql, async (tx) => {
        const [row] = await tx<{ account_name: string; run_id: string | null; already_connected: boolean }[]>`
          select * from private.jobber_claim_pending_install(${claimHash}, ${user.userId}, ${business_id})`;
        return row!;
      })
    );
    if (claimed.already_connected) {
      ctx.log.info("install_already_connected", { business_id });
    } else {
      ctx.log.info("install_claimed", { business_id, run_id: claimed.run_id });
      if (claimed.run_id) await wakeWorker(rt, ctx.log, "continue_syncs", { run_ids: [claimed.run_id] });
    }
    return json(200, { connected: true, account_name: claimed.account_name, already_connected: claimed.already_connected });
  });
}
