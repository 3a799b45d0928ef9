// Scripted recipients (README "Scripted numbers and addresses"). Numbers use the fictional
// 555-01XX range (reserved for fiction in North America), in any area code.

export type NumberBehaviour =
  | { kind: "mobile" }
  | { kind: "refuse"; code: 21211 | 21614 }
  | { kind: "undelivered"; code: 30003 | 30005 | 30006 | 30007 }
  | { kind: "failed"; code: 30008 };

const E164 = /^\+[1-9]\d{6,14}$/;

export const NUMBER_SCRIPT: Record<string, NumberBehaviour & { what: string }> = {
  "0101": { kind: "refuse", code: 21211, what: "invalid number: 21211 at create" },
  "0102": { kind: "refuse", code: 21614, what: "landline: 21614 at create" },
  "0103": { kind: "undelivered", code: 30006, what: "landline found by the carrier: sent, then undelivered 30006" },
  "0104": { kind: "undelivered", code: 30003, what: "unreachable handset: sent, then undelivered 30003" },
  "0105": { kind: "undelivered", code: 30007, what: "filtered by the carrier: sent, then undelivered 30007" },
  "0106": { kind: "undelivered", code: 30005, what: "unknown handset: sent, then undelivered 30005" },
  "0107": { kind: "failed", code: 30008, what: "unknown error: failed 30008 without being sent" },
};

export function numberBehaviour(to: string): NumberBehaviour {
  if (!E164.test(to)) return { kind: "refuse", code: 21211 };
  const nanp = /^\+1\d{3}555(\d{4})$/.exec(to);
  const scripted = nanp ? NUMBER_SCRIPT[nanp[1]!] : undefined;
  return scripted ?? { kind: "mobile" };
}

export type AddressBehaviour = "delivered" | "bounced" | "complained" | "delayed";

export const ADDRESS_SCRIPT: Record<string, AddressBehaviour> = {
  bounce: "bounced",
  bounced: "bounced",
  complain: "complained",
  complained: "complained",
  delay: "delayed",
  delayed: "delayed",
};

const ADDRESS = /^[^\s@<>"(),;:]+@[^\s@<>"(),;:]+\.[A-Za-z]{2,}$/;

/** The address inside `Name <addr>` or a bare address; null when it is not one Resend accepts. */
export function parseAddress(value: string): string | null {
  const angle = /^[^<>]*<([^<>]+)>$/.exec(value.trim());
  const address = (angle ? angle[1]! : value).trim();
  return ADDRESS.test(address) ? address : null;
}

/** By local part, ignoring a +tag: bounce@…, complain@…, delay@… (like Resend's test addresses). */
export function addressBehaviour(address: string): AddressBehaviour {
  const local = address.split("@")[0]!.toLowerCase().split("+")[0]!;
  return ADDRESS_SCRIPT[local] ?? "delivered";
}

/** Twilio's default opt-out keywords for long codes: the whole message, any case, trimmed. */
const STOP_WORDS = new Set(["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"]);
const START_WORDS = new Set(["START", "UNSTOP", "YES"]);
const HELP_WORDS = new Set(["HELP", "INFO"]);

export function keywordOf(body: string): "STOP" | "START" | "HELP" | null {
  const word = body.trim().toUpperCase();
  if (STOP_WORDS.has(word)) return "STOP";
  if (START_WORDS.has(word)) return "START";
  if (HELP_WORDS.has(word)) return "HELP";
  return null;
}

/** What Twilio answers on the sender's behalf (its default opt-out replies). */
export const KEYWORD_REPLIES = {
  STOP: "You have successfully been unsubscribed. You will not receive any more messages from this number. Reply START to resubscribe.",
  START: "You have successfully been re-subscribed to messages from this number. Reply HELP for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
  HELP: "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
} as const;
