// What one answer from Jobber means for the request that got it: use it, wait out the throttle,
// refresh the token, retry later - or stop, with the error the caller will see. Jobber throttles
// inside HTTP 200 and says "disconnected" in 4xx bodies and GraphQL errors; this is where that is
// read, and nowhere else.
import { z } from "zod";
import { excerpt, JobberDisconnectedError, JobberError, JobberGraphQLError, saysDisconnected } from "./errors.ts";
import type { Answer } from "./transport.ts";

export const RETRY_BASE_MS = 500;
export const RATE_LIMIT_RETRY_BASE_MS = 5_000;

const graphqlErrorSchema = z.looseObject({
  message: z.string().catch("(no message)"),
  extensions: z.looseObject({ code: z.unknown().optional() }).nullish().catch(null),
});

const extensionsSchema = z.looseObject({
  cost: z.unknown().optional(),
  versioning: z.looseObject({ version: z.unknown().optional(), warning: z.unknown().optional() }).nullish()
    .catch(null),
}).nullish().catch(null);

export type Extensions = z.output<typeof extensionsSchema>;

export type Verdict =
  | { kind: "ok"; data: unknown; extensions: Extensions }
  | { kind: "throttled"; extensions: Extensions }
  | { kind: "unauthorized" }
  | { kind: "retry"; reason: string; baseMs: number; retryAfter: string | null };

/** Judges an answer; throws the request's final error when retrying cannot help. */
export function judge(answer: Answer): Verdict {
  if (answer.kind === "unreadable") {
    throw new JobberError("Jobber answered with something that is not a GraphQL response.");
  }
  if (answer.kind === "http") return judgeHttpError(answer.status, answer.body, answer.retryAfter);

  const extensions = extensionsSchema.parse(answer.extensions);
  const errors = answer.errors.map((e) => graphqlErrorSchema.parse(e ?? {}));
  if (errors.length === 0) return { kind: "ok", data: answer.data, extensions };
  if (errors.some((e) => e.extensions?.code === "THROTTLED")) return { kind: "throttled", extensions };
  if (errors.some((e) => saysDisconnected(e.message))) throw new JobberDisconnectedError();
  throw new JobberGraphQLError(
    `Jobber answered with a GraphQL error: ${JSON.stringify(excerpt(errors[0]!.message))}`,
    errors,
  );
}

function judgeHttpError(status: number, body: string, retryAfter: string | null): Verdict {
  // Only error answers are searched: a 200 body holds client data, which could contain anything.
  if (status >= 400 && status < 500 && saysDisconnected(body)) throw new JobberDisconnectedError();
  if (status === 401) return { kind: "unauthorized" };
  if (status === 429) return { kind: "retry", reason: "HTTP 429", baseMs: RATE_LIMIT_RETRY_BASE_MS, retryAfter };
  // Queries are read-only and safe to repeat. (Mutations we send - appDisconnect - are idempotent.)
  if (status >= 500) return { kind: "retry", reason: `HTTP ${status}`, baseMs: RETRY_BASE_MS, retryAfter: null };
  throw new JobberError(`Jobber answered HTTP ${status}: ${JSON.stringify(excerpt(body))}`);
}
