// What every resolver module shares: the request context, id lookups scoped to the caller's
// account, and Relay connections over id-ordered or sorted lists.
import { GraphQLError, type GraphQLFieldResolver } from "graphql";
import {
  decodeCursor,
  decodeId,
  decodeKeyedCursor,
  encodeCursor,
  encodeId,
  encodeKeyedCursor,
  type GidType,
} from "./ids.ts";
import type { ClientRecord, JobRecord } from "./model.ts";
import { type Page, pageById, pageSorted, type SortKey } from "./paging.ts";
import type { Store } from "./store.ts";

export interface GqlContext {
  store: Store;
  accountId: number;
  appName: string;
  /** Revokes the app's tokens for the account and fires APP_DISCONNECT. */
  disconnect(accountId: number): void;
}

export type Resolver = GraphQLFieldResolver<unknown, GqlContext, Record<string, unknown>>;

export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

function checkSizes(args: PageArgs, field: string): void {
  for (const name of ["first", "last"] as const) {
    const n = args[name];
    if (n != null && (n < 0 || n > MAX_PAGE_SIZE)) {
      throw new GraphQLError(
        `Argument '${name}' on Field '${field}' must be between 0 and ${MAX_PAGE_SIZE}, got ${n}`,
      );
    }
  }
}

function badCursor(name: string, field: string): GraphQLError {
  return new GraphQLError(`Invalid cursor for argument '${name}' on Field '${field}'`);
}

export function pageRequest(args: PageArgs, field: string) {
  checkSizes(args, field);
  const cursor = (name: "after" | "before") => {
    const raw = args[name];
    if (raw == null) return null;
    const id = decodeCursor(raw);
    if (id === null) throw badCursor(name, field);
    return id;
  };
  return { first: args.first, last: args.last, afterId: cursor("after"), beforeId: cursor("before") };
}

export function connection<T extends { id: number }>(
  page: Page<T>,
  cursorOf: (item: T) => string = (item) => encodeCursor(item.id),
) {
  const first = page.items[0];
  const last = page.items[page.items.length - 1];
  return {
    nodes: page.items,
    // Functions are resolved lazily by graphql's default resolver, so unrequested parts cost nothing.
    edges: () => page.items.map((node) => ({ cursor: cursorOf(node), node })),
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: first ? cursorOf(first) : null,
      endCursor: last ? cursorOf(last) : null,
    },
    totalCount: page.totalCount,
  };
}

/** A connection over a list kept in id order. */
export function pageList<T extends { id: number }>(list: T[], args: PageArgs, field: string) {
  return connection(pageById(list, pageRequest(args, field), () => true));
}

/** A connection over `matched` sorted by `key` (then id), with keyset cursors. */
export function sortedConnection<T extends { id: number }>(
  matched: T[],
  key: (item: T) => SortKey,
  descending: boolean,
  args: PageArgs,
  field: string,
) {
  checkSizes(args, field);
  const cursor = (name: "after" | "before") => {
    const raw = args[name];
    if (raw == null) return null;
    const position = decodeKeyedCursor(raw);
    if (position === null) throw badCursor(name, field);
    return position;
  };
  const page = pageSorted(matched, key, descending, {
    first: args.first,
    last: args.last,
    after: cursor("after"),
    before: cursor("before"),
  });
  return connection(page, (item) => encodeKeyedCursor(item.id, key(item)));
}

export function lookup(type: GidType, id: unknown): number | null {
  const decoded = typeof id === "string" ? decodeId(id) : null;
  return decoded && decoded.type === type ? decoded.n : null;
}

export const idOf = (type: GidType): Resolver => (r) => encodeId(type, (r as { id: number }).id);

export function ownClient(ctx: GqlContext, id: number | null): ClientRecord | null {
  const c = id === null ? undefined : ctx.store.clients.get(id);
  return c && c.accountId === ctx.accountId ? c : null;
}

export function ownJob(ctx: GqlContext, id: number | null): JobRecord | null {
  const j = id === null ? undefined : ctx.store.jobs.get(id);
  return j && j.accountId === ctx.accountId ? j : null;
}
