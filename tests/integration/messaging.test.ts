// The sender interface against the running messaging sandbox: what Twilio and Resend would do to
// our sends, and whether what they send back verifies with their own libraries (twilio's
// validateRequest, svix's Webhook) rather than with the sandbox's code.
import twilio from 'twilio';
import { Webhook } from 'svix';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadMessagingConfig } from '../../supabase/functions/_shared/messaging/config.ts';
import { deliver, deliverAll } from '../../supabase/functions/_shared/messaging/dispatch.ts';
import { createSenders } from '../../supabase/functions/_shared/messaging/senders.ts';
import { PacerRegistry } from '../../supabase/functions/_shared/messaging/pacer.ts';
import type { EmailMessage, OutgoingMessage, SmsMessage } from '../../supabase/functions/_shared/messaging/types.ts';
import { formOf, LOCAL_MESSAGING, sandbox, sandboxSenders, startReceiver, until } from '../support/messaging';

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let seq = 0;

beforeAll(async () => {
  receiver = await startReceiver();
});

beforeEach(async () => {
  receiver.hits.length = 0;
  await sandbox('POST', '/reset', {});
  await sandbox('PUT', '/webhooks', { smsInbound: `${receiver.base}/sms-inbound`, emailEvents: `${receiver.base}/email-events` });
  await sandbox('PUT', '/faults', { lifecycle: { sentAfterMs: 50, deliveredAfterMs: 150 } });
});

afterEach(async () => {
  await sandbox('POST', '/reset', {});
});

afterAll(async () => {
  await receiver.close();
});

function sms(overrides: Partial<SmsMessage> = {}): SmsMessage {
  seq++;
  return {
    channel: 'sms',
    id: `msg-${seq}-${Date.now()}`,
    to: '+15555550123',
    body: `Hi Jane, how did we do? https://review.test/r?t=${seq} Reply STOP to opt out`,
    statusCallbackUrl: `${receiver.base}/sms-status`,
    ...overrides,
  };
}

function email(overrides: Partial<EmailMessage> = {}): EmailMessage {
  seq++;
  return {
    channel: 'email',
    id: crypto.randomUUID(),
    to: 'jane@example.com',
    subject: 'How did we do?',
    html: `<p>Tell us: <a href="https://review.test/r?t=${seq}">leave a review</a></p>`,
    text: `Tell us: https://review.test/r?t=${seq}`,
    unsubscribeUrl: `${receiver.base}/unsubscribe?t=u${seq}`,
    ...overrides,
  };
}

async function sandboxSms(to?: string) {
  const { body } = await sandbox('GET', `/messages?channel=sms&direction=outbound-api${to ? `&to=${encodeURIComponent(to)}` : ''}`);
  return body.messages as Array<{ id: string; body: string; status: string }>;
}

describe('Twilio through the sender, against the sandbox', () => {
  it('status callbacks carry an X-Twilio-Signature that twilio.validateRequest accepts, and only for the exact request', async () => {
    const { sms: sender } = sandboxSenders();
    const outcome = await sender.send(sms());
    expect(outcome.kind).toBe('accepted');
    const hits = await until(() => (receiver.on('/sms-status').length >= 2 ? receiver.on('/sms-status') : null));
    expect(hits.map((h) => formOf(h).MessageStatus)).toEqual(['sent', 'delivered']);
    for (const hit of hits) {
      const signature = String(hit.headers['x-twilio-signature']);
      expect(twilio.validateRequest(LOCAL_MESSAGING.twilioAuthToken, signature, hit.url, formOf(hit))).toBe(true);
      expect(twilio.validateRequest(LOCAL_MESSAGING.twilioAuthToken, signature, hit.url, { ...formOf(hit), MessageStatus: 'failed' })).toBe(false);
      expect(twilio.validateRequest('another-auth-token', signature, hit.url, formOf(hit))).toBe(false);
    }
    expect(formOf(hits[0]!).MessageSid).toBe(outcome.kind === 'accepted' ? outcome.providerMessageId : '');
  });

  it('uses the configured sms-webhook URL as StatusCallback when the message names none', async () => {
    const { sms: sender, config } = sandboxSenders();
    await sender.send(sms({ statusCallbackUrl: undefined as never }));
    const [created] = (await sandbox('GET', '/messages?channel=sms')).body.messages;
    expect(created.statusCallback).toBe(config.smsWebhookUrl);
  });

  it('a reply of STOP reaches the inbound URL signed, and the next send is refused 21610 as an opt-out', async () => {
    const { sms: sender } = sandboxSenders();
    const first = sms();
    expect((await sender.send(first)).kind).toBe('accepted');
    const reply = await sandbox('POST', '/reply', { from: first.to, body: 'STOP' });
    expect(reply.body.keyword).toBe('STOP');
    const [inbound] = receiver.on('/sms-inbound');
    expect(formOf(inbound!)).toMatchObject({ Body: 'STOP', OptOutType: 'STOP', From: first.to, To: LOCAL_MESSAGING.twilioFromNumber });
    expect(twilio.validateRequest(LOCAL_MESSAGING.twilioAuthToken, String(inbound!.headers['x-twilio-signature']), inbound!.url, formOf(inbound!))).toBe(true);
    expect(await sender.send(sms())).toEqual({
      kind: 'refused',
      code: '21610',
      reason: 'The recipient replied STOP to this sender',
      contactEffect: 'opted_out',
    });
    await sandbox('POST', '/reply', { from: first.to, body: 'start' });
    expect((await sender.send(sms())).kind).toBe('accepted');
  });

  it('invalid and landline numbers are refused with what it means for the phone', async () => {
    const { sms: sender } = sandboxSenders();
    const invalid = await sender.send(sms({ to: '+12125550101' }));
    expect(invalid).toMatchObject({ kind: 'refused', code: '21211', contactEffect: 'phone_unusable' });
    const landline = await sender.send(sms({ to: '+12125550102' }));
    expect(landline).toMatchObject({ kind: 'refused', code: '21614', contactEffect: 'phone_unusable' });
    expect(await sandboxSms()).toHaveLength(0);
  });

  it('a 429 burst backs off: every message is eventually sent, none twice', async () => {
    const { sms: sender } = sandboxSenders();
    const batch = Array.from({ length: 40 }, () => sms({ statusCallbackUrl: `${receiver.base}/ignored` }));
    const results = await deliverAll(() => sender, batch, { pacers: new PacerRegistry(), concurrency: 4, budgetMs: 60_000 });
    expect(results.every((r) => r.kind === 'accepted')).toBe(true);
    const listed = await sandboxSms();
    expect(listed).toHaveLength(40);
    expect(new Set(listed.map((m) => m.body)).size).toBe(40);
    expect((await sandbox('GET', '/counters')).body.twilio.rateLimited).toBeGreaterThan(0);
  });

  it('provider 5xx without a message is retried and the message sent once', async () => {
    await sandbox('PUT', '/faults', { twilio: { failNext: 2, status: 503 } });
    const { sms: sender } = sandboxSenders();
    const message = sms();
    const result = await deliver(sender, message, { pacers: new PacerRegistry(), random: () => 0 });
    expect(result.kind).toBe('accepted');
    expect((await sandboxSms()).map((m) => m.body)).toEqual([message.body]);
  });

  it('a 5xx after Twilio created the message is resolved by lookup, never sent twice', async () => {
    await sandbox('PUT', '/faults', { twilio: { failAfterCreate: 1 } });
    const { sms: sender } = sandboxSenders();
    const message = sms();
    const result = await deliver(sender, message, { pacers: new PacerRegistry(), random: () => 0 });
    expect(result.kind).toBe('accepted');
    const listed = await sandboxSms();
    expect(listed).toHaveLength(1);
    expect(result.kind === 'accepted' && result.providerMessageId).toBe(listed[0]!.id);
  });

  it('a crash between marking sending and the answer is resolved by lookup: found once, or sent once', async () => {
    // The first process reached Twilio, then died before reading the answer.
    const crashing: typeof fetch = async (input, init) => {
      await fetch(input, init);
      throw new TypeError('error sending request: connection closed before message completed');
    };
    const message = sms();
    const attemptedAt = new Date();
    const lost = await sandboxSenders({ fetch: crashing }).sms.send(message);
    expect(lost).toMatchObject({ kind: 'retry', maybeAccepted: true });
    // A fresh process finds the message `sending` and asks Twilio instead of re-sending.
    const { sms: sender } = sandboxSenders();
    const found = await sender.resolveUnknown(message, attemptedAt);
    expect(found).toMatchObject({ kind: 'found' });
    const again = await deliver(sender, message, { pacers: new PacerRegistry(), resolveFirst: true, attemptedAt });
    expect(again.kind).toBe('accepted');
    expect(await sandboxSms()).toHaveLength(1);

    // The first process died before the request left: the lookup finds nothing and it is sent once.
    const never = sms();
    expect(await sender.resolveUnknown(never, new Date())).toEqual({ kind: 'not_sent' });
    const sent = await deliver(sender, never, { pacers: new PacerRegistry(), resolveFirst: true, attemptedAt: new Date() });
    expect(sent.kind).toBe('accepted');
    expect((await sandboxSms()).filter((m) => m.body === never.body)).toHaveLength(1);
  });
});

describe('Resend through the sender, against the sandbox', () => {
  it('events carry Svix signatures that svix.Webhook verifies, and tampering is caught', async () => {
    const { email: sender } = sandboxSenders();
    const outcome = await sender.send(email());
    expect(outcome).toMatchObject({ kind: 'accepted', status: 'queued' });
    const hits = await until(() => (receiver.on('/email-events').length >= 2 ? receiver.on('/email-events') : null));
    const verifier = new Webhook(LOCAL_MESSAGING.resendWebhookSecret);
    const headers = (h: (typeof hits)[number]) => ({
      'svix-id': String(h.headers['svix-id']),
      'svix-timestamp': String(h.headers['svix-timestamp']),
      'svix-signature': String(h.headers['svix-signature']),
    });
    // Webhook.verify throws unless the signature and timestamp check out.
    for (const h of hits) expect(() => verifier.verify(h.body, headers(h))).not.toThrow();
    const events = hits.map((h) => JSON.parse(h.body) as { type: string; data: { email_id: string } });
    expect(events.map((e) => e.type)).toEqual(['email.sent', 'email.delivered']);
    expect(events[0]!.data.email_id).toBe(outcome.kind === 'accepted' ? outcome.providerMessageId : '');
    expect(() => verifier.verify(hits[0]!.body.replace('email.sent', 'email.bounced'), headers(hits[0]!))).toThrow();
    expect(() => new Webhook('whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==').verify(hits[0]!.body, headers(hits[0]!))).toThrow();
  });

  it('sends HTML and text with RFC 8058 headers, and the one-click unsubscribe reaches the URL', async () => {
    const { email: sender } = sandboxSenders();
    const message = email();
    const outcome = await sender.send(message);
    const [stored] = (await sandbox('GET', '/messages?channel=email')).body.messages;
    expect(stored).toMatchObject({ html: message.html, text: message.text, unsubscribeUrl: message.unsubscribeUrl });
    expect(stored.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const unsub = await sandbox('POST', `/emails/${outcome.kind === 'accepted' ? outcome.providerMessageId : ''}/unsubscribe`);
    expect(unsub.body.status).toBe(200);
    const [post] = receiver.on('/unsubscribe');
    expect(post!.body).toBe('List-Unsubscribe=One-Click');
  });

  it('a bad address is refused as unusable; a scripted bounce is reported as email.bounced', async () => {
    const { email: sender } = sandboxSenders();
    expect(await sender.send(email({ to: 'jane@@example' }))).toMatchObject({ kind: 'refused', code: 'validation_error', contactEffect: 'email_unusable' });
    await sender.send(email({ to: 'bounce@example.com' }));
    const bounced = await until(() => receiver.on('/email-events').map((h) => JSON.parse(h.body)).find((e) => e.type === 'email.bounced'));
    expect(bounced.data.to).toEqual(['bounce@example.com']);
  });

  it('429s are backed off and a lost answer is resolved with the same Idempotency-Key: each email once', async () => {
    const { email: sender } = sandboxSenders();
    await sandbox('PUT', '/faults', { resend: { failAfterCreate: 1 } });
    const batch = Array.from({ length: 6 }, () => email());
    const results = await deliverAll(() => sender, batch, { pacers: new PacerRegistry(), concurrency: 3, random: () => 0, budgetMs: 60_000 });
    expect(results.every((r) => r.kind === 'accepted')).toBe(true);
    const emails = (await sandbox('GET', '/messages?channel=email')).body.messages;
    expect(emails).toHaveLength(6);
    const counters = (await sandbox('GET', '/counters')).body.resend;
    expect(counters.rateLimited).toBeGreaterThan(0);
    expect(counters.replayed).toBe(1);
  });
});

describe('channels without configuration', () => {
  it('are unavailable and send nothing', async () => {
    const senders = createSenders(loadMessagingConfig({}, 'http://127.0.0.1:54321'), { fetch, now: () => new Date() });
    const messages: OutgoingMessage[] = [sms(), email()];
    expect((await senders.sms.send(messages[0]!)).kind).toBe('unavailable');
    expect((await senders.email.send(messages[1]!)).kind).toBe('unavailable');
    expect((await sandbox('GET', '/messages')).body.messages).toHaveLength(0);
  });
});
