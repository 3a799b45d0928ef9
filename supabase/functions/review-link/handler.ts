// GET /review-link?t=<link token>: the tracked link in every review message (SPEC §10 "The
// link"). Public - the customer's phone or mail app opens it - so the token is all it trusts: a
// known one records the click (first time, count, the request `clicked`, its waiting follow-ups
// cancelled) and answers 302 to the business's public review page; an unknown or malformed one
// answers 302 to APP_ORIGIN and records nothing. Every customer goes to the same review page.
//
// What is not a click: a HEAD request, a prefetch (`Sec-Purpose` / `Purpose: prefetch`), and a
// user agent that says it is a bot - link previews in iMessage, WhatsApp, Slack, Facebook,
// Telegram and the like, and crawlers (the maintained `isbot` list). They get the same redirect,
// so previews show the review page, but the card does not say "clicked" because a phone rendered
// a preview. A preview fetched with an ordinary browser's user agent cannot be told apart.
import { isbot } from "isbot";
import type { Runtime } from "../_shared/runtime.ts";
import { asService } from "../_shared/db.ts";
import { serveFunction } from "../_shared/http.ts";

const TOKEN = /^[A-Za-z0-9_-]{22}$/;

function redirect(location: string): Response {
  return new Response(null, {
    status: 302,
    headers: {
      Location: location,
      "Cache-Control": "no-store",
      // The review page never learns the token from a Referer.
      "Referrer-Policy": "no-referrer",
    },
  });
}

/** True when the request is not a person opening the link. */
export function isPreview(req: Request): boolean {
  if (req.method === "HEAD") return true;
  const purpose = `${req.headers.get("sec-purpose") ?? ""} ${req.headers.get("purpose") ?? ""} ${req.headers.get("x-purpose") ?? ""}`;
  if (/prefetch|preview/i.test(purpose)) return true;
  return isbot(req.headers.get("user-agent") ?? "");
}

export function createHandler(rt: Runtime) {
  const logger = rt.logger("review-link");
  const home = `${rt.config.appOrigin}/`;
  return serveFunction({ appOrigin: rt.config.appOrigin, methods: ["GET", "HEAD"], logger, now: rt.now }, async (req, ctx) => {
    const tokens = new URL(req.url).searchParams.getAll("t");
    const token = tokens.length === 1 ? tokens[0]! : "";
    if (!TOKEN.test(token)) {
      ctx.log.info("review_link_unknown", { reason: "malformed" });
      return redirect(home);
    }
    const preview = isPreview(req);
    const [row] = await asService(rt.sql, (tx) =>
      preview
        ? tx<{ request_id: string; review_url: string | null; first_click: boolean | null }[]>`
            select request_id, review_url, null::boolean as first_click from private.review_link_target(${token})`
        : tx<{ request_id: string; review_url: string | null; first_click: boolean | null }[]>`
            select request_id, review_url, first_click from private.review_record_click(${token}, ${rt.now()})`
    );
    if (!row) {
      ctx.log.info("review_link_unknown", { reason: "unknown_token" });
      return redirect(home);
    }
    ctx.log.info(preview ? "review_link_previewed" : "review_link_clicked", {
      review_request_id: row.request_id,
      first_click: row.first_click,
    });
    return redirect(row.review_url ?? home);
  });
}
