// The webhook benchmark's yardstick: the least a receiver can do - Web Crypto HMAC over the raw
// body, parse, one INSERT ... ON CONFLICT DO NOTHING per delivery - on the same Deno, database and
// driver settings as the functions. Run as its own process: deno run -A bench_bare_webhook.ts
// <port> <database url> <client secret>. It prints "listening" once it answers.
import postgres from "postgres";

const [portArg, dbUrl, secret] = Deno.args;
if (!portArg || !dbUrl || !secret) {
  console.error("usage: bench_bare_webhook.ts <port> <database url> <secret>");
  Deno.exit(2);
}
const sql = postgres(dbUrl, { prepare: false, max: 5, onnotice: () => {} });
const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

Deno.serve({ hostname: "127.0.0.1", port: Number(portArg), onListen: () => console.log("listening") }, async (req) => {
  const raw = new Uint8Array(await req.arrayBuffer());
  let valid = false;
  try {
    valid = await crypto.subtle.verify("HMAC", key, fromBase64(req.headers.get("x-jobber-hmac-sha256") ?? ""), raw);
  } catch {
    valid = false;
  }
  if (!valid) return new Response(null, { status: 401 });
  const event = JSON.parse(new TextDecoder().decode(raw)).data.webHookEvent;
  const inserted = await sql`
    insert into bench.bare_webhook_events (account_id, topic, item_id, occurred_at)
    values (${event.accountId}, ${event.topic}, ${event.itemId}, ${event.occurredAt ?? event.occuredAt})
    on conflict do nothing returning 1`;
  return Response.json({ received: true, duplicate: inserted.length === 0 });
});
