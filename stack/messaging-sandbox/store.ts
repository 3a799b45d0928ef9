// The sandbox's memory: every text and email with its history, remembered STOPs and Resend's
// idempotency keys. Reset empties it, so every run starts from the same state.

export type SmsStatus =
  | "accepted"
  | "queued"
  | "sending"
  | "sent"
  | "delivered"
  | "undelivered"
  | "failed"
  | "received";

export interface Delivery {
  /** What was delivered (a status, an event type, "inbound", "unsubscribe"). */
  what: string;
  url: string;
  /** HTTP status, 0 when there was no answer, null while pending; "dropped" by a fault. */
  result: number | "dropped" | null;
  attempt: number;
  at: string;
}

export interface SmsRecord {
  sid: string;
  direction: "outbound-api" | "outbound-reply" | "inbound";
  from: string | null;
  /** The number that sent / the service it was sent through, for STOPs and limits. */
  senderNumber: string;
  messagingServiceSid: string | null;
  to: string;
  body: string;
  status: SmsStatus;
  errorCode: number | null;
  errorMessage: string | null;
  dateCreated: number;
  dateSent: number | null;
  dateUpdated: number;
  statusCallback: string | null;
  numSegments: number;
  history: { status: SmsStatus; at: number }[];
  deliveries: Delivery[];
}

export interface EmailRecord {
  id: string;
  from: string;
  to: string[];
  subject: string;
  html: string | null;
  text: string | null;
  headers: Record<string, string>;
  createdAt: number;
  lastEvent: string;
  events: { type: string; at: number }[];
  deliveries: Delivery[];
  unsubscribes: { url: string; status: number; at: string }[];
}

export interface IdempotentAnswer {
  fingerprint: string;
  status: number;
  body: unknown;
  at: number;
}

export const ERROR_MESSAGES: Record<number, string> = {
  30003: "Unreachable destination handset",
  30005: "Unknown destination handset",
  30006: "Landline or unreachable carrier",
  30007: "Message filtered",
  30008: "Unknown error",
};

/** Segments as Twilio counts them: 160 GSM-7 characters (153 when split), 70 UCS-2 (67 when split). */
export function segmentsOf(body: string): number {
  // deno-lint-ignore no-control-regex
  const gsm = /^[\x0A\x0D\x20-\x7E£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà€]*$/.test(body);
  const length = [...body].length;
  const [single, multi] = gsm ? [160, 153] : [70, 67];
  return length <= single ? 1 : Math.ceil(length / multi);
}

export class Store {
  sms: SmsRecord[] = [];
  emails: EmailRecord[] = [];
  /** `${senderNumber}|${phone}` for every recipient who replied STOP to that sender. */
  stops = new Set<string>();
  idempotency = new Map<string, IdempotentAnswer>();
  inflightKeys = new Set<string>();

  reset(): void {
    this.sms = [];
    this.emails = [];
    this.stops.clear();
    this.idempotency.clear();
    this.inflightKeys.clear();
  }

  findSms(sid: string): SmsRecord | undefined {
    return this.sms.find((m) => m.sid === sid);
  }

  findEmail(id: string): EmailRecord | undefined {
    return this.emails.find((e) => e.id === id);
  }

  isStopped(senderNumber: string, phone: string): boolean {
    return this.stops.has(`${senderNumber}|${phone}`);
  }

  /** Every phone that has a conversation, with its messages oldest first. */
  phones(): Map<string, SmsRecord[]> {
    const phones = new Map<string, SmsRecord[]>();
    for (const m of this.sms) {
      const phone = m.direction === "inbound" ? m.from! : m.to;
      const list = phones.get(phone) ?? [];
      list.push(m);
      phones.set(phone, list);
    }
    return phones;
  }

  inboxes(): Map<string, EmailRecord[]> {
    const inboxes = new Map<string, EmailRecord[]>();
    for (const e of this.emails) {
      for (const to of e.to) {
        const list = inboxes.get(to) ?? [];
        list.push(e);
        inboxes.set(to, list);
      }
    }
    return inboxes;
  }
}

export function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export const newSmsSid = () => `SM${randomHex(16)}`;

/** Twilio's dates: RFC 2822 with a numeric zone, `Sun, 12 Oct 2025 03:27:49 +0000`. */
export function rfc2822(ms: number): string {
  return new Date(ms).toUTCString().replace("GMT", "+0000");
}
