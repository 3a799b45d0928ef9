// The start-up configuration error, in a module of its own so code that validates configuration
// (config.ts, messaging/config.ts) can be shared with Node-side tests without Deno globals.

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = "ConfigError";
  }
}
