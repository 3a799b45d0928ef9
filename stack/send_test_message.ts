// `npm run send-test-message -- --to +15555550123 [--email sam@example.com] [--body "…"]`: sends one
// review-style text (and email) through the sender interface with the same provider settings the
// running `npm start` gave the functions, so it shows up on the messaging sandbox's page with its
// link (or reaches a real phone when real Twilio / Resend are configured).
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bytesToBase64Url } from "../supabase/functions/_shared/crypto.ts";
import { loadMessagingConfig, unsubscribeUrlFor } from "../supabase/functions/_shared/messaging/config.ts";
import { deliver } from "../supabase/functions/_shared/messaging/dispatch.ts";
import { PacerRegistry } from "../supabase/functions/_shared/messaging/pacer.ts";
import { createSenders } from "../supabase/functions/_shared/messaging/senders.ts";
import { readSettings } from "./settings.ts";
import type { StackInfo } from "./stack.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { to: { type: "string" }, email: { type: "string" }, body: { type: "string" }, link: { type: "string" } },
});
if (!values.to && !values.email) {
  console.error("Usage: npm run send-test-message -- --to +15555550123 [--email sam@example.com] [--body text] [--link url]");
  Deno.exit(2);
}

const settings = readSettings(Deno.env.toObject());
let info: StackInfo;
try {
  info = JSON.parse(await Deno.readTextFile(join(settings.dataDir, "stack.json")));
} catch {
  console.error(`error: no running stack found (${join(settings.dataDir, "stack.json")}); start it with npm start first`);
  Deno.exit(1);
}

const config = loadMessagingConfig(info.functionsEnv, info.supabaseUrl);
const senders = createSenders(config, { fetch, now: () => new Date() });
const token = () => bytesToBase64Url(crypto.getRandomValues(new Uint8Array(16)));
// The customer's tracked review link (SPEC §10); an unknown token just lands on the dashboard.
const link = values.link ?? `${config.publicFunctionsUrl}/review-link?t=${token()}`;
const pacers = new PacerRegistry();
const id = crypto.randomUUID();

if (values.to) {
  const body = values.body ?? `Hi, thanks for choosing Brightside Cleaning! How did we do? ${link} Reply STOP to opt out`;
  const result = await deliver(senders.sms, { channel: "sms", id, to: values.to, body }, { pacers });
  console.log(`sms to ${values.to}: ${JSON.stringify(result)}`);
}
if (values.email) {
  const result = await deliver(senders.email, {
    channel: "email",
    id: crypto.randomUUID(),
    to: values.email,
    subject: "How did Brightside Cleaning do?",
    html: `<p>Hi, thanks for choosing Brightside Cleaning!</p><p><a href="${link}">Tell us how we did</a></p>`,
    text: `Hi, thanks for choosing Brightside Cleaning! Tell us how we did: ${link}`,
    unsubscribeUrl: unsubscribeUrlFor(config, token()),
  }, { pacers });
  console.log(`email to ${values.email}: ${JSON.stringify(result)}`);
}
if (info.messagingSandboxUrl) console.log(`open ${info.messagingSandboxUrl}/ to see it`);
