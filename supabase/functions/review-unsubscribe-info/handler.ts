// GET ?t=<unsubscribe token>: what the dashboard's unsubscribe page shows before the button - the
// business the email came from and whether the address is already unsubscribed. Never the address:
// a token identifies a request without exposing who it went to. An unknown or forged token is a
// 404, and the page says the link is not valid. Changes nothing.
import type { Runtime } from "../_shared/runtime.ts";
import { notFound } from "../_shared/errors.ts";
import { json, serveFunction } from "../_shared/http.ts";
import { asService } from "../_shared/db.ts";
import { INVALID_LINK, tokenFrom, unsubscribeSubject } from "../_shared/messaging/unsubscribe.ts";

export function createHandler(rt: Runtime) {
  const logger = rt.logger("review-unsubscribe-info");
  return serveFunction(
    { appOrigin: rt.config.appOrigin, methods: ["GET"], logger },
    async (req) => {
      const token = tokenFrom(req.url);
      if (token === null) throw notFound(INVALID_LINK);
      const subject = await asService(rt.sql, (tx) => unsubscribeSubject(tx, token));
      if (subject === null) throw notFound(INVALID_LINK);
      return json(200, { business_name: subject.businessName, unsubscribed: subject.unsubscribed }, {
        "cache-control": "no-store",
      });
    },
  );
}
