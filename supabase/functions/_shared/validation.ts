// Turns zod issues into one short sentence that names the field, e.g. "business_id must be a UUID".
import { z } from "zod";

type Issue = z.core.$ZodIssue;

function fieldName(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "The value";
  return path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".").replace(/\.\[/g, "[");
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

/** One sentence for one issue. Schema-authored messages (`{ error: "…" }`) are kept as written. */
export function describeIssue(issue: Issue, defaultMessages = true): string {
  const field = fieldName(issue.path);
  switch (issue.code) {
    case "invalid_type": {
      // Finalised issues drop `input` unless parsed with reportInput, so zod's default message
      // ("…, received undefined") is the fallback signal for a missing field.
      const missing = "input" in issue ? issue.input === undefined : /received undefined/.test(issue.message);
      if (missing) return `${field} is required`;
      return `${field} must be ${article(issue.expected)}`;
    }
    case "invalid_format":
      return `${field} must be ${FORMAT_NAMES[issue.format] ?? `a valid ${issue.format}`}`;
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
      return defaultMessages ? `${field}: ${issue.message}` : issue.message;
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
