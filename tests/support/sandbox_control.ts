// The Jobber sandbox's control API (/_sandbox/*, in the README), as every test helper calls it:
// JSON in and out, and an error naming the call and the sandbox's answer when it is not a 2xx.
import { stack } from './stack';

export async function sandboxControl<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${stack.sandboxUrl}/_sandbox/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`sandbox ${method} ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}
