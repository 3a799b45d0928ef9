// POST {ticket}: SPEC §12. The dashboard's callback page, signed in, finishes a connection whose
// code jobber-callback kept behind this one-time ticket. Only the user who started connecting, still
// owner or admin of the business, gets the code exchanged; anyone else (a Jobber owner who was sent
// someone's consent link, another member, an outsider) gets 403 and the ticket is used up. Then it
// does what the callback used to: exchange, `account { id name }`, tokens into Vault, the initial
// full sync queued.
import { z } from "zod";
import type { Runtime } from "../_shared/runtime.ts";
import { json, readJsonBody, serveFunction } from "../_shared/http.ts";
import { asService } from "../_shared/db.ts";
import { mappingDbErrors } from "../_shared/db_errors.ts";
import { forbiddenRole, notAMember, notFound, notInitiator } from "../_shared/errors.ts";
import { sha256Hex } from "../_shared/crypto.ts";
import { authenticateUser } from "../_shared/user_request.ts";
import { exchangeAuthorizationCode } from "../_shared/jobber/authorization.ts";
import { wakeWorker } from "../_shared/worker/wake.ts";

export const TICKET_PATTERN = /^[A-Za-z0-9_-]{22,100}$/;

const completeRequest = z.object({
  ticket: z.string().regex(
    TICKET_PATTERN,
    "The connection ticket (ticket) is not valid: start connecting Jobber again from Blipp.",
  ),
}).strict();

interface Redeemed {
  outcome: "ok" | "not_found" | "not_a_member" | "not_initiator" | "forbidden_role";
  business_id: string | null;
  code: string | null;
}

const REFUSALS = {
  not_found: () => notFound("This connection link has expired or was already used. Start connecting Jobber again from Blipp."),
  not_a_member: () => notAMember(),
  not_initiator: () => notInitiator(),
  forbidden_role: () => forbiddenRole("Only an owner or admin of the business can connect Jobber."),
} as const;

export function createHandler(rt: Runtime) {
  const logger = rt.logger("jobber-complete");
  return serveFunction({ appOrigin: rt.config.appOrigin, methods: ["POST"], logger }, async (req, ctx) => {
    const user = await authenticateUser(req, rt);
    const { ticket } = await readJsonBody(req, completeRequest);
    const ticketHash = await sha256Hex(ticket);
    const [redeemed] = await asService(rt.sql, (tx) =>
      tx<Redeemed[]>`select outcome, business_id, code from private.jobber_redeem_connect_ticket(${ticketHash}, ${user.userId})`
    );
    if (!redeemed || redeemed.outcome !== "ok" || !redeemed.code || !redeemed.business_id) {
      const outcome = redeemed?.outcome && redeemed.outcome !== "ok" ? redeemed.outcome : "not_found";
      ctx.log.warn("ticket_refused", { outcome, business_id: redeemed?.business_id ?? null });
      throw REFUSALS[outcome]();
    }

    const businessId = redeemed.business_id;
    const { tokens, account } = await exchangeAuthorizationCode(rt, redeemed.code, ctx.log, { retries: true });
    const runId = await mappingDbErrors(() =>
      asService(rt.sql, async (tx) => {
        const [row] = await tx<{ run_id: string }[]>`
          select private.jobber_store_connection(${businessId}, ${account.id}, ${account.name}, ${tokens.accessToken},
                   ${tokens.refreshToken}, ${tokens.expiresAt}, ${user.userId}) as run_id`;
        return row!.run_id;
      })
    );
    ctx.log.info("connected", { business_id: businessId, account_id: account.id, run_id: runId });
    await wakeWorker(rt, ctx.log, "continue_syncs", { run_ids: [runId] });
    return json(200, { result: "connected", account_name: account.name, business_id: businessId });
  });
}
