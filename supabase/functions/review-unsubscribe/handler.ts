// The List-Unsubscribe URL of every review email (SPEC §10, RFC 8058), `?t=<unsubscribe token>`.
//   POST (the mailbox provider's one-click, or the page's button), body List-Unsubscribe=One-Click:
//     opts the request's address out of this business's email (`email_unsubscribe`) and answers
//     200 {"unsubscribed": true}; again, harmless; an unknown or forged token, 404 and no change.
//   GET (a person following the link, or a mail scanner prefetching it): changes nothing, and
//     redirects (302) to the dashboard's page APP_ORIGIN/unsubscribe?t=<token>, which says which
//     business it is about and offers the one button. Unsubscribing on GET would let link scanners
//     unsubscribe people who never asked to, which is why RFC 8058 uses POST.
import type { Runtime } from "../_shared/runtime.ts";
import { invalidRequest, notFound } from "../_shared/errors.ts";
import { json, readBodyBytes, serveFunction } from "../_shared/http.ts";
import { asService } from "../_shared/db.ts";
import { toBytes } from "../_shared/crypto.ts";
import { INVALID_LINK, tokenFrom, unsubscribe } from "../_shared/messaging/unsubscribe.ts";

const MAX_BODY_BYTES = 8 * 1024;
const ONE_CLICK = "One-Click";

/** The List-Unsubscribe field of the body, form-urlencoded or multipart (RFC 8058 allows both). */
async function oneClickField(req: Request): Promise<string | null> {
  const bytes = await readBodyBytes(req, MAX_BODY_BYTES);
  const type = req.headers.get("content-type") ?? "";
  if (/^multipart\/form-data/i.test(type)) {
    try {
      const form = await new Response(toBytes(bytes), { headers: { "content-type": type } }).formData();
      const value = form.get("List-Unsubscribe");
      return typeof value === "string" ? value : null;
    } catch {
      return null;
    }
  }
  return new URLSearchParams(new TextDecoder().decode(bytes)).get("List-Unsubscribe");
}

export function createHandler(rt: Runtime) {
  const logger = rt.logger("review-unsubscribe");
  const page = new URL("/unsubscribe", rt.config.appOrigin);
  return serveFunction(
    { appOrigin: rt.config.appOrigin, methods: ["GET", "POST"], logger },
    async (req, ctx) => {
      const token = tokenFrom(req.url);
      if (req.method === "GET") {
        // Only something shaped like a token is passed on; the page never shows it anyway.
        const target = new URL(page);
        if (token !== null) target.searchParams.set("t", token);
        return new Response(null, {
          status: 302,
          headers: { location: target.href, "cache-control": "no-store", "referrer-policy": "no-referrer" },
        });
      }

      if ((await oneClickField(req))?.trim() !== ONE_CLICK) {
        throw invalidRequest("The body must be List-Unsubscribe=One-Click (RFC 8058).");
      }
      if (token === null) throw notFound(INVALID_LINK);
      const result = await asService(rt.sql, (tx) => unsubscribe(tx, token));
      if (result === null) throw notFound(INVALID_LINK);
      ctx.log.info("email_unsubscribed", { newly: result.newly });
      return json(200, { unsubscribed: true }, { "cache-control": "no-store" });
    },
  );
}
