// What the control API's route modules share.
import { z } from "zod";
import type { Sandbox } from "./context.ts";
import { idOf } from "./ids.ts";


export const Address = z.object({
  street1: z.string().optional(),
  street2: z.string().optional(),
  city: z.string().optional(),
  province: z.string().optional(),
  postalCode: z.string().optional(),
  country: z.string().optional(),
}).strict();

/** An account id from the path (EncodedId or plain number), or null when there is no such account. */
export function accountParam(sb: Sandbox, raw: string): number | null {
  const id = idOf("Account", raw);
  return id !== null && sb.store.accounts.has(id) ? id : null;
}
