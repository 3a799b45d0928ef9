// Turns one page of Jobber clients into rows for private.jobber_apply_client_page. Each client is
// validated and mapped on its own, so one malformed client becomes an error entry for the run
// while the rest of the page still lands.
import { z } from "zod";
import { clientNodeSchema } from "../jobber/queries.ts";
import { mapClientToCustomer, type MappedCustomer, truncateText } from "../jobber/mapping.ts";
import { describeZodError } from "../validation.ts";

/** The page envelope; nodes are checked one by one below. */
export const lenientClientsPageSchema = z.object({
  clients: z.object({
    nodes: z.array(z.unknown()),
    pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullish() }),
    totalCount: z.number().int().nullish(),
  }),
});

export type CustomerRow = Omit<MappedCustomer, "raw_name">;

export interface ClientError {
  external_id: string | null;
  message: string;
}

// Column limits of public.customers; an over-long value is cut (and flagged) rather than
// failing the page.
const LIMITS = { email: 320, phone: 64, address: 1000 } as const;

function fitToColumns(row: CustomerRow): CustomerRow {
  const fitted = { ...row };
  if (fitted.email && fitted.email.length > LIMITS.email) {
    fitted.email = truncateText(fitted.email, LIMITS.email);
    fitted.email_usable = false;
  }
  if (fitted.phone && fitted.phone.length > LIMITS.phone) {
    fitted.phone = truncateText(fitted.phone, LIMITS.phone);
    fitted.phone_usable = false;
  }
  if (fitted.address && fitted.address.length > LIMITS.address) fitted.address = truncateText(fitted.address, LIMITS.address);
  return fitted;
}

export function mapClientsPage(nodes: unknown[], country: string): { rows: CustomerRow[]; errors: ClientError[] } {
  const rows: CustomerRow[] = [];
  const errors: ClientError[] = [];
  for (const node of nodes) {
    const id = typeof (node as { id?: unknown })?.id === "string" ? (node as { id: string }).id : null;
    const parsed = clientNodeSchema.safeParse(node);
    if (!parsed.success) {
      errors.push({ external_id: id, message: `Jobber sent a client Blipp cannot read: ${describeZodError(parsed.error)}` });
      continue;
    }
    try {
      const { raw_name: _rawName, ...row } = mapClientToCustomer(parsed.data, { country });
      rows.push(fitToColumns(row));
    } catch (err) {
      errors.push({ external_id: id, message: `Could not map this client: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  return { rows, errors };
}
