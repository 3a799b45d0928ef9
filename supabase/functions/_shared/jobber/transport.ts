// One POST of a GraphQL document to Jobber, through graphql-request (the project's GraphQL client),
// reduced to what the layers above decide on: a GraphQL answer (HTTP 2xx, with data and/or
// errors), an HTTP error (status, body, Retry-After), or a 2xx body that is not a GraphQL
// response. Failing to get any answer (network, timeout) throws TransportFailure. Nothing here
// retries, waits or reads tokens beyond putting the one it is given in the header.
import { ClientError, GraphQLClient } from "graphql-request";
import type { Config } from "../config.ts";
import { isTimeout } from "./retry.ts";

export interface GraphQLErrorLike {
  message?: unknown;
  extensions?: unknown;
  path?: unknown;
}

export type Answer =
  | { kind: "graphql"; data: unknown; errors: GraphQLErrorLike[]; extensions: unknown }
  | { kind: "http"; status: number; body: string; retryAfter: string | null }
  | { kind: "unreadable" };

/** No answer at all: the request failed on the network or timed out. */
export class TransportFailure extends Error {
  constructor(readonly reason: "timeout" | "network error", options: { cause: unknown }) {
    super(`Jobber could not be reached (${reason}).`, options);
    this.name = "TransportFailure";
  }
}

export interface TransportOptions {
  config: Pick<Config, "jobberGraphqlVersion" | "jobber">;
  fetch: typeof fetch;
  timeoutMs: number;
}

export type Post = (document: string, variables: Record<string, unknown>, accessToken: string) => Promise<Answer>;

export function createTransport({ config, fetch: fetchImpl, timeoutMs }: TransportOptions): Post {
  // Network failures are tagged on their way through, so anything else graphql-request throws is
  // about the answer it got.
  const taggingFetch: typeof fetch = async (input, init) => {
    try {
      return await fetchImpl(input, init);
    } catch (err) {
      throw new TransportFailure(isTimeout(err) ? "timeout" : "network error", { cause: err });
    }
  };
  const client = new GraphQLClient(config.jobber.graphqlUrl, {
    fetch: taggingFetch,
    // GraphQL errors come back as values: Jobber reports throttling and permissions that way.
    errorPolicy: "all",
    headers: { "x-jobber-graphql-version": config.jobberGraphqlVersion, accept: "application/json" },
  });

  return async (document, variables, accessToken) => {
    try {
      const res = await client.rawRequest({
        query: document,
        variables,
        requestHeaders: { authorization: `Bearer ${accessToken}` },
        signal: AbortSignal.timeout(timeoutMs),
      });
      const errors = Array.isArray(res.errors) ? res.errors as GraphQLErrorLike[] : [];
      return { kind: "graphql", data: res.data, errors, extensions: res.extensions };
    } catch (err) {
      if (err instanceof TransportFailure) throw err;
      if (err instanceof ClientError && (err.response.status < 200 || err.response.status > 299)) {
        const { status, headers } = err.response;
        const body = typeof err.response.body === "string" ? err.response.body : "";
        return { kind: "http", status, body, retryAfter: headers?.get("retry-after") ?? null };
      }
      return { kind: "unreadable" };
    }
  };
}
