import { FunctionsFetchError, FunctionsHttpError } from '@supabase/supabase-js';
import { describe, expect, it, vi } from 'vitest';
import { ApiError, invokeFunction, toApiError } from './functions';

describe('toApiError', () => {
  it('reads code and message from the JSON body of a FunctionsHttpError', async () => {
    const response = new Response(JSON.stringify({ error: { code: 'already_connected', message: 'Already connected.' } }), { status: 409 });
    const error = await toApiError(new FunctionsHttpError(response));
    expect(error).toMatchObject({ code: 'already_connected', message: 'Already connected.', status: 409 });
  });

  it('keeps the status when the body is not the error JSON', async () => {
    const error = await toApiError(new FunctionsHttpError(new Response('<html>', { status: 502 })));
    expect(error).toMatchObject({ code: 'http_error', status: 502 });
  });

  it('reports a network failure as network_error', async () => {
    expect(await toApiError(new FunctionsFetchError(new TypeError('fetch failed')))).toMatchObject({ code: 'network_error' });
  });
});

describe('invokeFunction', () => {
  it('posts the body and returns the data', async () => {
    const invoke = vi.fn(async () => ({ data: { url: 'http://x' }, error: null }));
    await expect(invokeFunction({ functions: { invoke } } as never, 'jobber-connect', { business_id: 'b' })).resolves.toEqual({ url: 'http://x' });
    expect(invoke).toHaveBeenCalledWith('jobber-connect', { body: { business_id: 'b' } });
  });

  it('throws an ApiError for an error answer', async () => {
    const response = new Response(JSON.stringify({ error: { code: 'forbidden_role', message: 'No.' } }), { status: 403 });
    const invoke = vi.fn(async () => ({ data: null, error: new FunctionsHttpError(response) }));
    await expect(invokeFunction({ functions: { invoke } } as never, 'jobber-connect', {})).rejects.toBeInstanceOf(ApiError);
  });
});
