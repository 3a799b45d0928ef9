// GET: where Jobber sends the browser after consent. Hosted Edge Functions cannot serve HTML, so
// every outcome is a 302 to the dashboard's callback page, carrying only a `result`, a known error
// `code`, or a one-time `ticket` / `claim` - never text: the page shows fixed wording per code.
//
// With a state (SPEC §12) nothing is exchanged here. Whoever holds a state could otherwise attach
// somebody else's Jobber account (send the consent link to a Jobber owner, who approves); so the
// state is consumed and the code kept server-side behind a ticket that only the user who started
// connecting can redeem, signed in, through jobber-complete.
//
// Without a state (an App Marketplace install) there is no business yet: the code is exchanged at
// once, with no retries and only within a per-address and overall allowance, so an anonymous flood
// cannot spend the token-endpoint budget that refreshes share; the tokens are held for an owner to
// claim. An account some business has connected is never held a second time.
import { z } from "zod";
import type { Runtime } from "../_shared/runtime.ts";
import { readQuery, serveFunction } from "../_shared/http.ts";
import { asService } from "../_shared/db.ts";
import { toAppError } from "../_shared/db_errors.ts";
import { type ErrorCode, isAppError } from "../_shared/errors.ts";
import { hmacSha256Base64, randomToken, sha256Hex } from "../_shared/crypto.ts";
import { clientAddress } from "../_shared/client_address.ts";
import type { Logger } from "../_shared/log.ts";
import { exchangeAuthorizationCode } from "../_shared/jobber/authorization.ts";

export const PENDING_INSTALL_TTL_SECONDS = 1800;
/** How long the code waits for the user who started connecting (Jobber's codes live minutes). */
export const CONNECT_TICKET_TTL_SECONDS = 600;

// Jobber sends only code and state (and nothing at all on Deny); other parameters are ignored.
const callbackQuery = z.object({
  code: z.string().min(1).max(2048).optional(),
  state: z.string().min(1).max(512).optional(),
  error: z.string().max(200).optional(),
});

type Outcome =
  | { result: "confirm"; ticket: string }
  | { result: "claim"; claim: string }
  | { result: "already_connected" }
  | { result: "error"; code: ErrorCode | "access_denied" | "invalid_state" };

function redirect(rt: Runtime, outcome: Outcome): Response {
  const target = new URL("/jobber/callback", rt.config.appOrigin);
  for (const [key, value] of Object.entries(outcome)) target.searchParams.set(key, value);
  return new Response(null, { status: 302, headers: { Location: target.toString(), "Cache-Control": "no-store" } });
}

function failure(err: unknown): Outcome {
  const e = toAppError(err);
  return { result: "error", code: isAppError(e) ? e.code : "internal_error" };
}

/** State present: consume it and keep the code behind a ticket (one transaction). */
async function holdForInitiator(rt: Runtime, code: string, state: string, log: Logger): Promise<Outcome> {
  const ticket = randomToken(32);
  const [held] = await asService(rt.sql, async (tx) =>
    tx<{ outcome: string; business_id: string | null }[]>`
      select * from private.jobber_hold_authorization_code(${await sha256Hex(state)}, ${code},
                                                           ${await sha256Hex(ticket)}, ${CONNECT_TICKET_TTL_SECONDS})`
  );
  const outcome = held?.outcome ?? "unknown";
  if (outcome !== "ok") {
    log.warn("state_rejected", { outcome, business_id: held?.business_id ?? null });
    return { result: "error", code: outcome === "forbidden_role" ? "forbidden_role" : "invalid_state" };
  }
  log.info("code_held_for_initiator", { business_id: held!.business_id, expires_in_s: CONNECT_TICKET_TTL_SECONDS });
  return { result: "confirm", ticket };
}

/** No state: a Marketplace install, admitted before any call to Jobber, then held for a claim. */
async function holdMarketplaceInstall(rt: Runtime, req: Request, code: string, log: Logger): Promise<Outcome> {
  // Keyed, so the stored bucket name cannot be turned back into an address.
  const addressKey = await hmacSha256Base64(rt.config.jobberClientSecret, clientAddress(req) ?? "unknown");
  const { installsPerAddressPerMinute, installsPerMinute, maxPendingInstalls } = rt.tuning;
  const [admission] = await asService(rt.sql, (tx) =>
    tx<{ outcome: string }[]>`
      select private.jobber_admit_marketplace_install(${addressKey}, ${installsPerAddressPerMinute},
                                                      ${installsPerMinute}, ${maxPendingInstalls}) as outcome`
  );
  if (admission?.outcome !== "ok") {
    log.warn("marketplace_install_refused", { reason: admission?.outcome ?? "unknown" });
    return { result: "error", code: "rate_limited" };
  }

  const { tokens, account } = await exchangeAuthorizationCode(rt, code, log, { retries: false });
  const claim = randomToken(32);
  try {
    await asService(rt.sql, async (tx) =>
      tx`select private.jobber_hold_pending_install(${account.id}, ${account.name}, ${tokens.accessToken},
           ${tokens.refreshToken}, ${tokens.expiresAt}, ${await sha256Hex(claim)}, ${PENDING_INSTALL_TTL_SECONDS})`
    );
  } catch (err) {
    const e = toAppError(err);
    if (isAppError(e) && e.code === "already_connected") {
      // Installed again for an account a business already has: the live connection stays as it is.
      log.info("marketplace_install_already_connected", { account_id: account.id });
      return { result: "already_connected" };
    }
    throw err;
  }
  log.info("marketplace_install_held", { account_id: account.id });
  return { result: "claim", claim };
}

export function createHandler(rt: Runtime) {
  const logger = rt.logger("jobber-callback");
  return serveFunction({ appOrigin: rt.config.appOrigin, methods: ["GET"], logger }, async (req, ctx) => {
    let query: z.output<typeof callbackQuery>;
    try {
      query = readQuery(req.url, callbackQuery.loose());
    } catch {
      return redirect(rt, { result: "error", code: "invalid_request" });
    }
    const { code, state } = query;

    if (!code) {
      // Consent denied: Jobber redirects with no parameters. Burn a state that came along anyway.
      if (state) {
        const nonceHash = await sha256Hex(state);
        await asService(rt.sql, (tx) => tx`select * from private.jobber_consume_oauth_state(${nonceHash})`);
      }
      ctx.log.info("consent_denied", {});
      return redirect(rt, { result: "error", code: "access_denied" });
    }

    try {
      const outcome = state ? await holdForInitiator(rt, code, state, ctx.log) : await holdMarketplaceInstall(rt, req, code, ctx.log);
      return redirect(rt, outcome);
    } catch (err) {
      const outcome = failure(err);
      ctx.log.warn("callback_failed", { error_code: outcome.result === "error" ? outcome.code : null, error: err });
      return redirect(rt, outcome);
    }
  });
}
