// Review requests and messages for the messaging tests, made the only way requests are made: a
// completion inserted for a connected business with review requests on, decided by the SQL trigger.
// "Sending" is what the review-message worker does around a provider call: mark the message
// sending, then record the provider's id. Plain `postgres` only, so the Deno handler tests and the
// vitest integration and browser tests can all use it, through a superuser connection.
import type postgres from 'postgres';
import { createTenant, type Role } from './jobber_fixtures.ts';

type Sql = postgres.Sql;

export interface ReviewBusiness {
  businessId: string;
  user: { id: string; email: string };
}

/** A business connected to Jobber with review requests on, no delay and an all-day send window. */
export async function reviewBusiness(
  sql: Sql,
  options: { name?: string; channels?: Array<'sms' | 'email'>; senderName?: string; role?: Role } = {},
): Promise<ReviewBusiness> {
  const t = await createTenant(sql, options.role ?? 'owner', options.name ?? 'Messaging Test Co');
  await sql`
    insert into public.integrations_jobber (business_id, access_token_secret_id, refresh_token_secret_id, account_id,
                                            account_name, connection_status, connected_at)
    values (${t.businessId}, gen_random_uuid(), gen_random_uuid(), ${`acct-${t.businessId}`}, 'Messaging Jobber', 'connected', now())`;
  await sql`
    update public.review_settings set enabled = true, review_url = 'https://example.com/review', delay_minutes = 0,
      channels = ${options.channels ?? ['sms', 'email']}, send_window_start = '00:00', send_window_end = '23:59',
      sender_name = ${options.senderName ?? null}
    where business_id = ${t.businessId}`;
  return t;
}

export interface AskedCustomer {
  customerId: string;
  requestId: string;
  unsubscribeToken: string;
  /** Step 0 first. */
  messages: Array<{ id: string; step: number; channel: 'sms' | 'email'; toAddress: string }>;
}

/** A customer of the business whose job was just completed, so the engine asked them. */
export async function askedCustomer(
  sql: Sql,
  businessId: string,
  contact: { phone?: string | null; email?: string | null; name?: string },
): Promise<AskedCustomer> {
  const [c] = await sql<{ id: string }[]>`
    insert into public.customers (business_id, source, external_id, full_name, phone, email)
    values (${businessId}, 'jobber', ${`client-${crypto.randomUUID()}`}, ${contact.name ?? 'Sam Sample'},
            ${contact.phone ?? null}, ${contact.email ?? null})
    returning id`;
  const [j] = await sql<{ id: string }[]>`
    insert into public.jobs (business_id, external_id, customer_id, title, job_status)
    values (${businessId}, ${`job-${crypto.randomUUID()}`}, ${c!.id}, 'Messaging test job', 'requires_invoicing')
    returning id`;
  await sql`
    insert into public.job_completions (business_id, job_id, customer_id, kind, completed_at, source)
    values (${businessId}, ${j!.id}, ${c!.id}, 'job_closed', now(), 'webhook')`;
  const [r] = await sql<{ id: string; unsubscribe_token: string }[]>`
    select id, unsubscribe_token from public.review_requests where job_id = ${j!.id}`;
  if (!r) {
    const [d] = await sql<{ reason: string }[]>`select reason from public.review_decisions where job_id = ${j!.id}`;
    throw new Error(`The customer was not asked: ${d?.reason ?? 'no decision'}`);
  }
  const messages = await sql<{ id: string; step: number; channel: 'sms' | 'email'; to_address: string }[]>`
    select id, step, channel, to_address from public.review_messages where request_id = ${r.id} order by step`;
  return {
    customerId: c!.id,
    requestId: r.id,
    unsubscribeToken: r.unsubscribe_token,
    messages: messages.map((m) => ({ id: m.id, step: m.step, channel: m.channel, toAddress: m.to_address })),
  };
}

/** What the worker does before the provider call. */
export async function markSending(sql: Sql, messageId: string): Promise<void> {
  await sql`select private.review_message_advance(${messageId}, 'sending')`;
}

/** What the worker does with the provider's answer: the message is queued under its id. */
export async function recordAccepted(sql: Sql, messageId: string, provider: 'twilio' | 'resend', providerMessageId: string) {
  await sql`select private.review_message_advance(${messageId}, 'queued', now(), null, null, ${provider}, ${providerMessageId})`;
}

/** Both, for a message the provider took. */
export async function markSent(sql: Sql, messageId: string, provider: 'twilio' | 'resend', providerMessageId: string) {
  await markSending(sql, messageId);
  await recordAccepted(sql, messageId, provider, providerMessageId);
}

export interface MessageRow {
  status: string;
  error_code: string | null;
  error_message: string | null;
  provider_message_id: string | null;
  sent_at: Date | null;
  delivered_at: Date | null;
  cancel_reason: string | null;
}

export async function messageRow(sql: Sql, messageId: string): Promise<MessageRow> {
  const [m] = await sql<MessageRow[]>`
    select status, error_code, error_message, provider_message_id, sent_at, delivered_at, cancel_reason
    from public.review_messages where id = ${messageId}`;
  return m!;
}

/** The business's opt-outs as plain objects (channel, then address). */
export async function optOuts(sql: Sql, businessId: string): Promise<Array<{ channel: string; address: string; source: string }>> {
  const rows = await sql<{ channel: string; address: string; source: string }[]>`
    select channel, address, source from public.contact_opt_outs where business_id = ${businessId} order by channel, address`;
  return rows.map((r) => ({ channel: r.channel, address: r.address, source: r.source }));
}

export async function usability(sql: Sql, customerId: string) {
  const [c] = await sql<{ phone_usable: boolean; email_usable: boolean }[]>`
    select phone_usable, email_usable from public.customers where id = ${customerId}`;
  return c!;
}

/** A Twilio-shaped message SID (SM + 32 hex), unique per call. */
export function smsSid(): string {
  return `SM${crypto.randomUUID().replaceAll('-', '')}`;
}
