// An authorization code becomes what a connection is made of: the token pair (one call to Jobber's
// token endpoint), then `account { id name }` read with the new access token (Jobber recommends
// reading it at once: its id is what webhooks and disconnects name). Nothing is stored here.
import type { Runtime } from "../runtime.ts";
import type { Logger } from "../log.ts";
import { AppError, isAppError } from "../errors.ts";
import { exchangeCode, type JobberTokens } from "./oauth.ts";
import { ACCOUNT_QUERY, accountResultSchema } from "./queries.ts";
import { jobberClientWithToken, jobberDeps } from "./connection.ts";

export interface AuthorizedAccount {
  tokens: JobberTokens;
  account: { id: string; name: string };
}

export interface ExchangeOptions {
  /**
   * Whether failures that are safe to repeat are retried. Off for anonymous callers: every retry
   * spends the app's token-endpoint budget, which every token refresh shares.
   */
  retries: boolean;
}

export async function exchangeAuthorizationCode(
  rt: Runtime,
  code: string,
  log: Logger,
  { retries }: ExchangeOptions,
): Promise<AuthorizedAccount> {
  const tokens = await exchangeCode(rt.config, code, { ...jobberDeps(rt, log), ...(retries ? {} : { maxAttempts: 1 }) })
    .catch((err) => {
      if (isAppError(err) && err.code === "jobber_error") {
        throw new AppError("jobber_error", "Jobber refused the authorization code. Start the connection again.", {
          cause: err,
        });
      }
      throw err;
    });
  const client = jobberClientWithToken(rt, tokens.accessToken, log, retries ? 2 : 0);
  const { data } = await client.request(ACCOUNT_QUERY, {}, accountResultSchema);
  return { tokens, account: data.account };
}
