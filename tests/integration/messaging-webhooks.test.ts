// The messaging webhooks end to end: review messages sent through the sender interface to the
// messaging sandbox, whose signed status callbacks, inbound texts, Resend events and one-click
// unsubscribes land at the stack's sms-webhook, email-webhook and review-unsubscribe (through the
// gateway, so the functions check signatures over the public URL, not the one they receive).
// Signatures are also made with the providers' own libraries (twilio, svix), independent of the
// sandbox's code and ours. "Sending" is done here as the review-message worker does it: mark the
// message sending, call the sender, record the provider's answer.
import twilio from 'twilio';
import { Webhook } from 'svix';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unsubscribeUrlFor } from '../../supabase/functions/_shared/messaging/config.ts';
import { deliver } from '../../supabase/functions/_shared/messaging/dispatch.ts';
import { PacerRegistry } from '../../supabase/functions/_shared/messaging/pacer.ts';
import { cleanup } from '../support/jobber_fixtures';
import { LOCAL_MESSAGING, sandbox, sandboxSenders } from '../support/messaging';
import {
  askedCustomer,
  markSending,
  messageRow,
  optOuts,
  recordAccepted,
  reviewBusiness,
  usability,
  type AskedCustomer,
} from '../support/review_fixtures';
import { adminSql, signedInClient, stack } from '../support/stack';

const admin = adminSql();
const created = { businessIds: [] as string[], userIds: [] as string[] };
const SMS_WEBHOOK = () => `${stack.supabaseUrl}/functions/v1/sms-webhook`;
const EMAIL_WEBHOOK = () => `${stack.supabaseUrl}/functions/v1/email-webhook`;

beforeEach(async () => {
  await sandbox('POST', '/reset', {});
  await sandbox('PUT', '/faults', { lifecycle: { sentAfterMs: 50, deliveredAfterMs: 250 } });
});

afterEach(async () => {
  await sandbox('POST', '/reset', {});
});

afterAll(async () => {
  await cleanup(admin, created);
  await admin.end();
});

/** A mobile number no other test uses (not in the sandbox's scripted 555-01XX range). */
function phone(): string {
  return `+1646${String(2_000_000 + Math.floor(Math.random() * 7_999_999))}`;
}

async function business(channels: Array<'sms' | 'email'>, name = 'Messaging Webhooks Co') {
  const b = await reviewBusiness(admin, { channels, name, senderName: name });
  created.businessIds.push(b.businessId);
  created.userIds.push(b.user.id);
  return b;
}

async function eventually<T>(check: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The worker's part: mark sending, send through the sender (StatusCallback: the stack's sms-webhook), record the answer. */
async function sendSms(asked: AskedCustomer, step = 0) {
  const message = asked.messages[step]!;
  const { sms } = sandboxSenders();
  await markSending(admin, message.id);
  const body = `Hi Sam, how did we do? ${stack.supabaseUrl}/functions/v1/review-link?t=${asked.requestId.slice(0, 8)} Reply STOP to opt out`;
  const result = await deliver(sms, { channel: 'sms', id: message.id, to: message.toAddress, body }, { pacers: new PacerRegistry() });
  if (result.kind === 'accepted') await recordAccepted(admin, message.id, 'twilio', result.providerMessageId);
  return result;
}

async function sendEmail(asked: AskedCustomer, step = 0) {
  const message = asked.messages[step]!;
  const { email, config } = sandboxSenders();
  await markSending(admin, message.id);
  const result = await deliver(email, {
    channel: 'email',
    id: message.id,
    to: message.toAddress,
    subject: 'How did we do?',
    html: '<p>Tell us how we did.</p>',
    text: 'Tell us how we did.',
    unsubscribeUrl: unsubscribeUrlFor(config, asked.unsubscribeToken),
  }, { pacers: new PacerRegistry() });
  if (result.kind === 'accepted') await recordAccepted(admin, message.id, 'resend', result.providerMessageId);
  return result;
}

const statusIs = (messageId: string, status: string) => async () => (await messageRow(admin, messageId)).status === status;

describe('SMS through the sandbox to sms-webhook', () => {
  it("Twilio's signed status callbacks move the message to delivered, and every one is answered 200", async () => {
    const b = await business(['sms']);
    const asked = await askedCustomer(admin, b.businessId, { phone: phone() });
    const sent = await sendSms(asked);
    expect(sent.kind).toBe('accepted');
    await eventually(statusIs(asked.messages[0]!.id, 'delivered'), 'the delivered callback');
    const row = await messageRow(admin, asked.messages[0]!.id);
    expect(row.sent_at).toBeInstanceOf(Date);
    expect(row.delivered_at).toBeInstanceOf(Date);
    const [listed] = (await sandbox('GET', `/messages?channel=sms&direction=outbound-api&to=${encodeURIComponent(asked.messages[0]!.toAddress)}`)).body.messages;
    const callbacks = listed.deliveries.filter((d: { what: string }) => d.what === 'sent' || d.what === 'delivered');
    expect(callbacks.map((d: { url: string; result: number }) => [d.url, d.result])).toEqual([
      [SMS_WEBHOOK(), 200],
      [SMS_WEBHOOK(), 200],
    ]);
  });

  it('callbacks delivered twice and newest first still end at delivered', async () => {
    await sandbox('PUT', '/faults', { callbacks: { duplicate: true, reorder: true } });
    const b = await business(['sms']);
    const asked = await askedCustomer(admin, b.businessId, { phone: phone() });
    expect((await sendSms(asked)).kind).toBe('accepted');
    await eventually(statusIs(asked.messages[0]!.id, 'delivered'), 'the reordered callbacks');
    await new Promise((r) => setTimeout(r, 500));
    expect((await messageRow(admin, asked.messages[0]!.id)).status).toBe('delivered');
  });

  it('a landline found on delivery (30006) keeps the error code and marks the phone unusable', async () => {
    const b = await business(['sms']);
    const asked = await askedCustomer(admin, b.businessId, { phone: '+16465550103' });
    expect((await sendSms(asked)).kind).toBe('accepted');
    await eventually(statusIs(asked.messages[0]!.id, 'undelivered'), 'the undelivered callback');
    expect((await messageRow(admin, asked.messages[0]!.id)).error_code).toBe('30006');
    expect((await usability(admin, asked.customerId)).phone_usable).toBe(false);
  });

  it('replying STOP on the sandbox phone records the opt-out and cancels the follow-up; START lifts it', async () => {
    const b = await business(['sms']);
    const asked = await askedCustomer(admin, b.businessId, { phone: phone() });
    expect((await sendSms(asked)).kind).toBe('accepted');
    const stop = await sandbox('POST', '/reply', { from: asked.messages[0]!.toAddress, body: ' stop ' });
    expect(stop.body).toMatchObject({ keyword: 'STOP', webhookStatus: 200 });
    expect(await optOuts(admin, b.businessId)).toEqual([{ channel: 'sms', address: asked.messages[0]!.toAddress, source: 'sms_stop' }]);
    expect(await messageRow(admin, asked.messages[1]!.id)).toMatchObject({ status: 'cancelled', cancel_reason: 'opted_out' });

    const start = await sandbox('POST', '/reply', { from: asked.messages[0]!.toAddress, body: 'START' });
    expect(start.body).toMatchObject({ keyword: 'START', webhookStatus: 200 });
    expect(await optOuts(admin, b.businessId)).toEqual([]);
  });

  it("a reply that is not a keyword ('Stop please') is kept for the business that texted", async () => {
    const b = await business(['sms']);
    const asked = await askedCustomer(admin, b.businessId, { phone: phone() });
    expect((await sendSms(asked)).kind).toBe('accepted');
    const reply = await sandbox('POST', '/reply', { from: asked.messages[0]!.toAddress, body: 'Stop please' });
    expect(reply.body).toMatchObject({ keyword: null, webhookStatus: 200 });
    const rows = await admin<{ business_id: string; customer_id: string; message_id: string; body: string }[]>`
      select business_id, customer_id, message_id, body from public.review_replies where provider_message_id = ${reply.body.message.id}`;
    expect(rows.map((r) => ({ ...r }))).toEqual([
      { business_id: b.businessId, customer_id: asked.customerId, message_id: asked.messages[0]!.id, body: 'Stop please' },
    ]);
    expect(await optOuts(admin, b.businessId)).toEqual([]);
  });

  it('a send to a number that replied STOP is refused 21610 once, recorded as an opt-out, and not retried', async () => {
    const number = phone();
    const first = await business(['sms'], 'First Texter');
    const askedFirst = await askedCustomer(admin, first.businessId, { phone: number });
    expect((await sendSms(askedFirst)).kind).toBe('accepted');
    expect((await sandbox('POST', '/reply', { from: number, body: 'STOP' })).body.webhookStatus).toBe(200);

    // Another business sharing the sender, which never texted this number, tries now.
    const second = await business(['sms'], 'Second Texter');
    expect(await optOuts(admin, second.businessId)).toEqual([]);
    const asked = await askedCustomer(admin, second.businessId, { phone: number });
    const refused = await sendSms(asked);
    expect(refused).toMatchObject({ kind: 'refused', code: '21610', contactEffect: 'opted_out', attempts: 1 });
    // The worker records the refusal and what it means for the contact.
    await admin`select private.review_message_advance(${asked.messages[0]!.id}, 'failed', now(), '21610', ${refused.kind === 'refused' ? refused.reason : ''})`;
    await admin`select private.review_contact_effect(${asked.messages[0]!.id}, 'opted_out')`;
    expect(await optOuts(admin, second.businessId)).toEqual([{ channel: 'sms', address: number, source: 'sms_stop' }]);
    expect(await messageRow(admin, asked.messages[1]!.id)).toMatchObject({ status: 'cancelled', cancel_reason: 'opted_out' });
    const counters = (await sandbox('GET', '/counters')).body;
    expect(counters.twilio.refused).toEqual({ '21610': 1 });
  });

  it("twilio's own signature is accepted over the public URL, and refused over any other", async () => {
    const b = await business(['sms']);
    const asked = await askedCustomer(admin, b.businessId, { phone: phone() });
    const sid = `SM${crypto.randomUUID().replaceAll('-', '')}`;
    await markSending(admin, asked.messages[0]!.id);
    await recordAccepted(admin, asked.messages[0]!.id, 'twilio', sid);
    const params = {
      AccountSid: LOCAL_MESSAGING.twilioAccountSid,
      ApiVersion: '2010-04-01',
      From: LOCAL_MESSAGING.twilioFromNumber,
      MessageSid: sid,
      MessageStatus: 'delivered',
      SmsSid: sid,
      SmsStatus: 'delivered',
      To: asked.messages[0]!.toAddress,
    };
    const post = (signature: string) =>
      fetch(SMS_WEBHOOK(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: new URLSearchParams(params).toString(),
      });
    const internalUrl = `http://127.0.0.1:1/sms-webhook`;
    const wrong = await post(twilio.getExpectedTwilioSignature(LOCAL_MESSAGING.twilioAuthToken, internalUrl, params));
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error.code).toBe('invalid_signature');
    expect((await messageRow(admin, asked.messages[0]!.id)).status).toBe('queued');
    const right = await post(twilio.getExpectedTwilioSignature(LOCAL_MESSAGING.twilioAuthToken, SMS_WEBHOOK(), params));
    expect(right.status).toBe(200);
    expect(right.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(await right.text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    expect((await messageRow(admin, asked.messages[0]!.id)).status).toBe('delivered');
  });
});

describe('email through the sandbox to email-webhook and review-unsubscribe', () => {
  it("Resend's Svix-signed events move the email to delivered", async () => {
    const b = await business(['email']);
    const asked = await askedCustomer(admin, b.businessId, { email: `sam.${crypto.randomUUID().slice(0, 8)}@example.com` });
    expect((await sendEmail(asked)).kind).toBe('accepted');
    await eventually(statusIs(asked.messages[0]!.id, 'delivered'), 'email.delivered');
  });

  it('a bounce marks the address unusable; a complaint opts it out', async () => {
    const b = await business(['email']);
    const bouncing = await askedCustomer(admin, b.businessId, { email: `bounce+${crypto.randomUUID().slice(0, 8)}@example.com`, name: 'Bo' });
    expect((await sendEmail(bouncing)).kind).toBe('accepted');
    await eventually(statusIs(bouncing.messages[0]!.id, 'undelivered'), 'email.bounced');
    expect((await usability(admin, bouncing.customerId)).email_usable).toBe(false);

    const complaining = await askedCustomer(admin, b.businessId, { email: `complain+${crypto.randomUUID().slice(0, 8)}@example.com`, name: 'Cy' });
    expect((await sendEmail(complaining)).kind).toBe('accepted');
    await eventually(async () => (await optOuts(admin, b.businessId)).some((o) => o.source === 'email_complaint'), 'email.complained');
    expect(await messageRow(admin, complaining.messages[1]!.id)).toMatchObject({ status: 'cancelled', cancel_reason: 'opted_out' });
  });

  it("events signed with svix's own library are accepted; stale or tampered ones are refused", async () => {
    const b = await business(['email']);
    const asked = await askedCustomer(admin, b.businessId, { email: `svix.${crypto.randomUUID().slice(0, 8)}@example.com` });
    const emailId = crypto.randomUUID();
    await markSending(admin, asked.messages[0]!.id);
    await recordAccepted(admin, asked.messages[0]!.id, 'resend', emailId);
    const signer = new Webhook(LOCAL_MESSAGING.resendWebhookSecret);
    const body = JSON.stringify({ type: 'email.delivered', created_at: new Date().toISOString(), data: { email_id: emailId, to: ['x'] } });
    const post = (id: string, at: Date, payload: string, signed = payload) =>
      fetch(EMAIL_WEBHOOK(), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'svix-id': id,
          'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
          'svix-signature': signer.sign(id, at, signed),
        },
        body: payload,
      });
    const stale = await post('msg_stale_1', new Date(Date.now() - 6 * 60_000), body);
    expect(stale.status).toBe(401);
    expect((await stale.json()).error.message).toMatch(/more than 5 minutes/);
    const tampered = await post('msg_tampered_1', new Date(), body.replace('email.delivered', 'email.bounced'), body);
    expect(tampered.status).toBe(401);
    expect((await messageRow(admin, asked.messages[0]!.id)).status).toBe('queued');
    const id = `msg_${crypto.randomUUID().slice(0, 12)}`;
    const good = await post(id, new Date(), body);
    expect(good.status).toBe(200);
    expect(await good.json()).toEqual({ received: true, duplicate: false });
    expect((await messageRow(admin, asked.messages[0]!.id)).status).toBe('delivered');
    expect(await (await post(id, new Date(), body)).json()).toEqual({ received: true, duplicate: true });
  });

  it("the inbox's Unsubscribe makes the one-click POST to review-unsubscribe: the address is opted out, and pressing it twice is harmless", async () => {
    const b = await business(['email']);
    const address = `Una.${crypto.randomUUID().slice(0, 8)}@Example.com`;
    const asked = await askedCustomer(admin, b.businessId, { email: address });
    const sent = await sendEmail(asked);
    expect(sent.kind).toBe('accepted');
    const emailId = sent.kind === 'accepted' ? sent.providerMessageId : '';
    const first = await sandbox('POST', `/emails/${emailId}/unsubscribe`);
    expect(first.body.status).toBe(200);
    expect(new URL(first.body.url).searchParams.get('t')).toBe(asked.unsubscribeToken);
    expect(await optOuts(admin, b.businessId)).toEqual([{ channel: 'email', address: address.toLowerCase(), source: 'email_unsubscribe' }]);
    expect(await messageRow(admin, asked.messages[1]!.id)).toMatchObject({ status: 'cancelled', cancel_reason: 'opted_out' });
    expect((await sandbox('POST', `/emails/${emailId}/unsubscribe`)).body.status).toBe(200);
    expect((await optOuts(admin, b.businessId)).length).toBe(1);
  });

  it('a forged unsubscribe token changes nothing', async () => {
    const b = await business(['email']);
    const asked = await askedCustomer(admin, b.businessId, { email: `forged.${crypto.randomUUID().slice(0, 8)}@example.com` });
    const forged = asked.unsubscribeToken.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    const res = await fetch(`${stack.supabaseUrl}/functions/v1/review-unsubscribe?t=${forged}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(res.status).toBe(404);
    expect(await optOuts(admin, b.businessId)).toEqual([]);
  });
});

describe('manual opt-outs, as the card makes them through PostgREST', () => {
  it('an owner adds one (normalised, cancelling what was waiting) and removes it; a member can do neither', async () => {
    const b = await business(['sms']);
    const number = phone();
    const asked = await askedCustomer(admin, b.businessId, { phone: number });
    const owner = await signedInClient(b.user.email);
    const typed = `(${number.slice(2, 5)}) ${number.slice(5, 8)}-${number.slice(8)}`;
    const added = await owner.from('contact_opt_outs').insert({ business_id: b.businessId, channel: 'sms', address: typed, source: 'manual' }).select();
    expect(added.error).toBeNull();
    expect(added.data).toMatchObject([{ channel: 'sms', address: number, source: 'manual', created_by: b.user.id }]);
    expect(await messageRow(admin, asked.messages[0]!.id)).toMatchObject({ status: 'cancelled', cancel_reason: 'opted_out' });

    const [member] = await admin<{ id: string; email: string }[]>`
      insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
      values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', ${`member-${crypto.randomUUID().slice(0, 8)}@conn.test`},
              extensions.crypt('password123', extensions.gen_salt('bf')), now(), '{"provider":"email","providers":["email"]}', '{}', now(), now())
      returning id, email`;
    created.userIds.push(member!.id);
    await admin`insert into public.business_members (business_id, user_id, role) values (${b.businessId}, ${member!.id}, 'member')`;
    const memberClient = await signedInClient(member!.email);
    const denied = await memberClient.from('contact_opt_outs').insert({ business_id: b.businessId, channel: 'email', address: 'x@example.com', source: 'manual' });
    expect(denied.error?.code).toBe('42501');
    const notRemoved = await memberClient.from('contact_opt_outs').delete().eq('business_id', b.businessId).select();
    expect(notRemoved.data).toEqual([]);

    const removed = await owner.from('contact_opt_outs').delete().eq('business_id', b.businessId).eq('address', number).select();
    expect(removed.data).toHaveLength(1);
    expect(await optOuts(admin, b.businessId)).toEqual([]);
  });
});
