// The root fields, and every type's resolvers gathered for schema.ts.
import { GraphQLError } from "graphql";
import { APP_UUID } from "./options.ts";
import { clientResolvers, clientsQuery, userQuery } from "./resolve_clients.ts";
import { type GqlContext, lookup, ownClient, type Resolver } from "./resolve_common.ts";
import { workQueries, workResolvers } from "./resolve_work.ts";
import { WEBHOOK_TOPICS } from "./topics.ts";

export type { GqlContext };
export { MAX_PAGE_SIZE } from "./resolve_common.ts";

export const resolvers: Record<string, Record<string, Resolver>> = {
  Query: {
    account: (_r, _a, ctx) => ctx.store.accounts.get(ctx.accountId) ?? null,
    user: userQuery,
    clients: clientsQuery,
    client: (_r, args, ctx) => ownClient(ctx, lookup("Client", args.id)),
    ...workQueries,
    webHookEvent: (_r, args) => {
      const hook = lookup("WebHook", args.webHookId);
      const topic = hook === null ? undefined : WEBHOOK_TOPICS[hook - 1];
      if (!topic) throw new GraphQLError("Web hook not found");
      return {
        topic,
        appId: APP_UUID,
        accountId: args.accountId,
        itemId: args.itemId,
        occuredAt: args.occuredAt,
      };
    },
  },
  Mutation: {
    appDisconnect: (_r, _a, ctx) => {
      ctx.disconnect(ctx.accountId);
      return {
        app: {
          id: 1,
          name: ctx.appName,
          author: ctx.appName,
          description: `${ctx.appName} (Jobber sandbox)`,
        },
        userErrors: [],
      };
    },
  },
  ...clientResolvers,
  ...workResolvers,
};
