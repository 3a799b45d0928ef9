// Integration and browser tests of messaging: the sender interface (the same modules the Edge
// Functions run) pointed at the running messaging sandbox, and a local receiver for what the
// sandbox sends back (status callbacks, inbound texts, Resend events, one-click unsubscribes).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadMessagingConfig } from '../../supabase/functions/_shared/messaging/config.ts';
import { createSenders } from '../../supabase/functions/_shared/messaging/senders.ts';
import { LOCAL_MESSAGING } from '../../stack/messaging-sandbox/options.ts';
import { control } from '../../stack/sandbox_testing.ts';
import { stack } from './stack';

export { LOCAL_MESSAGING };

export function sandboxEnv(): Record<string, string> {
  const base = stack.messagingSandboxUrl;
  return {
    TWILIO_API_BASE: base,
    TWILIO_ACCOUNT_SID: LOCAL_MESSAGING.twilioAccountSid,
    TWILIO_AUTH_TOKEN: LOCAL_MESSAGING.twilioAuthToken,
    TWILIO_FROM_NUMBER: LOCAL_MESSAGING.twilioFromNumber,
    RESEND_API_BASE: base,
    RESEND_API_KEY: LOCAL_MESSAGING.resendApiKey,
    RESEND_WEBHOOK_SECRET: LOCAL_MESSAGING.resendWebhookSecret,
    EMAIL_FROM: LOCAL_MESSAGING.emailFrom,
  };
}

/** Senders configured exactly as the stack configures the functions' (plus any fetch wrapper). */
export function sandboxSenders(opts: { fetch?: typeof fetch; env?: Record<string, string> } = {}) {
  const config = loadMessagingConfig({ ...sandboxEnv(), ...opts.env }, stack.supabaseUrl);
  return { config, ...createSenders(config, { fetch: opts.fetch ?? fetch, now: () => new Date() }) };
}

/** The messaging sandbox's control API: its status and body, whatever the status. */
export const sandbox = (method: string, path: string, body?: unknown) => control({ url: stack.messagingSandboxUrl }, method, path, body);

export interface Hit {
  path: string;
  url: string;
  body: string;
  headers: IncomingHttpHeaders;
}

/** An HTTP endpoint on this machine that records every request and answers `status`. */
export async function startReceiver(status = 200) {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${req.url ?? '/'}`;
      hits.push({ path: new URL(url).pathname, url, body, headers: req.headers });
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    hits,
    on: (path: string) => hits.filter((h) => h.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function until<T>(check: () => T | undefined | false | null, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('Timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const formOf = (hit: Hit): Record<string, string> => Object.fromEntries(new URLSearchParams(hit.body));
