// Recorded provider answers (fixtures/*.json, shaped exactly like the real APIs' JSON) for tests.
const dir = new URL("./fixtures/", import.meta.url);

export function fixtureText(name: string): string {
  return Deno.readTextFileSync(new URL(`${name}.json`, dir));
}

// deno-lint-ignore no-explicit-any
export function fixture(name: string): any {
  return JSON.parse(fixtureText(name));
}

export function fixtureReply(name: string, status: number, headers: Record<string, string> = {}): Response {
  return new Response(fixtureText(name), { status, headers: { "content-type": "application/json", ...headers } });
}
