import { z } from "zod";

/**
 * The sandbox's fixed local credentials (README). Documented placeholders, shaped like the real
 * ones where the APIs check the shape, and never anything that could be a real key.
 */
export const LOCAL_MESSAGING = {
  twilioAccountSid: "AC00000000000000000000000000000001",
  twilioAuthToken: "local-sandbox-twilio-auth-token",
  twilioMessagingServiceSid: "MG00000000000000000000000000000001",
  /** Twilio's own "valid From" test number; also the number behind the local Messaging Service. */
  twilioFromNumber: "+15005550006",
  resendApiKey: "re_local_sandbox_key",
  /** whsec_ + base64("blipp-local-messaging-sandbox-secret") */
  resendWebhookSecret: "whsec_YmxpcHAtbG9jYWwtbWVzc2FnaW5nLXNhbmRib3gtc2VjcmV0",
  emailFrom: "Blipp Reviews <reviews@blipp.local>",
} as const;

export interface MessagingSandboxOptions {
  port: number;
  accountSid: string;
  authToken: string;
  messagingServiceSid: string;
  /** Our Twilio numbers; the first is the Messaging Service's sender pool. */
  numbers: string[];
  resendApiKey: string;
  resendWebhookSecret: string;
  /** Where inbound texts go (Twilio: the number's / service's incoming-message URL). */
  smsInboundUrl: string;
  /** Where Resend's events go (Resend: the webhook endpoint configured in its dashboard). */
  emailWebhookUrl: string;
  quiet: boolean;
}

export const DEFAULT_OPTIONS: MessagingSandboxOptions = {
  port: 54340,
  accountSid: LOCAL_MESSAGING.twilioAccountSid,
  authToken: LOCAL_MESSAGING.twilioAuthToken,
  messagingServiceSid: LOCAL_MESSAGING.twilioMessagingServiceSid,
  numbers: [LOCAL_MESSAGING.twilioFromNumber],
  resendApiKey: LOCAL_MESSAGING.resendApiKey,
  resendWebhookSecret: LOCAL_MESSAGING.resendWebhookSecret,
  smsInboundUrl: "http://127.0.0.1:54321/functions/v1/sms-webhook",
  emailWebhookUrl: "http://127.0.0.1:54321/functions/v1/email-webhook",
  quiet: false,
};

export function resolveOptions(partial: Partial<MessagingSandboxOptions> = {}): MessagingSandboxOptions {
  const merged = { ...DEFAULT_OPTIONS };
  for (const [key, value] of Object.entries(partial)) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

const url = z.string().trim().pipe(z.url());

// Validated once at start-up so a typo fails fast and names the variable.
const EnvSchema = z.object({
  MESSAGING_SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, "must be AC followed by 32 hex characters").optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  TWILIO_MESSAGING_SERVICE_SID: z.string().regex(/^MG[0-9a-fA-F]{32}$/, "must be MG followed by 32 hex characters")
    .optional(),
  TWILIO_FROM_NUMBER: z.string().regex(/^\+[1-9]\d{6,14}$/, "must be an E.164 number").optional(),
  RESEND_API_KEY: z.string().startsWith("re_").optional(),
  RESEND_WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, "must be whsec_ followed by base64")
    .optional(),
  SMS_WEBHOOK_URL: url.optional(),
  EMAIL_WEBHOOK_URL: url.optional(),
});

export function optionsFromEnv(env: Record<string, string | undefined>): Partial<MessagingSandboxOptions> {
  const picked = Object.fromEntries(Object.keys(EnvSchema.shape).map((k) => [k, env[k] === "" ? undefined : env[k]]));
  const parsed = EnvSchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Invalid environment variable ${String(issue?.path[0] ?? "environment")}: ${issue?.message ?? "invalid"}`);
  }
  const e = parsed.data;
  const out: Partial<MessagingSandboxOptions> = {};
  if (e.MESSAGING_SANDBOX_PORT !== undefined) out.port = e.MESSAGING_SANDBOX_PORT;
  if (e.TWILIO_ACCOUNT_SID !== undefined) out.accountSid = e.TWILIO_ACCOUNT_SID;
  if (e.TWILIO_AUTH_TOKEN !== undefined) out.authToken = e.TWILIO_AUTH_TOKEN;
  if (e.TWILIO_MESSAGING_SERVICE_SID !== undefined) out.messagingServiceSid = e.TWILIO_MESSAGING_SERVICE_SID;
  if (e.TWILIO_FROM_NUMBER !== undefined) out.numbers = [e.TWILIO_FROM_NUMBER];
  if (e.RESEND_API_KEY !== undefined) out.resendApiKey = e.RESEND_API_KEY;
  if (e.RESEND_WEBHOOK_SECRET !== undefined) out.resendWebhookSecret = e.RESEND_WEBHOOK_SECRET;
  if (e.SMS_WEBHOOK_URL !== undefined) out.smsInboundUrl = e.SMS_WEBHOOK_URL;
  if (e.EMAIL_WEBHOOK_URL !== undefined) out.emailWebhookUrl = e.EMAIL_WEBHOOK_URL;
  return out;
}
