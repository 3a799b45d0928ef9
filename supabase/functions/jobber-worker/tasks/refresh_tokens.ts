// Keeps connections alive between uses: refreshes every token that expires within the scheduled
// window (15 minutes), a few at a time, each through the one locked refresh routine; then
// disconnects at Jobber and deletes Marketplace installs nobody claimed within 30 minutes (never
// disconnecting an account a business has connected), and purges connect tickets that can no
// longer be redeemed.
import { z } from "zod";
import type { Runtime } from "../../_shared/runtime.ts";
import type { Logger } from "../../_shared/log.ts";
import { asService } from "../../_shared/db.ts";
import { jobberClientWithToken, refreshConnection, type RefreshOutcome } from "../../_shared/jobber/connection.ts";
import { APP_DISCONNECT_MUTATION, appDisconnectResultSchema } from "../../_shared/jobber/queries.ts";
import type { TaskResult, WorkerTask } from "../../_shared/worker/task.ts";
import { inParallel } from "../../_shared/parallel.ts";

const BATCH_SIZE = 50;
const CONCURRENCY = 4;

// One tick works through due connections batch by batch, for at most this long, so a large
// number of connections expiring together is still refreshed in time; the rest wait a minute.
const TICK_BUDGET_MS = 40_000;

async function refreshDueTokens(rt: Runtime, log: Logger) {
  const windowMs = rt.tuning.scheduledRefreshWindowMs;
  const deadline = rt.now().getTime() + TICK_BUDGET_MS;
  const outcomes: RefreshOutcome[] = [];
  const attempted = new Set<string>();
  while (rt.now().getTime() < deadline) {
    const due = (await asService(rt.sql, (tx) =>
      tx<{ business_id: string }[]>`
        select business_id from private.jobber_connections_due_for_refresh(${`${windowMs} milliseconds`}::interval,
                                                                            ${BATCH_SIZE}) as business_id`
    )).map((d) => d.business_id).filter((id) => !attempted.has(id));
    if (due.length === 0) break;
    due.forEach((id) => attempted.add(id));
    outcomes.push(...await inParallel(due, CONCURRENCY, async (businessId) => {
      try {
        return await refreshConnection(rt, businessId, log, { marginMs: windowMs });
      } catch (err) {
        log.error("scheduled_refresh_crashed", { business_id: businessId, error: err });
        return { kind: "transient_failure", message: "crashed", retryAt: rt.now() } satisfies RefreshOutcome;
      }
    }));
  }
  const count = (kind: RefreshOutcome["kind"]) => outcomes.filter((o) => o.kind === kind).length;
  return {
    due: outcomes.length,
    refreshed: count("refreshed"),
    already_fresh: count("already_fresh"),
    needs_reconnect: count("reconnect_required"),
    disconnected_in_jobber: count("disconnected"),
    failed: count("transient_failure"),
  };
}

async function dropUnclaimedInstalls(rt: Runtime, log: Logger): Promise<number> {
  const expired = await asService(rt.sql, (tx) =>
    tx<{ id: string; account_id: string; access_token: string | null; account_connected: boolean }[]>`
      select * from private.jobber_expired_pending_installs(${BATCH_SIZE})`
  );
  for (const install of expired) {
    if (install.account_connected) {
      // appDisconnect acts on the whole Jobber account: it would also end the live connection
      // (an owner who re-installed from the Marketplace, or a second admin). Only forget the tokens.
      log.info("unclaimed_install_kept_connected_account", { account_id: install.account_id });
    } else if (install.access_token) {
      try {
        await jobberClientWithToken(rt, install.access_token, log).request(APP_DISCONNECT_MUTATION, {}, appDisconnectResultSchema);
      } catch (err) {
        // Best effort: an expired access token cannot disconnect, and Jobber drops idle installs too.
        log.warn("unclaimed_install_disconnect_failed", { account_id: install.account_id, error: err instanceof Error ? err.message : String(err) });
      }
    }
    await asService(rt.sql, (tx) => tx`select private.jobber_delete_pending_install(${install.id})`);
    log.info("unclaimed_install_dropped", { account_id: install.account_id });
  }
  return expired.length;
}

async function run(rt: Runtime, log: Logger): Promise<TaskResult> {
  const refresh = await refreshDueTokens(rt, log);
  const unclaimedInstallsDropped = await dropUnclaimedInstalls(rt, log);
  const [purged] = await asService(rt.sql, (tx) => tx<{ n: number }[]>`select private.jobber_purge_connect_tickets() as n`);
  return { ...refresh, unclaimed_installs_dropped: unclaimedInstallsDropped, connect_codes_purged: purged?.n ?? 0 };
}

export const refreshTokens = { name: "refresh_tokens", input: z.object({}), run } as const satisfies WorkerTask;
