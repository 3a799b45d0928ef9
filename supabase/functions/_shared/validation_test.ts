import assert from "node:assert/strict";
import { z } from "zod";
import { describeZodError } from "./validation.ts";

// As parseWith parses requests: with reportInput, so a missing field can be told from a wrong one.
function messageFor(schema: z.ZodType, value: unknown): string {
  const result = schema.safeParse(value, { reportInput: true });
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

Deno.test("keeps a message the schema author wrote, for refinements and patterns alike", () => {
  const refined = z.object({
    claim: z.string().refine((v) => v.length === 43, { error: "The claim code is too short." }),
  });
  assert.equal(messageFor(refined, { claim: "short" }), "The claim code is too short.");
  const patterned = z.object({ claim: z.string().regex(/^[a-z]+$/, "The claim code has odd characters.") });
  assert.equal(messageFor(patterned, { claim: "A!" }), "The claim code has odd characters.");
});

Deno.test("never answers with zod's own wording, such as a claim that 'must be a valid regex'", () => {
  const schema = z.object({ claim: z.string().regex(/^[a-z]+$/), other: z.string().regex(/^x$/) });
  const message = messageFor(schema, { claim: "A!", other: "y" });
  assert.equal(
    message,
    "The claim code from the install link (claim) is not in the expected format; other is not in the expected format",
  );
  assert.doesNotMatch(message, /regex|Invalid string|pattern/);
});

Deno.test("names known request fields in words, keeping the key for developers", () => {
  const schema = z.object({ business_id: z.uuid(), ticket: z.string(), mode: z.enum(["full", "incremental"]) }).strict();
  assert.equal(
    messageFor(schema, { business_id: "42", mode: "fast" }),
    'The business id (business_id) must be a UUID; The connection ticket (ticket) is required; The sync mode (mode) must be one of "full", "incremental"',
  );
});

Deno.test("a schema's own message does not hide that a field is missing", () => {
  const schema = z.object({ business_id: z.uuid({ error: "Pick a business." }) });
  assert.equal(messageFor(schema, {}), "The business id (business_id) is required");
  assert.equal(messageFor(schema, { business_id: "x" }), "Pick a business.");
});

Deno.test("puts the field in front of a predicate the schema author wrote", () => {
  const schema = z.object({ at: z.string().refine((v) => !Number.isNaN(Date.parse(v)), { error: "must be a date-time" }) });
  assert.equal(messageFor(schema, { at: "soon" }), "at must be a date-time");
});
