import assert from "node:assert/strict";
import {
  buildClientSchema,
  type GraphQLNamedType,
  type IntrospectionQuery,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isUnionType,
} from "graphql";
import { buildSandboxSchema, NEWER_THAN_2022 } from "./schema.ts";

// The reference lives outside the repo (<repo>/../shared/reference/); it must never be copied in.
const referencePath = Deno.env.get("JOBBER_REFERENCE_SCHEMA") ??
  new URL("../../../shared/reference/jobber-schema-2022.introspection.json", import.meta.url).pathname;
const ci = Deno.env.get("CI") === "true";
let exists = false;
try {
  exists = Deno.statSync(referencePath).isFile;
} catch {
  exists = false;
}
if (!exists && !ci) console.log(`schema conformance skipped: reference schema not found at ${referencePath}`);

function kind(t: GraphQLNamedType): string {
  if (isObjectType(t)) return "OBJECT";
  if (isInputObjectType(t)) return "INPUT_OBJECT";
  if (isEnumType(t)) return "ENUM";
  if (isScalarType(t)) return "SCALAR";
  if (isInterfaceType(t)) return "INTERFACE";
  if (isUnionType(t)) return "UNION";
  return "UNKNOWN";
}

Deno.test({
  name: exists || ci
    ? "every sandbox type, field, argument and enum value exists in Jobber's 2022 schema with the same type"
    : `schema conformance (skipped: reference schema not found at ${referencePath})`,
  ignore: !exists && !ci,
  fn: () => {
    assert.ok(
      exists,
      `Reference schema not found at ${referencePath} (set JOBBER_REFERENCE_SCHEMA); required when CI=true`,
    );
    const raw = JSON.parse(Deno.readTextFileSync(referencePath));
    const reference = buildClientSchema((raw.data ?? raw) as IntrospectionQuery);
    const sandbox = buildSandboxSchema();
    const newer = new Set(NEWER_THAN_2022);
    const problems: string[] = [];
    for (const type of Object.values(sandbox.getTypeMap())) {
      if (type.name.startsWith("__")) continue;
      if (newer.has(type.name)) continue;
      const ref = reference.getType(type.name);
      if (!ref) {
        problems.push(`type ${type.name} is not in the reference`);
        continue;
      }
      if (kind(ref) !== kind(type)) {
        problems.push(`type ${type.name} is ${kind(type)}, reference has ${kind(ref)}`);
      }
      if ((isObjectType(type) && isObjectType(ref)) || (isInputObjectType(type) && isInputObjectType(ref))) {
        const refFields = ref.getFields() as Record<
          string,
          { type: unknown; args?: readonly { name: string; type: unknown }[] }
        >;
        for (const field of Object.values(type.getFields())) {
          const coord = `${type.name}.${field.name}`;
          if (newer.has(coord)) continue;
          const refField = refFields[field.name];
          if (!refField) {
            problems.push(`field ${coord} is not in the reference`);
            continue;
          }
          if (String(field.type) !== String(refField.type)) {
            problems.push(`field ${coord} is ${field.type}, reference has ${refField.type}`);
          }
          for (const arg of "args" in field ? field.args : []) {
            const argCoord = `${coord}(${arg.name}:)`;
            if (newer.has(argCoord)) continue;
            const refArg = refField.args?.find((a) => a.name === arg.name);
            if (!refArg) problems.push(`argument ${argCoord} is not in the reference`);
            else if (String(arg.type) !== String(refArg.type)) {
              problems.push(`argument ${argCoord} is ${arg.type}, reference has ${refArg.type}`);
            }
          }
        }
      }
      if (isEnumType(type) && isEnumType(ref)) {
        const refValues = new Set(ref.getValues().map((v) => v.name));
        for (const value of type.getValues()) {
          const coord = `${type.name}.${value.name}`;
          if (!newer.has(coord) && !refValues.has(value.name)) {
            problems.push(`enum value ${coord} is not in the reference`);
          }
        }
      }
    }
    // Keep the exception list honest: everything on it must really be missing from 2022.
    for (const coord of NEWER_THAN_2022) {
      const [typeName, member] = coord.split(".");
      const ref = reference.getType(typeName!);
      const present = ref && member
        ? (isEnumType(ref)
          ? ref.getValues().some((v) => v.name === member)
          : (isObjectType(ref) || isInputObjectType(ref)) && member in ref.getFields())
        : Boolean(ref);
      if (present) problems.push(`${coord} is listed in NEWER_THAN_2022 but exists in the reference`);
    }
    assert.deepEqual(problems, []);
  },
});
