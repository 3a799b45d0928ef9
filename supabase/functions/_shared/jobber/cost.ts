// Jobber's requested query cost, computed the way Jobber documents it, so we can wait for the
// leaky bucket to hold enough points *before* sending instead of being throttled after.
//   - every field costs 1; `nodes`, `edges`, `node` (and __typename) cost 0;
//   - a connection multiplies everything selected under it by `first` (or `last`);
//   - a connection without `first`/`last` counts as 100 (Jobber's default page size).
// Without the schema a connection is recognised by its arguments (`first`/`last`) or by
// selecting `nodes`/`edges`. Errs on the high side, which only makes pacing more patient.
import { Kind, parse } from "graphql";
import type { DocumentNode, FragmentDefinitionNode, SelectionSetNode, ValueNode } from "graphql";

export const DEFAULT_CONNECTION_SIZE = 100;
const FREE_FIELDS = new Set(["nodes", "edges", "node", "__typename"]);

export type Variables = Record<string, unknown>;

export function computeQueryCost(
  document: string | DocumentNode,
  variables: Variables = {},
  operationName?: string,
): number {
  const doc = typeof document === "string" ? parse(document) : document;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of doc.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  }
  const operations = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName === undefined
    ? operations[0]
    : operations.find((o) => o.name?.value === operationName);
  if (!operation) {
    throw new Error(
      operationName === undefined
        ? "The document has no operation"
        : `The document has no operation named ${JSON.stringify(operationName)}`,
    );
  }
  return selectionCost(operation.selectionSet, variables, fragments, new Set());
}

function selectionCost(
  set: SelectionSetNode,
  variables: Variables,
  fragments: Map<string, FragmentDefinitionNode>,
  visiting: Set<string>,
): number {
  let total = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      total += selectionCost(selection.selectionSet, variables, fragments, visiting);
    } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || visiting.has(name)) continue;
      visiting.add(name);
      total += selectionCost(fragment.selectionSet, variables, fragments, visiting);
      visiting.delete(name);
    } else {
      const name = selection.name.value;
      const own = FREE_FIELDS.has(name) ? 0 : 1;
      if (!selection.selectionSet) {
        total += own;
        continue;
      }
      const children = selectionCost(selection.selectionSet, variables, fragments, visiting);
      total += own + connectionSize(selection, variables) * children;
    }
  }
  return total;
}

type FieldLike = {
  arguments?: ReadonlyArray<{ name: { value: string }; value: ValueNode }>;
  selectionSet?: SelectionSetNode;
};

function connectionSize(field: FieldLike, variables: Variables): number {
  const args = field.arguments ?? [];
  for (const arg of args) {
    if (arg.name.value === "first" || arg.name.value === "last") {
      const value = intValue(arg.value, variables);
      if (value !== null) return value;
      return DEFAULT_CONNECTION_SIZE;
    }
  }
  const selectsConnection = field.selectionSet?.selections.some(
    (s) => s.kind === Kind.FIELD && (s.name.value === "nodes" || s.name.value === "edges"),
  );
  return selectsConnection ? DEFAULT_CONNECTION_SIZE : 1;
}

function intValue(value: ValueNode, variables: Variables): number | null {
  if (value.kind === Kind.INT) return Number.parseInt(value.value, 10);
  if (value.kind === Kind.VARIABLE) {
    const v = variables[value.name.value];
    return typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : null;
  }
  return null;
}
