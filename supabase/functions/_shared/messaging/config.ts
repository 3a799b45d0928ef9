// Messaging configuration (SPEC §11), validated once at start-up like ../config.ts, failing with the
// variable's name and never quoting a secret back. A channel is available only when all of its
// variables are set; none set means "unavailable", a partial set is an error naming what is missing,
// so a typo cannot silently turn a channel off. Functions that never send are unaffected by an
// unconfigured channel.
import { ConfigError, type Env } from "../config_error.ts";

export interface TwilioConfig {
  /** Origin of the Messages API, without a trailing slash (real: https://api.twilio.com). */
  readonly apiBase: string;
  readonly accountSid: string;
  readonly authToken: string;
  /** Exactly one of these identifies who sends. */
  readonly messagingServiceSid: string | null;
  readonly fromNumber: string | null;
}

export interface ResendConfig {
  readonly apiBase: string;
  readonly apiKey: string;
  /** `whsec_…`; email-webhook verifies Resend's Svix signatures with it. */
  readonly webhookSecret: string;
  /** `addr@example.com` or `Name <addr@example.com>`. */
  readonly from: string;
}

export interface MessagingConfig {
  readonly twilio: TwilioConfig | null;
  readonly resend: ResendConfig | null;
  /**
   * The functions' public base as providers see it. Behind the gateway the request URL a function
   * receives differs from the one Twilio called (and signed), so the public one is configured.
   */
  readonly publicFunctionsUrl: string;
  /** Twilio's StatusCallback, and the URL sms-webhook checks X-Twilio-Signature against. */
  readonly smsWebhookUrl: string;
  /** The RFC 8058 one-click target carried in List-Unsubscribe. */
  readonly reviewUnsubscribeUrl: string;
  /**
   * The tracked review link's base; messages carry `<base>?t=<link token>`. REVIEW_LINK_BASE (a
   * short custom domain that forwards to review-link, say), else `<PUBLIC_FUNCTIONS_URL>/review-link`.
   */
  readonly reviewLinkBase: string;
}

/** The link's base is part of every text's 320 characters; longer would crowd out the message. */
export const REVIEW_LINK_BASE_MAX_LENGTH = 120;

function reviewLinkBase(env: Env, publicFunctionsUrl: string): string {
  const raw = value(env, "REVIEW_LINK_BASE");
  if (raw === undefined) return `${publicFunctionsUrl}/review-link`;
  const base = httpUrl("REVIEW_LINK_BASE", raw);
  const url = new URL(base);
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(
      "REVIEW_LINK_BASE",
      `must be a plain URL with no query, fragment or credentials (the token is added as ?t=), got ${JSON.stringify(raw)}`,
    );
  }
  if (base.length > REVIEW_LINK_BASE_MAX_LENGTH) {
    throw new ConfigError(
      "REVIEW_LINK_BASE",
      `must be at most ${REVIEW_LINK_BASE_MAX_LENGTH} characters: every review text carries it, got ${base.length}`,
    );
  }
  return base;
}

export const MESSAGING_DEFAULTS = {
  TWILIO_API_BASE: "https://api.twilio.com",
  RESEND_API_BASE: "https://api.resend.com",
} as const;

const TWILIO_CREDENTIALS = ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"] as const;
const TWILIO_SENDERS = ["TWILIO_MESSAGING_SERVICE_SID", "TWILIO_FROM_NUMBER"] as const;
const RESEND_VARIABLES = ["RESEND_API_KEY", "RESEND_WEBHOOK_SECRET", "EMAIL_FROM"] as const;

const E164 = /^\+[1-9]\d{6,14}$/;
const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;

function value(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === "" ? undefined : v;
}

function clean(name: string, v: string, secret: boolean): string {
  if (v !== v.trim()) {
    throw new ConfigError(
      name,
      secret ? "has leading or trailing whitespace; paste it again without spaces or newlines" : "has leading or trailing whitespace; remove it",
    );
  }
  return v;
}

function httpUrl(name: string, raw: string): string {
  clean(name, raw, false);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(name, `must use http or https, got ${JSON.stringify(url.protocol)}`);
  }
  return url.href.replace(/\/+$/, "");
}

function missingOf(env: Env, names: readonly string[]): string[] {
  return names.filter((n) => value(env, n) === undefined);
}

function partial(channel: string, missing: string[]): ConfigError {
  const list = missing.join(", ");
  return new ConfigError(
    missing[0]!,
    `is required: ${channel} is partly configured (missing ${list}); set every ${channel} variable or none`,
  );
}

export function loadTwilioConfig(env: Env): TwilioConfig | null {
  const set = [...TWILIO_CREDENTIALS, ...TWILIO_SENDERS].filter((n) => value(env, n) !== undefined);
  if (set.length === 0) return null;
  const missing = missingOf(env, TWILIO_CREDENTIALS);
  const service = value(env, "TWILIO_MESSAGING_SERVICE_SID");
  const from = value(env, "TWILIO_FROM_NUMBER");
  if (!service && !from) missing.push("TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER");
  if (missing.length > 0) throw partial("Twilio SMS", missing);
  if (service && from) {
    throw new ConfigError(
      "TWILIO_FROM_NUMBER",
      "must not be set together with TWILIO_MESSAGING_SERVICE_SID; the Messaging Service chooses the sender, so set one of them",
    );
  }
  const accountSid = clean("TWILIO_ACCOUNT_SID", value(env, "TWILIO_ACCOUNT_SID")!, false);
  if (!/^AC[0-9a-fA-F]{32}$/.test(accountSid)) {
    throw new ConfigError("TWILIO_ACCOUNT_SID", "must be AC followed by 32 hexadecimal characters");
  }
  const authToken = clean("TWILIO_AUTH_TOKEN", value(env, "TWILIO_AUTH_TOKEN")!, true);
  if (service !== undefined) {
    clean("TWILIO_MESSAGING_SERVICE_SID", service, false);
    if (!/^MG[0-9a-fA-F]{32}$/.test(service)) {
      throw new ConfigError("TWILIO_MESSAGING_SERVICE_SID", "must be MG followed by 32 hexadecimal characters");
    }
  }
  if (from !== undefined) {
    clean("TWILIO_FROM_NUMBER", from, false);
    if (!E164.test(from)) {
      throw new ConfigError("TWILIO_FROM_NUMBER", `must be an E.164 number such as +15005550006, got ${JSON.stringify(from)}`);
    }
  }
  return Object.freeze({
    apiBase: httpUrl("TWILIO_API_BASE", value(env, "TWILIO_API_BASE") ?? MESSAGING_DEFAULTS.TWILIO_API_BASE),
    accountSid,
    authToken,
    messagingServiceSid: service ?? null,
    fromNumber: from ?? null,
  });
}

/** The address inside `Name <addr>` or a bare address; null when it is neither. */
export function emailAddressOf(from: string): string | null {
  const angle = /^[^<>]*<([^<>]+)>$/.exec(from.trim());
  const address = (angle ? angle[1]! : from).trim();
  return EMAIL.test(address) ? address : null;
}

export function loadResendConfig(env: Env): ResendConfig | null {
  const set = RESEND_VARIABLES.filter((n) => value(env, n) !== undefined);
  if (set.length === 0) return null;
  const missing = missingOf(env, RESEND_VARIABLES);
  if (missing.length > 0) throw partial("Resend email", missing);
  const apiKey = clean("RESEND_API_KEY", value(env, "RESEND_API_KEY")!, true);
  if (!apiKey.startsWith("re_")) throw new ConfigError("RESEND_API_KEY", "must be a Resend API key (starting with re_)");
  const webhookSecret = clean("RESEND_WEBHOOK_SECRET", value(env, "RESEND_WEBHOOK_SECRET")!, true);
  if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(webhookSecret)) {
    throw new ConfigError("RESEND_WEBHOOK_SECRET", "must be the signing secret Resend shows, whsec_ followed by base64");
  }
  const from = clean("EMAIL_FROM", value(env, "EMAIL_FROM")!, false);
  if (emailAddressOf(from) === null) {
    throw new ConfigError(
      "EMAIL_FROM",
      `must be an address such as reviews@example.com or "Name <reviews@example.com>", got ${JSON.stringify(from)}`,
    );
  }
  return Object.freeze({
    apiBase: httpUrl("RESEND_API_BASE", value(env, "RESEND_API_BASE") ?? MESSAGING_DEFAULTS.RESEND_API_BASE),
    apiKey,
    webhookSecret,
    from,
  });
}

/** Validates the messaging variables; `supabaseUrl` is the already-validated SUPABASE_URL. */
export function loadMessagingConfig(env: Env, supabaseUrl: string): MessagingConfig {
  const publicFunctionsUrl = httpUrl(
    "PUBLIC_FUNCTIONS_URL",
    value(env, "PUBLIC_FUNCTIONS_URL") ?? `${supabaseUrl.replace(/\/+$/, "")}/functions/v1`,
  );
  // Twilio signs the exact URL it called, so a configured webhook URL is kept byte for byte.
  const smsWebhookUrl = value(env, "SMS_WEBHOOK_URL") ?? `${publicFunctionsUrl}/sms-webhook`;
  clean("SMS_WEBHOOK_URL", smsWebhookUrl, false);
  httpUrl("SMS_WEBHOOK_URL", smsWebhookUrl);
  const reviewUnsubscribeUrl = httpUrl(
    "REVIEW_UNSUBSCRIBE_URL",
    value(env, "REVIEW_UNSUBSCRIBE_URL") ?? `${publicFunctionsUrl}/review-unsubscribe`,
  );
  return Object.freeze({
    twilio: loadTwilioConfig(env),
    resend: loadResendConfig(env),
    publicFunctionsUrl,
    smsWebhookUrl,
    reviewUnsubscribeUrl,
    reviewLinkBase: reviewLinkBase(env, publicFunctionsUrl),
  });
}

/** The one-click unsubscribe link for a request's token (the token is minted with the request). */
export function unsubscribeUrlFor(config: Pick<MessagingConfig, "reviewUnsubscribeUrl">, token: string): string {
  const url = new URL(config.reviewUnsubscribeUrl);
  url.searchParams.set("t", token);
  return url.href;
}
