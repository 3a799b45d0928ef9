// POST {business_id} -> 202 {"requeued": n}: an owner or admin re-queues the business's failed
// Jobber updates (the webhook inbox's dead letters) with fresh attempts, and the worker is woken
// for them in the same transaction. The card's Replay button calls it.
import type { Runtime } from "../_shared/runtime.ts";
import { json, serveFunction } from "../_shared/http.ts";
import { asService } from "../_shared/db.ts";
import { mappingDbErrors } from "../_shared/db_errors.ts";
import { authenticateUser, businessRequest, readInput } from "../_shared/user_request.ts";

export function createHandler(rt: Runtime) {
  const logger = rt.logger("jobber-replay");
  return serveFunction({ appOrigin: rt.config.appOrigin, methods: ["POST"], logger }, async (req, ctx) => {
    const user = await authenticateUser(req, rt);
    const { business_id } = await readInput(req, businessRequest);
    const requeued = await mappingDbErrors(() =>
      asService(rt.sql, async (tx) => {
        const [row] = await tx<{ requeued: number }[]>`
          select private.jobber_replay_webhook_events(${business_id}, ${user.userId}) as requeued`;
        return row!.requeued;
      })
    );
    ctx.log.info("webhooks_replayed", { business_id, requeued });
    return json(202, { requeued });
  });
}
