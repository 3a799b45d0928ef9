// GET: where Jobber sends the browser after consent. Hosted Edge Functions cannot serve HTML, so
// every outcome is a 302 to the dashboard's callback page (SPEC §5), which tells the opener.
// Nothing is stored unless every step succeeded; a used state never reaches the token endpoint.
import { z } from "zod";
import type { Runtime } from "../_shared/runtime.ts";
import { GENERIC_INTERNAL_MESSAGE, readQuery, serveFunction } from "../_shared/http.ts";
import { asService } from "../_shared/db.ts";
import { toAppError } from "../_shared/db_errors.ts";
import { AppError, isAppError } from "../_shared/errors.ts";
import { randomToken, sha256Hex } from "../_shared/crypto.ts";
import type { Logger } from "../_shared/log.ts";
import { exchangeCode, type JobberTokens } from "../_shared/jobber/oauth.ts";
import { ACCOUNT_QUERY, accountResultSchema } from "../_shared/jobber/queries.ts";
import { jobberClientWithToken, jobberDeps } from "../_shared/jobber/connection.ts";
import { wakeWorker } from "../_shared/worker/wake.ts";

export const PENDING_INSTALL_TTL_SECONDS = 1800;

// Jobber sends only code and state (and nothing at all on Deny); other parameters are ignored.
const callbackQuery = z.object({
  code: z.string().min(1).max(2048).optional(),
  state: z.string().min(1).max(512).optional(),
  error: z.string().max(200).optional(),
});

type Outcome =
  | { result: "connected"; account: string }
  | { result: "claim"; claim: string }
  | { result: "error"; code: string; message: string };

const STATE_PROBLEMS: Record<string, string> = {
  unknown: "This connection link is not valid. Start again from Blipp.",
  used: "This connection link was already used. Start again from Blipp.",
  expired: "This connection link has expired (it lasts 10 minutes). Start again from Blipp.",
};

function redirect(rt: Runtime, outcome: Outcome): Response {
  const target = new URL("/jobber/callback", rt.config.appOrigin);
  for (const [key, value] of Object.entries(outcome)) target.searchParams.set(key, value);
  return new Response(null, { status: 302, headers: { Location: target.toString(), "Cache-Control": "no-store" } });
}

function failure(err: unknown): Outcome {
  const e = toAppError(err);
  if (isAppError(e) && e.code !== "internal_error") return { result: "error", code: e.code, message: e.message };
  return { result: "error", code: "internal_error", message: GENERIC_INTERNAL_MESSAGE };
}

async function exchange(
  rt: Runtime,
  code: string,
  log: Logger,
): Promise<{ tokens: JobberTokens; account: { id: string; name: string } }> {
  const tokens = await exchangeCode(rt.config, code, jobberDeps(rt, log)).catch((err) => {
    if (isAppError(err) && err.code === "jobber_error") {
      throw new AppError("jobber_error", "Jobber refused the authorization code. Start the connection again.", {
        cause: err,
      });
    }
    throw err;
  });
  // Jobber recommends reading the account right away: its id is what webhooks and disconnects name.
  const { data } = await jobberClientWithToken(rt, tokens.accessToken, log).request(ACCOUNT_QUERY, {}, accountResultSchema);
  return { tokens, account: data.account };
}

export function createHandler(rt: Runtime) {
  const logger = rt.logger("jobber-callback");
  return serveFunction({ appOrigin: rt.config.appOrigin, methods: ["GET"], logger }, async (req, ctx) => {
    let query: z.output<typeof callbackQuery>;
    try {
      query = readQuery(req.url, callbackQuery.loose());
    } catch {
      return redirect(rt, { result: "error", code: "invalid_request", message: "Jobber sent an unexpected response." });
    }
    const { code, state } = query;

    if (!code) {
      // Consent denied: Jobber redirects with no parameters. Burn a state that came along anyway.
      if (state) {
        const nonceHash = await sha256Hex(state);
        await asService(rt.sql, (tx) => tx`select * from private.jobber_consume_oauth_state(${nonceHash})`);
      }
      ctx.log.info("consent_denied", {});
      return redirect(rt, { result: "error", code: "access_denied", message: "Jobber access was not granted." });
    }

    try {
      if (!state) {
        // A Marketplace install: no state, so no business yet. Hold the tokens until claimed.
        const { tokens, account } = await exchange(rt, code, ctx.log);
        const claim = randomToken(32);
        const claimHash = await sha256Hex(claim);
        await asService(rt.sql, (tx) =>
          tx`select private.jobber_hold_pending_install(${account.id}, ${account.name}, ${tokens.accessToken},
               ${tokens.refreshToken}, ${tokens.expiresAt}, ${claimHash}, ${PENDING_INSTALL_TTL_SECONDS})`
        );
        ctx.log.info("marketplace_install_held", { account_id: account.id });
        return redirect(rt, { result: "claim", claim });
      }

      const nonceHash = await sha256Hex(state);
      const [consumed] = await asService(rt.sql, (tx) =>
        tx<{ outcome: string; user_id: string | null; business_id: string | null }[]>`
          select * from private.jobber_consume_oauth_state(${nonceHash})`
      );
      if (!consumed || consumed.outcome !== "ok") {
        const outcome = consumed?.outcome ?? "unknown";
        ctx.log.warn("state_rejected", { outcome, business_id: consumed?.business_id ?? null });
        if (outcome === "forbidden_role") {
          return redirect(rt, {
            result: "error",
            code: "forbidden_role",
            message: "Only an owner or admin of the business can connect Jobber.",
          });
        }
        return redirect(rt, { result: "error", code: "invalid_state", message: STATE_PROBLEMS[outcome] ?? STATE_PROBLEMS.unknown! });
      }

      const businessId = consumed.business_id!;
      const { tokens, account } = await exchange(rt, code, ctx.log);
      const runId = await asService(rt.sql, async (tx) => {
        const [row] = await tx<{ run_id: string }[]>`
          select private.jobber_store_connection(${businessId}, ${account.id}, ${account.name}, ${tokens.accessToken},
                   ${tokens.refreshToken}, ${tokens.expiresAt}, ${consumed.user_id}) as run_id`;
        return row!.run_id;
      });
      ctx.log.info("connected", { business_id: businessId, account_id: account.id, run_id: runId });
      await wakeWorker(rt, ctx.log, "continue_syncs", { run_ids: [runId] });
      return redirect(rt, { result: "connected", account: account.name });
    } catch (err) {
      const outcome = failure(err);
      ctx.log.warn("callback_failed", { error_code: outcome.result === "error" ? outcome.code : null, error: err });
      return redirect(rt, outcome);
    }
  });
}
