// Review messages as the customer reads them (SPEC §10): the business's templates with
// {first_name}, {business_name}, {technician} and {link} filled in; texts end with the STOP footer
// and fit in 320 characters, emails come as HTML (every value escaped) and plain text.
//
// Pure and dependency-free - no Deno or DOM globals, no imports - so the sender (Deno) and the
// card's live preview and settings form (web/, through Vite with allowImportingTsExtensions) run
// exactly this code and show exactly what will be sent.

export const PLACEHOLDERS = ["first_name", "business_name", "technician", "link"] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** Every SMS ends with this, and it is never shortened. */
export const SMS_FOOTER = "Reply STOP to opt out";
/** A rendered text, link and footer included, is at most this long. */
export const SMS_MAX_LENGTH = 320;
/** What stands for the cut when free text has to be shortened (GSM-7, so it costs no encoding). */
export const ELLIPSIS = "...";
/** Said when the customer's name or the visit's technician is unknown. */
export const FIRST_NAME_FALLBACK = "there";
export const TECHNICIAN_FALLBACK = "our team";

export interface RenderValues {
  /** The customer's first name; null when unknown. */
  firstName: string | null;
  /** The sender name from the settings, else the business's name. */
  businessName: string;
  /** Who worked the completed visit (job_visits.assigned_to), in order. */
  technicians: readonly string[];
  /** The tracked review link (reviewLinkFor). */
  link: string;
}

export interface RenderedSms {
  body: string;
  /** Characters (UTF-16 code units, what Twilio counts) of the whole body. */
  length: number;
  /** True when free text was cut to fit SMS_MAX_LENGTH. */
  shortened: boolean;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** The tracked link of a request: `<base>?t=<token>` (base: REVIEW_LINK_BASE or …/review-link). */
export function reviewLinkFor(base: string, token: string): string {
  const url = new URL(base);
  url.searchParams.set("t", token);
  return url.href;
}

/** "Sam", "Sam and Alex", "Sam, Alex and Jo"; the fallback when nobody is named. */
export function technicianLabel(names: readonly string[]): string {
  const clean = names.map((n) => singleLine(n)).filter((n) => n !== "");
  if (clean.length === 0) return TECHNICIAN_FALLBACK;
  if (clean.length === 1) return clean[0]!;
  return `${clean.slice(0, -1).join(", ")} and ${clean[clean.length - 1]}`;
}

function singleLine(value: string): string {
  return value.replace(/\s+/g, " ").trim();
}

function valueOf(name: Placeholder, values: RenderValues): string {
  switch (name) {
    case "first_name":
      return singleLine(values.firstName ?? "") || FIRST_NAME_FALLBACK;
    case "business_name":
      return singleLine(values.businessName);
    case "technician":
      return technicianLabel(values.technicians);
    case "link":
      return values.link;
  }
}

type Segment = { kind: "text"; value: string } | { kind: "link"; value: string };

const PLACEHOLDER_PATTERN = /\{(first_name|business_name|technician|link)\}/g;

/** The template cut at its placeholders, values filled in; links kept apart from free text. */
function segments(template: string, values: RenderValues): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER_PATTERN)) {
    const name = match[1] as Placeholder;
    const before = template.slice(last, match.index);
    if (name === "link") {
      out.push({ kind: "text", value: before });
      out.push({ kind: "link", value: values.link });
    } else {
      out.push({ kind: "text", value: before + valueOf(name, values) });
    }
    last = match.index! + match[0].length;
  }
  out.push({ kind: "text", value: template.slice(last) });
  // Merge neighbouring text so each run of free text is shortened as one.
  return out.reduce<Segment[]>((acc, s) => {
    const prev = acc[acc.length - 1];
    if (prev && prev.kind === "text" && s.kind === "text") prev.value += s.value;
    else acc.push({ ...s });
    return acc;
  }, []);
}

/** Code points, so a cut never splits an emoji; lengths are still counted in UTF-16 units. */
function cutTo(text: string, maxUnits: number): string {
  let out = "";
  for (const ch of text) {
    if (out.length + ch.length > maxUnits) break;
    out += ch;
  }
  return out;
}

/**
 * Shortens `text` by at least `over` UTF-16 units, ending it with the ellipsis (and the space that
 * separated it from a following link). Prefers a word boundary. Returns the new text.
 */
function shorten(text: string, over: number, beforeLink: boolean): string {
  const trailing = beforeLink && /\s$/.test(text) ? " " : "";
  const suffix = ELLIPSIS + trailing;
  const keep = text.length - over - suffix.length;
  if (keep <= 0) return trailing;
  let kept = cutTo(text, keep);
  const space = kept.search(/\s\S*$/);
  if (space > kept.length * 0.6) kept = kept.slice(0, space);
  return kept.replace(/[\s,;:.-]+$/, "") + suffix;
}

/**
 * The text of a review SMS: the template filled in, then a newline and SMS_FOOTER. When that is
 * longer than SMS_MAX_LENGTH, the free text is shortened (longest run first) - never the link,
 * never the footer.
 */
export function renderSms(template: string, values: RenderValues): RenderedSms {
  const parts = segments(template, values);
  const tail = `\n${SMS_FOOTER}`;
  const join = () => parts.map((p) => p.value).join("").trim();
  let body = join() + tail;
  let shortened = false;
  while (body.length > SMS_MAX_LENGTH) {
    const over = body.length - SMS_MAX_LENGTH;
    let longest = -1;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (p.kind === "text" && p.value.trim() !== "" && (longest < 0 || p.value.length > parts[longest]!.value.length)) {
        longest = i;
      }
    }
    if (longest < 0) break; // Only links left: nothing we may cut.
    const part = parts[longest]!;
    const next = parts[longest + 1];
    const before = part.value;
    part.value = shorten(before, over, next?.kind === "link");
    if (part.value.length >= before.length) part.value = "";
    shortened = true;
    body = join() + tail;
  }
  return { body, length: body.length, shortened };
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** The email's subject: the template filled in, on one line. */
export function renderSubject(template: string, values: RenderValues): string {
  return singleLine(segments(template, values).map((s) => s.value).join(""));
}

function htmlParagraph(paragraph: Segment[]): string {
  const onlyLink = paragraph.filter((s) => s.value.trim() !== "");
  if (onlyLink.length === 1 && onlyLink[0]!.kind === "link") {
    const href = escapeHtml(onlyLink[0]!.value);
    return `<p style="margin:24px 0"><a href="${href}" style="background:#1f6feb;color:#ffffff;padding:12px 20px;` +
      `border-radius:6px;text-decoration:none;display:inline-block">Leave a review</a></p>`;
  }
  const inner = paragraph.map((s) =>
    s.kind === "link"
      ? `<a href="${escapeHtml(s.value)}">${escapeHtml(s.value)}</a>`
      : escapeHtml(s.value).replace(/\r?\n/g, "<br>")
  ).join("");
  return `<p style="margin:0 0 16px">${inner}</p>`;
}

/** Splits rendered segments into paragraphs at blank lines. */
function paragraphs(parts: Segment[]): Segment[][] {
  const out: Segment[][] = [[]];
  for (const part of parts) {
    if (part.kind === "link") {
      out[out.length - 1]!.push(part);
      continue;
    }
    const blocks = part.value.split(/\r?\n[ \t]*\r?\n/);
    blocks.forEach((block, i) => {
      if (i > 0) out.push([]);
      if (block !== "") out[out.length - 1]!.push({ kind: "text", value: block });
    });
  }
  return out
    .map((p) => trimParagraph(p))
    .filter((p) => p.some((s) => s.value.trim() !== ""));
}

function trimParagraph(p: Segment[]): Segment[] {
  const copy = p.map((s) => ({ ...s }));
  const first = copy[0];
  const last = copy[copy.length - 1];
  if (first?.kind === "text") first.value = first.value.replace(/^\s+/, "");
  if (last?.kind === "text") last.value = last.value.replace(/\s+$/, "");
  return copy;
}

/**
 * A review email: subject, an HTML body (template paragraphs, every value and the template itself
 * escaped; a paragraph that is just {link} becomes a "Leave a review" button) and the same in
 * plain text, both ending with the unsubscribe link when there is one.
 */
export function renderEmail(
  templates: { subject: string; body: string },
  values: RenderValues,
  unsubscribeUrl: string | null,
): RenderedEmail {
  const parts = segments(templates.body, values);
  const subject = renderSubject(templates.subject, values);
  const text = parts.map((p) => p.value).join("").trim() +
    (unsubscribeUrl ? `\n\n--\nDon't want these emails? Unsubscribe: ${unsubscribeUrl}` : "");
  const body = paragraphs(parts).map(htmlParagraph).join("\n");
  const footer = unsubscribeUrl
    ? `\n<p style="margin:32px 0 0;font-size:12px;color:#6b7280">Don't want these emails? ` +
      `<a href="${escapeHtml(unsubscribeUrl)}" style="color:#6b7280">Unsubscribe</a></p>`
    : "";
  const html = `<!doctype html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>\n` +
    `<body style="font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;` +
    `color:#111827;max-width:560px;margin:0 auto;padding:24px">\n${body}${footer}\n</body></html>`;
  return { subject, html, text };
}

// ---- the settings form's check -----------------------------------------------------------------

/** A link as long as a hosted project's default one (a 20-character project ref). */
export const SAMPLE_LINK = "https://abcdefghijklmnopqrst.supabase.co/functions/v1/review-link?t=AAAAAAAAAAAAAAAAAAAAAA";

/** The longest values a template is checked with: if these fit, real ones do (or are cut). */
export const LONGEST_SAMPLE_VALUES: RenderValues = {
  firstName: "Maximiliana-Josephine",
  businessName: "Brightside Residential & Commercial Cleaning",
  technicians: ["Christopher", "Alexandria"],
  link: SAMPLE_LINK,
};

export interface TemplateProblem {
  field: "sms_template" | "email_subject" | "email_template";
  code: "missing_link" | "unknown_placeholder" | "too_long" | "empty";
  message: string;
}

export interface TemplateCheck {
  /** The SMS rendered with the longest sample values. */
  sms: RenderedSms;
  /** What the SMS would be without shortening, and the limit. */
  smsFullLength: number;
  smsMaxLength: number;
  problems: TemplateProblem[];
}

/**
 * What the settings form says about the templates before saving: the database's own rules (a
 * {link} in both bodies, no unknown placeholder, lengths) plus whether the SMS fits 320
 * characters with the longest sample values (`businessName` and `link` override the samples with
 * the business's real sender name and link base when the form knows them). A text that does not
 * fit is still sent, shortened; the form says so before the owner saves.
 */
export function checkTemplates(
  templates: { sms_template: string; email_subject: string; email_template: string },
  sample: Partial<RenderValues> = {},
): TemplateCheck {
  const values: RenderValues = { ...LONGEST_SAMPLE_VALUES, ...sample };
  const problems: TemplateProblem[] = [];
  const fields = [
    ["sms_template", templates.sms_template, true, SMS_MAX_LENGTH],
    ["email_subject", templates.email_subject, false, 200],
    ["email_template", templates.email_template, true, 10_000],
  ] as const;
  for (const [field, text, needsLink, max] of fields) {
    if (text.trim() === "") problems.push({ field, code: "empty", message: "Write something here." });
    if (needsLink && !text.includes("{link}")) {
      problems.push({ field, code: "missing_link", message: "Add {link}: it is where the customer leaves the review." });
    }
    const unknown = [...text.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]!).filter((n) => !(PLACEHOLDERS as readonly string[]).includes(n));
    if (unknown.length > 0) {
      problems.push({
        field,
        code: "unknown_placeholder",
        message: `Unknown placeholder ${unknown.map((n) => `{${n}}`).join(", ")}; use {first_name}, {business_name}, {technician} or {link}.`,
      });
    }
    if (text.length > max) problems.push({ field, code: "too_long", message: `At most ${max} characters.` });
  }
  const full = segments(templates.sms_template, values).map((s) => s.value).join("").trim().length + 1 + SMS_FOOTER.length;
  const sms = renderSms(templates.sms_template, values);
  if (full > SMS_MAX_LENGTH && !problems.some((p) => p.field === "sms_template" && p.code === "too_long")) {
    problems.push({
      field: "sms_template",
      code: "too_long",
      message: `With long names and the link this text is ${full} characters; texts are cut to ${SMS_MAX_LENGTH} ` +
        `(the link and "${SMS_FOOTER}" included). Shorten it by ${full - SMS_MAX_LENGTH}.`,
    });
  }
  return { sms, smsFullLength: full, smsMaxLength: SMS_MAX_LENGTH, problems };
}
