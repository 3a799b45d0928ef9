import type { SupabaseClient } from '@supabase/supabase-js';
import { useEffect, useState } from 'react';
import { z } from 'zod';
import type { Role } from '../jobber/state';

export interface Membership {
  businessId: string;
  businessName: string;
  role: Role;
}

const businessSchema = z.object({ id: z.string(), name: z.string() });
const rowSchema = z.object({
  role: z.enum(['owner', 'admin', 'member']),
  // PostgREST embeds a many-to-one relation as an object; tolerate a one-element array too.
  business: z.union([businessSchema, z.array(businessSchema)]).nullable(),
});

export type MembershipsState =
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  | { kind: 'ready'; memberships: Membership[] };

/** The signed-in user's businesses (RLS shows only their own memberships' businesses). */
export function useMemberships(supabase: Pick<SupabaseClient, 'from'>, userId: string | null): MembershipsState {
  const [state, setState] = useState<MembershipsState>({ kind: 'loading' });
  useEffect(() => {
    if (userId === null) return undefined;
    let active = true;
    setState({ kind: 'loading' });
    void (async () => {
      const { data, error } = await supabase.from('business_members').select('role, business:businesses(id, name)').eq('user_id', userId);
      if (!active) return;
      if (error) {
        setState({ kind: 'error', message: `Could not load your businesses: ${error.message}` });
        return;
      }
      const parsed = z.array(rowSchema).safeParse(data ?? []);
      if (!parsed.success) {
        setState({ kind: 'error', message: 'Could not load your businesses: the answer had an unexpected shape.' });
        return;
      }
      const memberships = parsed.data.flatMap((row) => {
        const business = Array.isArray(row.business) ? row.business[0] : row.business;
        return business ? [{ businessId: business.id, businessName: business.name, role: row.role }] : [];
      });
      memberships.sort((a, b) => a.businessName.localeCompare(b.businessName));
      setState({ kind: 'ready', memberships });
    })();
    return () => {
      active = false;
    };
  }, [supabase, userId]);
  return state;
}
