import assert from "node:assert/strict";
import { z } from "zod";
import { describeZodError } from "./validation.ts";

function messageFor(schema: z.ZodType, value: unknown): string {
  const result = schema.safeParse(value);
  assert.equal(result.success, false);
  return describeZodError(result.error!);
}

Deno.test("describes nested and list paths", () => {
  const schema = z.object({ items: z.array(z.object({ id: z.string() })) });
  assert.equal(messageFor(schema, { items: [{ id: "a" }, { id: 3 }] }), "items[1].id must be a string");
});

Deno.test("describes wrong types, formats, sizes and several issues at once", () => {
  const schema = z.object({ n: z.number().int().max(5), email: z.email(), name: z.string().min(1) });
  assert.equal(
    messageFor(schema, { n: 9, email: "x", name: "" }),
    "n must be at most 5; email must be an email address; name must not be empty",
  );
  assert.equal(messageFor(z.object({ flag: z.boolean() }), { flag: "yes" }), "flag must be a boolean");
});

Deno.test("keeps a message the schema author wrote", () => {
  const schema = z.object({
    claim: z.string().refine((v) => v.length === 43, { error: "claim must be a claim token" }),
  });
  assert.equal(messageFor(schema, { claim: "short" }), "claim: claim must be a claim token");
});
