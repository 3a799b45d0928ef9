// Filtering and paging over in-memory lists, shared by the GraphQL resolvers and the control API.

export interface RangeFilter {
  after?: number | null | undefined;
  before?: number | null | undefined;
  eq?: number | null | undefined;
}

export interface PageRequest {
  first?: number | null | undefined;
  last?: number | null | undefined;
  /** Numeric id the page starts after / ends before (decoded from a cursor). */
  afterId?: number | null | undefined;
  beforeId?: number | null | undefined;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  totalCount: () => number;
}

export const DEFAULT_PAGE_SIZE = 100;

export function inRange(value: number | null, range: RangeFilter | null | undefined): boolean {
  if (!range) return true;
  if (value === null) return range.after == null && range.before == null && range.eq == null;
  // Jobber compares at second precision, the precision it prints timestamps with.
  const v = Math.floor(value / 1000);
  if (range.eq != null && v !== Math.floor(range.eq / 1000)) return false;
  if (range.after != null && v < Math.floor(range.after / 1000)) return false;
  if (range.before != null && v > Math.floor(range.before / 1000)) return false;
  return true;
}

/** First index whose id is greater than (strict) or at least (non-strict) `id`. */
export function lowerBound(list: { id: number }[], id: number, strict: boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const midId = list[mid]!.id;
    if (midId < id || (strict && midId === id)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Pages a list sorted by id without copying it: the window is found by binary search on the
 * cursor id and the predicate is applied lazily, so 50,000 clients page as fast as 50.
 */
export function pageById<T extends { id: number }>(
  list: T[],
  req: PageRequest,
  match: (item: T) => boolean,
): Page<T> {
  const start = req.afterId != null ? lowerBound(list, req.afterId, true) : 0;
  const end = req.beforeId != null ? lowerBound(list, req.beforeId, false) : list.length;
  const items: T[] = [];
  let hasNextPage = false;
  let hasPreviousPage = false;
  const useLast = req.last != null && req.first == null;
  if (!useLast) {
    const limit = req.first ?? DEFAULT_PAGE_SIZE;
    let i = start;
    for (; i < end && items.length < limit; i++) if (match(list[i]!)) items.push(list[i]!);
    for (; i < end; i++) {
      if (match(list[i]!)) {
        hasNextPage = true;
        break;
      }
    }
    for (let j = start - 1; j >= 0; j--) {
      if (match(list[j]!)) {
        hasPreviousPage = true;
        break;
      }
    }
    if (req.last != null && items.length > req.last) {
      items.splice(0, items.length - req.last);
      hasPreviousPage = true;
    }
  } else {
    const limit = req.last!;
    let i = end - 1;
    for (; i >= start && items.length < limit; i--) if (match(list[i]!)) items.push(list[i]!);
    for (; i >= start; i--) {
      if (match(list[i]!)) {
        hasPreviousPage = true;
        break;
      }
    }
    for (let j = end; j < list.length; j++) {
      if (match(list[j]!)) {
        hasNextPage = true;
        break;
      }
    }
    items.reverse();
  }
  let total: number | null = null;
  return {
    items,
    hasNextPage,
    hasPreviousPage,
    totalCount: () => {
      if (total === null) {
        total = 0;
        for (const item of list) if (match(item)) total++;
      }
      return total;
    },
  };
}

/** A sort key value; null sorts after every value, as unscheduled visits sort after scheduled ones. */
export type SortKey = number | string | null;

/** Where a keyset page starts or ends: the sort key and id of the item the cursor was made from. */
export interface KeyPosition {
  key: SortKey;
  id: number;
}

export interface SortedPageRequest {
  first?: number | null | undefined;
  last?: number | null | undefined;
  after?: KeyPosition | null | undefined;
  before?: KeyPosition | null | undefined;
}

function compareKeys(a: SortKey, b: SortKey): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/** Orders by key then id, reversed as a whole for a descending sort. */
export function comparePositions(a: KeyPosition, b: KeyPosition, descending: boolean): number {
  const c = compareKeys(a.key, b.key) || a.id - b.id;
  return descending ? -c : c;
}

/**
 * Keyset paging over an already filtered list: sorts it by (key, id) and cuts the window after /
 * before the cursor's position. The cursor carries the key it was made with, so a page boundary
 * holds even when the item it came from has since changed or gone (an `UPDATED_AT` sort keeps
 * its place while jobs are edited).
 */
export function pageSorted<T extends { id: number }>(
  matched: T[],
  key: (item: T) => SortKey,
  descending: boolean,
  req: SortedPageRequest,
): Page<T> & { keyOf: (item: T) => SortKey } {
  const position = (item: T): KeyPosition => ({ key: key(item), id: item.id });
  const sorted = matched.slice().sort((a, b) => comparePositions(position(a), position(b), descending));
  const afterCursor = (item: T) => !req.after || comparePositions(position(item), req.after, descending) > 0;
  const beforeCursor = (item: T) =>
    !req.before || comparePositions(position(item), req.before, descending) < 0;
  let start = 0;
  while (start < sorted.length && !afterCursor(sorted[start]!)) start++;
  let end = sorted.length;
  while (end > start && !beforeCursor(sorted[end - 1]!)) end--;
  let from = start;
  let to = end;
  if (req.first != null || req.last == null) to = Math.min(end, start + (req.first ?? DEFAULT_PAGE_SIZE));
  if (req.last != null) from = Math.max(from, to - req.last);
  return {
    items: sorted.slice(from, to),
    hasNextPage: to < sorted.length,
    hasPreviousPage: from > 0,
    totalCount: () => sorted.length,
    keyOf: key,
  };
}
