// POST {business_id} -> {url}: starts connecting Jobber. The OAuth state is a fresh 256-bit nonce
// bound to this user and business (only its hash is stored), so a callback cannot be replayed or
// attach someone else's Jobber account to this business.
import type { Runtime } from "../_shared/runtime.ts";
import { json, serveFunction } from "../_shared/http.ts";
import { asService } from "../_shared/db.ts";
import { mappingDbErrors } from "../_shared/db_errors.ts";
import { randomToken, sha256Hex } from "../_shared/crypto.ts";
import { buildAuthorizeUrl } from "../_shared/jobber/oauth.ts";
import { authenticateUser, businessRequest, readInput } from "../_shared/user_request.ts";

export const OAUTH_STATE_TTL_SECONDS = 600;

export function createHandler(rt: Runtime) {
  const logger = rt.logger("jobber-connect");
  return serveFunction({ appOrigin: rt.config.appOrigin, methods: ["POST"], logger }, async (req, ctx) => {
    const user = await authenticateUser(req, rt);
    const { business_id } = await readInput(req, businessRequest);
    const nonce = randomToken(32);
    const expiresAt = await mappingDbErrors(() =>
      asService(rt.sql, async (tx) => {
        const [row] = await tx<{ expires_at: Date }[]>`
          select private.jobber_begin_connect(${user.userId}, ${business_id}, ${await sha256Hex(nonce)},
                                              ${OAUTH_STATE_TTL_SECONDS}) as expires_at`;
        return row!.expires_at;
      })
    );
    ctx.log.info("connect_started", { business_id, expires_at: expiresAt.toISOString() });
    return json(200, { url: buildAuthorizeUrl(rt.config, nonce) });
  });
}
