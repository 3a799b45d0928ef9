import type { SupabaseClient } from '@supabase/supabase-js';
import { z } from 'zod';

/** An Edge Function failure reduced to the `{ error: { code, message } }` contract of SPEC §5. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number | null;

  constructor(code: string, message: string, status: number | null) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

interface ResponseLike {
  status?: number;
  json(): Promise<unknown>;
}

function isResponseLike(value: unknown): value is ResponseLike {
  return typeof value === 'object' && value !== null && typeof (value as { json?: unknown }).json === 'function';
}

/** Turns whatever supabase-js handed back as `error` into an ApiError with a stable code. */
export async function toApiError(error: unknown): Promise<ApiError> {
  if (error instanceof ApiError) return error;
  const context = typeof error === 'object' && error !== null ? (error as { context?: unknown }).context : undefined;
  if (isResponseLike(context)) {
    const status = typeof context.status === 'number' ? context.status : null;
    try {
      const parsed = errorBody.safeParse(await context.json());
      if (parsed.success) return new ApiError(parsed.data.error.code, parsed.data.error.message, status);
    } catch {
      // Not JSON: fall through to a generic error that still carries the status.
    }
    return new ApiError('http_error', `The server answered ${status ?? 'with an error'}.`, status);
  }
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  if (name === 'FunctionsFetchError') {
    return new ApiError('network_error', 'Blipp could not reach the server. Check your connection and try again.', null);
  }
  const message = error instanceof Error && error.message ? error.message : 'Something went wrong.';
  return new ApiError('unknown_error', message, null);
}

type FunctionsClient = Pick<SupabaseClient, 'functions'>;

/** POSTs JSON to an Edge Function and returns its JSON body, or throws an ApiError. */
export async function invokeFunction(supabase: FunctionsClient, name: string, body: Record<string, unknown>): Promise<unknown> {
  let result: { data: unknown; error: unknown };
  try {
    result = await supabase.functions.invoke(name, { body });
  } catch (error) {
    throw await toApiError(error);
  }
  if (result.error) throw await toApiError(result.error);
  return result.data;
}
