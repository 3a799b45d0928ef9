// The Jobber sandbox's control API (/_sandbox/*, in the README), as every test helper calls it:
// the stack's one JSON call (stack/sandbox_connect.ts), so a non-2xx throws naming the answer.
import { callJson } from '../../stack/sandbox_connect.ts';
import { stack } from './stack';

export const sandboxControl = <T>(method: string, path: string, body?: unknown): Promise<T> =>
  callJson<T>(stack.sandboxUrl, method, `/_sandbox/${path}`, body);
