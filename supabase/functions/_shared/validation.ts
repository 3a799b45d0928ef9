// Turns zod issues into one short sentence a person can act on, naming the field in words and by
// its exact key, e.g. "The business id (business_id) must be a UUID". Messages a schema author
// wrote are kept as written (a bare predicate gets the field in front): they know the field better
// than any generic rule.
import { z } from "zod";

type Issue = z.core.$ZodIssue;

/**
 * The API's request fields in words. The key stays in the message, in parentheses, because a
 * developer calling the API needs it; a person reading the card needs the words.
 */
export const FIELD_LABELS: Readonly<Record<string, string>> = {
  business_id: "The business id",
  claim: "The claim code from the install link",
  ticket: "The connection ticket",
  mode: "The sync mode",
  task: "The task",
  run_id: "The sync run id",
};

function fieldName(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "The value";
  const key = path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".").replace(/\.\[/g, "[");
  const label = FIELD_LABELS[key];
  return label ? `${label} (${key})` : key;
}

const FORMAT_NAMES: Record<string, string> = {
  uuid: "a UUID",
  guid: "a UUID",
  email: "an email address",
  url: "a URL",
  datetime: "an ISO 8601 date-time",
  date: "a date (YYYY-MM-DD)",
};

function describeValues(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(", ");
}

/**
 * Whether the schema's author wrote this issue's message (`{ error: "…" }`, `.regex(re, "…")`)
 * rather than zod's locale producing it. zod keeps no flag for that, so the message is compared
 * with what the locale says for the same issue.
 */
function isAuthored(issue: Issue): boolean {
  const localeError = z.config().localeError;
  if (!localeError) return false;
  const generated = localeError(issue as never);
  const text = typeof generated === "string" ? generated : generated?.message;
  if (text === issue.message) return false;
  // Without reportInput the issue lost its input, so the locale's wording differs at the end.
  if (issue.code === "invalid_type" && !("input" in issue) && issue.message.startsWith("Invalid input")) return false;
  return true;
}

/** One sentence for one issue. */
export function describeIssue(issue: Issue): string {
  const field = fieldName(issue.path);
  if (issue.code === "invalid_type") {
    // Finalised issues drop `input` unless parsed with reportInput, so zod's default message
    // ("…, received undefined") is the fallback signal for a missing field.
    const missing = "input" in issue ? issue.input === undefined : /received undefined/.test(issue.message);
    if (missing) return `${field} is required`;
  }
  if (isAuthored(issue)) {
    // A schema may author only the predicate ("must be an ISO 8601 date-time"): name the field.
    return /^[a-z]/.test(issue.message) ? `${field} ${issue.message}` : issue.message;
  }
  switch (issue.code) {
    case "invalid_type":
      return `${field} must be ${article(issue.expected)}`;
    case "invalid_format":
      return issue.format === "regex"
        ? `${field} is not in the expected format`
        : `${field} must be ${FORMAT_NAMES[issue.format] ?? `a valid ${issue.format}`}`;
    case "invalid_value":
      return `${field} must be one of ${describeValues(issue.values)}`;
    case "unrecognized_keys": {
      const keys = issue.keys.map((k) => JSON.stringify(k)).join(", ");
      const where = issue.path.length ? ` in ${field}` : "";
      return `Unknown field${issue.keys.length > 1 ? "s" : ""} ${keys}${where}`;
    }
    case "too_small":
      return issue.origin === "string"
        ? Number(issue.minimum) <= 1
          ? `${field} must not be empty`
          : `${field} must be at least ${issue.minimum} characters`
        : `${field} must be at least ${issue.minimum}`;
    case "too_big":
      return issue.origin === "string"
        ? `${field} must be at most ${issue.maximum} characters`
        : `${field} must be at most ${issue.maximum}`;
    default:
      return `${field} is not valid`;
  }
}

function article(type: string): string {
  if (type === "array") return "a list";
  if (type === "object") return "an object";
  if (type === "int") return "an integer";
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** Joins the first few issues into one message. Field names keep their exact spelling. */
export function describeZodError(error: z.ZodError, maxIssues = 3): string {
  const parts = error.issues.slice(0, maxIssues).map((issue) => describeIssue(issue));
  return parts.join("; ") || "The value is invalid";
}
