import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  getNamedType,
  type GraphQLNamedType,
  type GraphQLSchema,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
  type ValueNode,
} from "graphql";

// Jobber's query-cost rules (developer.getjobber.com api_rate_limits):
// - every field costs 1, except `edges`, `nodes` and `node`, which cost 0;
// - a connection costs `first` (or `last`) times what is selected under it, 100 when neither is given;
// - nested connections multiply.
// The requested cost is computed from the query before execution; the actual cost applies the
// same rules to the number of nodes really returned.

export const DEFAULT_CONNECTION_SIZE = 100;

type Variables = Record<string, unknown>;

interface Ctx {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Variables;
}

export function selectOperation(
  document: DocumentNode,
  operationName?: string | null,
): OperationDefinitionNode | null {
  const ops = document.definitions.filter((d): d is OperationDefinitionNode =>
    d.kind === Kind.OPERATION_DEFINITION
  );
  if (operationName) return ops.find((o) => o.name?.value === operationName) ?? null;
  return ops.length === 1 ? ops[0]! : null;
}

function context(
  schema: GraphQLSchema,
  document: DocumentNode,
  op: OperationDefinitionNode,
  variables: Variables,
): Ctx {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  }
  // Variables left out fall back to their declared defaults, as execution would.
  const vars: Variables = {};
  for (const def of op.variableDefinitions ?? []) {
    const name = def.variable.name.value;
    if (name in variables) vars[name] = variables[name];
    else if (def.defaultValue) vars[name] = valueFromASTUntyped(def.defaultValue);
  }
  return { schema, fragments, variables: vars };
}

function rootType(schema: GraphQLSchema, op: OperationDefinitionNode): GraphQLNamedType | null | undefined {
  return op.operation === "mutation"
    ? schema.getMutationType()
    : op.operation === "subscription"
    ? schema.getSubscriptionType()
    : schema.getQueryType();
}

function isConnection(type: GraphQLNamedType): boolean {
  return type.name.endsWith("Connection");
}

function isFreeWrapper(parent: GraphQLNamedType, fieldName: string): boolean {
  return (fieldName === "nodes" || fieldName === "edges" || fieldName === "node") &&
    (parent.name.endsWith("Connection") || parent.name.endsWith("Edge"));
}

function argValue(node: ValueNode | undefined, ctx: Ctx): unknown {
  if (!node) return undefined;
  if (node.kind === Kind.VARIABLE) return ctx.variables[node.name.value];
  return valueFromASTUntyped(node, ctx.variables);
}

function multiplier(field: FieldNode, ctx: Ctx): number {
  const arg = (name: string) => argValue(field.arguments?.find((a) => a.name.value === name)?.value, ctx);
  const first = arg("first");
  const last = arg("last");
  const n = typeof first === "number" ? first : typeof last === "number" ? last : DEFAULT_CONNECTION_SIZE;
  return Math.max(0, n);
}

function included(sel: SelectionNode, ctx: Ctx): boolean {
  for (const d of sel.directives ?? []) {
    const ifArg = d.arguments?.find((a) => a.name.value === "if");
    const value = argValue(ifArg?.value, ctx);
    if (d.name.value === "skip" && value === true) return false;
    if (d.name.value === "include" && value === false) return false;
  }
  return true;
}

/** Flattens fragments so callers only see fields with the type they belong to. */
function* fields(
  parent: GraphQLNamedType,
  set: SelectionSetNode,
  ctx: Ctx,
): Generator<{ field: FieldNode; parent: GraphQLNamedType }> {
  for (const sel of set.selections) {
    if (!included(sel, ctx)) continue;
    if (sel.kind === Kind.FIELD) yield { field: sel, parent };
    else if (sel.kind === Kind.INLINE_FRAGMENT) {
      const t = sel.typeCondition ? ctx.schema.getType(sel.typeCondition.name.value) ?? parent : parent;
      yield* fields(t, sel.selectionSet, ctx);
    } else {
      const frag = ctx.fragments.get(sel.name.value);
      if (frag) {
        yield* fields(ctx.schema.getType(frag.typeCondition.name.value) ?? parent, frag.selectionSet, ctx);
      }
    }
  }
}

function fieldType(parent: GraphQLNamedType, name: string): GraphQLNamedType | null {
  if (!isObjectType(parent)) return null;
  const def = parent.getFields()[name];
  return def ? getNamedType(def.type) : null;
}

function requestedOf(parent: GraphQLNamedType, set: SelectionSetNode, ctx: Ctx): number {
  let total = 0;
  for (const { field, parent: owner } of fields(parent, set, ctx)) {
    const name = field.name.value;
    if (name.startsWith("__")) continue;
    const type = fieldType(owner, name);
    const below = type && field.selectionSet ? requestedOf(type, field.selectionSet, ctx) : 0;
    if (type && isConnection(type)) total += multiplier(field, ctx) * below;
    else total += (isFreeWrapper(owner, name) ? 0 : 1) + below;
  }
  return total;
}

export function requestedQueryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Variables,
): number {
  const op = selectOperation(document, operationName);
  const root = op ? rootType(schema, op) : null;
  if (!op || !root) return 0;
  return requestedOf(root, op.selectionSet, context(schema, document, op, variables));
}

function actualOf(
  parent: GraphQLNamedType,
  set: SelectionSetNode,
  value: unknown,
  ctx: Ctx,
  inConnection: boolean,
): number {
  if (value === null || typeof value !== "object") return 0;
  const obj = value as Record<string, unknown>;
  let total = 0;
  for (const { field, parent: owner } of fields(parent, set, ctx)) {
    const name = field.name.value;
    if (name.startsWith("__")) continue;
    const key = field.alias?.value ?? name;
    const v = obj[key];
    const type = fieldType(owner, name);
    if (type && isConnection(type)) {
      total += connectionActual(type, field, v, ctx);
      continue;
    }
    const own = isFreeWrapper(owner, name) ? 0 : 1;
    if (!type || !field.selectionSet) {
      total += own;
    } else if (Array.isArray(v)) {
      // Inside a connection each returned node is paid for; a plain list is priced once,
      // exactly as the requested cost priced it.
      const costs = v.map((item) => actualOf(type, field.selectionSet!, item, ctx, false));
      total += own + (inConnection ? costs.reduce((a, b) => a + b, 0) : Math.max(0, ...costs));
    } else {
      total += own + actualOf(type, field.selectionSet, v, ctx, false);
    }
  }
  return total;
}

function connectionActual(type: GraphQLNamedType, field: FieldNode, value: unknown, ctx: Ctx): number {
  if (!field.selectionSet || value === null || typeof value !== "object") return 0;
  const obj = value as Record<string, unknown>;
  let returned = 0;
  for (const { field: f } of fields(type, field.selectionSet, ctx)) {
    const v = obj[f.alias?.value ?? f.name.value];
    if ((f.name.value === "nodes" || f.name.value === "edges") && Array.isArray(v)) {
      returned = Math.max(returned, v.length);
    }
  }
  let total = 0;
  for (const { field: f, parent } of fields(type, field.selectionSet, ctx)) {
    const name = f.name.value;
    if (name.startsWith("__")) continue;
    if (name === "nodes" || name === "edges") {
      total += actualOf(parent, { kind: Kind.SELECTION_SET, selections: [f] }, obj, ctx, true);
    } else {
      // pageInfo, totalCount: multiplied like everything under a connection.
      total += returned * actualOf(parent, { kind: Kind.SELECTION_SET, selections: [f] }, obj, ctx, false);
    }
  }
  return total;
}

export function actualQueryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Variables,
  data: unknown,
): number {
  const op = selectOperation(document, operationName);
  const root = op ? rootType(schema, op) : null;
  if (!op || !root) return 0;
  return actualOf(root, op.selectionSet, data, context(schema, document, op, variables), false);
}
