// An in-memory stand-in for PostgREST tables and RPCs, for the web tests: `from(table)` with
// select (a plain column list or *, optional exact count), eq, order, limit, maybeSingle / single,
// insert, update and delete (returning rows with .select()), and `rpc(fn, args)` answered by
// handlers. Row-level security is not simulated: a test puts in only the rows its user may see,
// and `fail` injects the errors PostgREST would answer.

export type Row = Record<string, unknown>;
export type DbError = { message: string; code?: string; details?: string | null };
export type Result = { data: unknown; error: DbError | null; count?: number | null };
export type RpcHandler = (args: Record<string, unknown>) => Result | Promise<Result>;
export type Operation = 'select' | 'insert' | 'update' | 'delete';
/** Returns the error to answer for this call, or null to let it through. */
export type FailRule = (table: string, operation: Operation, payload: unknown) => DbError | null;

/** A successful PostgREST answer. */
export const answer = (data: unknown): Result => ({ data, error: null });

export interface FakeTables {
  tables: Record<string, Row[]>;
  rpc: Record<string, RpcHandler>;
  fail: FailRule[];
}

export function createFakeTables(init: { tables?: Record<string, Row[]>; rpc?: Record<string, RpcHandler> } = {}): FakeTables {
  return { tables: { ...(init.tables ?? {}) }, rpc: { ...(init.rpc ?? {}) }, fail: [] };
}

function project(row: Row, columns: string): Row {
  const list = columns.split(',').map((c) => c.trim()).filter((c) => c !== '');
  if (list.length === 0 || list.includes('*')) return structuredClone(row);
  return Object.fromEntries(list.map((c) => [c, structuredClone(row[c])]));
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  return String(a) < String(b) ? -1 : 1;
}

export function tableQuery(store: FakeTables, table: string) {
  const filters: Array<(row: Row) => boolean> = [];
  const orders: Array<{ column: string; ascending: boolean }> = [];
  let operation: Operation = 'select';
  let payload: unknown = null;
  let columns = '*';
  let returning = false;
  let wantCount = false;
  let limit: number | null = null;

  function rows(): Row[] {
    return store.tables[table] ?? [];
  }

  function matching(): Row[] {
    return rows().filter((row) => filters.every((f) => f(row)));
  }

  function run(): Result {
    for (const rule of store.fail) {
      const error = rule(table, operation, payload);
      if (error) return { data: null, error, count: null };
    }
    if (!(table in store.tables)) return { data: null, error: { message: `relation "public.${table}" does not exist`, code: '42P01' } };
    switch (operation) {
      case 'select': {
        let found = matching();
        for (const { column, ascending } of [...orders].reverse()) {
          found = [...found].sort((a, b) => (ascending ? 1 : -1) * compare(a[column], b[column]));
        }
        const count = found.length;
        if (limit !== null) found = found.slice(0, limit);
        return { data: found.map((r) => project(r, columns)), error: null, count: wantCount ? count : null };
      }
      case 'insert': {
        const added = (Array.isArray(payload) ? payload : [payload]) as Row[];
        store.tables[table] = [...rows(), ...added.map((r) => ({ created_at: new Date().toISOString(), ...r }))];
        return { data: returning ? added.map((r) => project(r, columns)) : null, error: null };
      }
      case 'update': {
        const changed: Row[] = [];
        store.tables[table] = rows().map((row) => {
          if (!filters.every((f) => f(row))) return row;
          const next = { ...row, ...(payload as Row) };
          changed.push(next);
          return next;
        });
        return { data: returning ? changed.map((r) => project(r, columns)) : null, error: null };
      }
      case 'delete': {
        const removed = matching();
        store.tables[table] = rows().filter((row) => !removed.includes(row));
        return { data: returning ? removed.map((r) => project(r, columns)) : null, error: null };
      }
    }
  }

  const builder = {
    select(cols?: string, options?: { count?: string }) {
      columns = cols ?? '*';
      if (operation !== 'select') returning = true;
      if (options?.count === 'exact') wantCount = true;
      return builder;
    },
    insert(values: unknown) {
      operation = 'insert';
      payload = values;
      return builder;
    },
    update(values: unknown) {
      operation = 'update';
      payload = values;
      return builder;
    },
    delete() {
      operation = 'delete';
      return builder;
    },
    eq(column: string, value: unknown) {
      filters.push((row) => row[column] === value);
      return builder;
    },
    order(column: string, options?: { ascending?: boolean }) {
      orders.push({ column, ascending: options?.ascending ?? true });
      return builder;
    },
    limit(n: number) {
      limit = n;
      return builder;
    },
    async maybeSingle() {
      const result = run();
      if (result.error) return result;
      const list = Array.isArray(result.data) ? result.data : [];
      if (list.length > 1) return { data: null, error: { message: 'JSON object requested, multiple rows returned', code: 'PGRST116' } };
      return { data: list[0] ?? null, error: null };
    },
    async single() {
      const result = run();
      if (result.error) return result;
      const list = Array.isArray(result.data) ? result.data : [];
      if (list.length !== 1) return { data: null, error: { message: 'JSON object requested, multiple (or no) rows returned', code: 'PGRST116' } };
      return { data: list[0], error: null };
    },
    then<T>(resolve: (value: Result) => T, reject?: (reason: unknown) => T) {
      return Promise.resolve(run()).then(resolve, reject);
    },
  };
  return builder;
}

export async function callRpc(store: FakeTables, fn: string, args: Record<string, unknown>): Promise<Result> {
  const handler = store.rpc[fn];
  if (!handler) return { data: null, error: { message: `Could not find the function public.${fn}`, code: 'PGRST202' } };
  return handler(args);
}
