// The page a person uses: each phone's conversation (tap a link, reply, STOP / START) and each
// inbox (read, tap a link, press Unsubscribe). Server-rendered; every value is escaped, and nothing
// on it is taken from the page's own URL.
import type { MessagingSandbox } from "./context.ts";
import { escapeHtml as e, html } from "../sandbox_http.ts";
import { oneClickUrl, reply, senderFor, unsubscribe } from "./inbound.ts";
import type { EmailRecord, SmsRecord } from "./store.ts";

const URL_PATTERN = /https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)]/g;

/** Escaped text with http(s) URLs turned into links that open in a new tab. */
export function linkify(text: string): string {
  let out = "";
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    out += e(text.slice(last, match.index));
    out += `<a href="${e(match[0])}" target="_blank" rel="noopener noreferrer">${e(match[0])}</a>`;
    last = match.index! + match[0].length;
  }
  return out + e(text.slice(last));
}

const time = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC";
const phoneId = (phone: string) => `phone-${phone.replace(/\D/g, "")}`;

function smsItem(m: SmsRecord): string {
  const outgoing = m.direction !== "inbound";
  const status = m.errorCode === null ? m.status : `${m.status} (error ${m.errorCode})`;
  const who = m.direction === "inbound" ? "You" : m.direction === "outbound-reply" ? "Twilio (automatic reply)" : "Business";
  return `<li class="${outgoing ? "out" : "in"}"><p class="who">${e(who)}</p><p class="body">${linkify(m.body)}</p>
<p class="meta">${e(time(m.dateCreated))} · ${e(status)}</p></li>`;
}

function phoneSection(sb: MessagingSandbox, phone: string, messages: SmsRecord[], index: number): string {
  const sender = senderFor(sb, phone);
  const stopped = sb.store.isStopped(sender, phone);
  const id = phoneId(phone);
  const quick = (word: string) =>
    `<form method="post" action="/ui/reply" class="inline"><input type="hidden" name="from" value="${e(phone)}">
<input type="hidden" name="to" value="${e(sender)}"><input type="hidden" name="body" value="${e(word)}">
<button type="submit">Reply ${e(word)}</button></form>`;
  return `<article id="${e(id)}" aria-labelledby="${e(id)}-h" class="phone">
<h3 id="${e(id)}-h">Phone ${e(phone)}</h3>
<p class="meta">Texting with ${e(sender)}${stopped ? " · <strong>unsubscribed (replied STOP)</strong>" : ""}</p>
<ol class="conversation" aria-label="Conversation with ${e(phone)}">${messages.map(smsItem).join("\n")}</ol>
<form method="post" action="/ui/reply" class="reply"><input type="hidden" name="from" value="${e(phone)}">
<input type="hidden" name="to" value="${e(sender)}">
<label for="reply-${index}">Reply from ${e(phone)}</label>
<input id="reply-${index}" name="body" required maxlength="1600" autocomplete="off">
<button type="submit">Send reply</button></form>
<div class="quick">${quick("STOP")} ${quick("START")}</div></article>`;
}

function emailItem(m: EmailRecord): string {
  const oneClick = oneClickUrl(m);
  const results = m.unsubscribes.map((u) =>
    `<li>Unsubscribe sent ${e(u.at.replace("T", " ").slice(0, 19))} UTC: ${u.status === 0 ? "no answer" : `HTTP ${e(u.status)}`}</li>`
  ).join("");
  return `<article id="email-${e(m.id)}" class="email" aria-labelledby="email-${e(m.id)}-h">
<h4 id="email-${e(m.id)}-h">${e(m.subject)}</h4>
<p class="meta">From ${e(m.from)} · ${e(time(m.createdAt))} · ${e(m.lastEvent)}</p>
${m.text !== null ? `<div class="text">${linkify(m.text).replace(/\n/g, "<br>")}</div>` : ""}
${
    m.html !== null
      ? `<details><summary>HTML version</summary><iframe sandbox="" title="HTML version of ${e(m.subject)}" srcdoc="${
        e(m.html)
      }"></iframe></details>`
      : ""
  }
${
    oneClick
      ? `<form method="post" action="/ui/emails/${e(encodeURIComponent(m.id))}/unsubscribe"><button type="submit" aria-label="Unsubscribe from ${
        e(m.subject)
      }">Unsubscribe</button></form>`
      : `<p class="meta">No one-click unsubscribe header.</p>`
  }
${results ? `<ul class="meta">${results}</ul>` : ""}</article>`;
}

function inboxSection(address: string, emails: EmailRecord[], index: number): string {
  return `<article id="inbox-${index}" aria-labelledby="inbox-${index}-h" class="inbox">
<h3 id="inbox-${index}-h">Inbox ${e(address)}</h3>${emails.slice().reverse().map(emailItem).join("\n")}</article>`;
}

export function homePage(sb: MessagingSandbox): Response {
  const phones = [...sb.store.phones()];
  const inboxes = [...sb.store.inboxes()];
  const phoneHtml = phones.length
    ? phones.map(([phone, list], i) => phoneSection(sb, phone, list, i)).join("\n")
    : "<p>No texts yet. Send one through the sender (see the README: npm run send-test-message).</p>";
  const inboxHtml = inboxes.length
    ? inboxes.map(([address, list], i) => inboxSection(address, list, i)).join("\n")
    : "<p>No emails yet.</p>";
  return html(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Messaging sandbox</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#111;background:#fff}
main{max-width:60rem;margin:0 auto;padding:1rem 1.5rem}
.meta{color:#555;font-size:.875rem;margin:.25rem 0}
.phone,.inbox{border-top:1px solid #ccc;padding-top:.5rem;margin-top:1rem}
.conversation{list-style:none;padding:0;display:flex;flex-direction:column;gap:.5rem}
.conversation li{max-width:32rem;border-radius:.75rem;padding:.5rem .75rem}
.conversation .out{background:#e8f0fe;align-self:flex-start}
.conversation .in{background:#e6f4ea;align-self:flex-end}
.conversation p{margin:.1rem 0}.who{font-weight:600;font-size:.875rem}
.body{overflow-wrap:anywhere}
a{color:#0b57d0}
.inline{display:inline}.reply{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap;margin:.5rem 0}
.email{border:1px solid #ddd;border-radius:.5rem;padding:.5rem .75rem;margin:.5rem 0}
.email .text{overflow-wrap:anywhere;margin:.5rem 0}
iframe{width:100%;min-height:12rem;border:1px solid #ddd;background:#fff}
</style></head><body><main>
<h1>Messaging sandbox</h1>
<p>A local stand-in for Twilio (SMS) and Resend (email). Texts and emails sent through the sender show
up here; tap a link, reply (STOP and START work as on a real phone) or press Unsubscribe.
<a href="/">Refresh</a>. Control API under <code>/_sandbox/</code>.</p>
<nav aria-label="Phones and inboxes"><ul>
${phones.map(([phone]) => `<li><a href="#${e(phoneId(phone))}">Phone ${e(phone)}</a></li>`).join("")}
${inboxes.map(([address], i) => `<li><a href="#inbox-${i}">Inbox ${e(address)}</a></li>`).join("")}
</ul></nav>
<section aria-labelledby="phones-h"><h2 id="phones-h">Phones</h2>
${phoneHtml}</section>
<section aria-labelledby="inboxes-h"><h2 id="inboxes-h">Inboxes</h2>
${inboxHtml}</section>
</main></body></html>`);
}

const E164 = /^\+[1-9]\d{6,14}$/;

/** Form targets for the page's buttons; they redirect back to the phone or email acted on. */
export async function uiAction(sb: MessagingSandbox, req: Request, url: URL): Promise<Response | null> {
  const back = (hash: string) => new Response(null, { status: 303, headers: { location: `/#${hash}` } });
  if (url.pathname === "/ui/reply") {
    const form = new URLSearchParams(await req.text());
    const from = form.get("from") ?? "";
    const to = form.get("to") ?? "";
    const body = (form.get("body") ?? "").slice(0, 1600);
    if (!E164.test(from) || !E164.test(to) || body.trim() === "") return null;
    await reply(sb, from, to, body);
    return back(phoneId(from));
  }
  const unsub = /^\/ui\/emails\/([^/]+)\/unsubscribe$/.exec(url.pathname);
  if (unsub) {
    const email = sb.store.findEmail(decodeURIComponent(unsub[1]!));
    if (!email) return null;
    await unsubscribe(sb, email);
    return back(`email-${email.id}`);
  }
  return null;
}
