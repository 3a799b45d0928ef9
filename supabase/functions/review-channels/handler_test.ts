// review-channels against the real database: any member learns which review channels are
// configured and the public URLs messages carry; no credential is ever in the answer.
import assert from "node:assert/strict";
import {
  APP_ORIGIN,
  dbTestFactory,
  env,
  errorOf,
  functionUrl,
  noJobber,
  postJson,
  type SignedInTenant,
  stubbedRuntime,
} from "../_shared/testing_db.ts";
import type { Role } from "../../../tests/support/jobber_fixtures.ts";
import { createHandler } from "./handler.ts";

const TWILIO = {
  TWILIO_API_BASE: "https://twilio.example.test",
  TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000001",
  TWILIO_AUTH_TOKEN: "twilio-auth-token-that-must-stay-secret",
  TWILIO_FROM_NUMBER: "+15005550006",
};
const RESEND = {
  RESEND_API_BASE: "https://resend.example.test",
  RESEND_API_KEY: "re_resend_key_that_must_stay_secret",
  RESEND_WEBHOOK_SECRET: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0",
  EMAIL_FROM: "Reviews <reviews@example.test>",
};
const NO_MESSAGING = Object.fromEntries(
  [
    ...Object.keys(TWILIO),
    ...Object.keys(RESEND),
    "TWILIO_MESSAGING_SERVICE_SID",
    "REVIEW_UNSUBSCRIBE_URL",
    "REVIEW_LINK_BASE",
  ]
    .map((k) => [k, undefined]),
);

interface Ctx {
  handler: (vars: Record<string, string | undefined>) => (req: Request) => Promise<Response>;
  tenant: (role?: Role) => Promise<SignedInTenant>;
}

const dbTest = dbTestFactory(({ track, tenant }): Ctx => ({
  handler: (vars) =>
    createHandler(
      track(
        stubbedRuntime(
          { ...env, ...NO_MESSAGING, APP_ORIGIN, PUBLIC_FUNCTIONS_URL: undefined, ...vars },
          noJobber("review-channels"),
        ),
      ),
    ),
  tenant,
}));

const get = (businessId: string, jwt: string) =>
  new Request(`${functionUrl("review-channels")}?business_id=${businessId}`, {
    headers: { authorization: `Bearer ${jwt}` },
  });

dbTest(
  "review-channels tells a member that texts are configured and email is not, naming no credential",
  async (ctx) => {
    const { businessId, jwt } = await ctx.tenant("member");
    const res = await ctx.handler(TWILIO)(get(businessId, jwt));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), APP_ORIGIN);
    const text = await res.text();
    const body = JSON.parse(text);
    assert.deepEqual(Object.keys(body), ["sms", "email", "review_link_base", "unsubscribe_url"]);
    assert.deepEqual(body.sms, { configured: true, provider: "twilio" });
    assert.deepEqual(body.email, { configured: false, provider: "resend" });
    assert.match(body.review_link_base, /^https?:\/\/.+\/functions\/v1\/review-link$/);
    assert.match(body.unsubscribe_url, /\/review-unsubscribe$/);
    for (
      const secret of [
        TWILIO.TWILIO_AUTH_TOKEN,
        TWILIO.TWILIO_ACCOUNT_SID,
        TWILIO.TWILIO_FROM_NUMBER,
        "twilio.example.test",
      ]
    ) {
      assert.ok(!text.includes(secret), `the answer names ${secret}`);
    }
  },
);

dbTest(
  "review-channels reports both channels when Twilio and Resend are both configured (POST too)",
  async (ctx) => {
    const { businessId, jwt } = await ctx.tenant("owner");
    const res = await ctx.handler({
      ...TWILIO,
      ...RESEND,
      PUBLIC_FUNCTIONS_URL: "https://hooks.example.test/fn",
    })(
      postJson("review-channels", { business_id: businessId }, { token: jwt }),
    );
    assert.equal(res.status, 200);
    const text = await res.text();
    const body = JSON.parse(text);
    assert.deepEqual([body.sms.configured, body.email.configured], [true, true]);
    assert.equal(body.review_link_base, "https://hooks.example.test/fn/review-link");
    assert.equal(body.unsubscribe_url, "https://hooks.example.test/fn/review-unsubscribe");
    for (const secret of [RESEND.RESEND_API_KEY, RESEND.RESEND_WEBHOOK_SECRET, "reviews@example.test"]) {
      assert.ok(!text.includes(secret), `the answer names ${secret}`);
    }
  },
);

dbTest(
  "review-channels reports REVIEW_LINK_BASE as the link base when it is set: the link the sender puts in messages",
  async (ctx) => {
    const { businessId, jwt } = await ctx.tenant("member");
    const body = await (await ctx.handler({ ...TWILIO, REVIEW_LINK_BASE: "https://r.example.test/go" })(
      get(businessId, jwt),
    )).json();
    assert.equal(body.review_link_base, "https://r.example.test/go");
  },
);

dbTest("review-channels says neither channel is configured when no provider is set", async (ctx) => {
  const { businessId, jwt } = await ctx.tenant("member");
  const body = await (await ctx.handler({})(get(businessId, jwt))).json();
  assert.deepEqual([body.sms.configured, body.email.configured], [false, false]);
});

dbTest(
  "review-channels answers 403 not_a_member outside the business, the same as for an unknown one",
  async (ctx) => {
    const theirs = await ctx.tenant("owner");
    const mine = await ctx.tenant("owner");
    const handle = ctx.handler(TWILIO);
    const other = await errorOf(await handle(get(theirs.businessId, mine.jwt)));
    const unknown = await errorOf(await handle(get(crypto.randomUUID(), mine.jwt)));
    assert.equal(other.code, "not_a_member");
    assert.deepEqual(unknown, other);
  },
);

dbTest("review-channels answers 401 without a JWT and 400 naming a bad business id", async (ctx) => {
  const { jwt } = await ctx.tenant("member");
  const handle = ctx.handler(TWILIO);
  const anonymous = await handle(
    new Request(`${functionUrl("review-channels")}?business_id=${crypto.randomUUID()}`),
  );
  assert.equal(anonymous.status, 401);
  assert.equal((await errorOf(anonymous)).code, "unauthenticated");
  const bad = await handle(get("not-a-uuid", jwt));
  assert.equal(bad.status, 400);
  assert.match((await errorOf(bad)).message, /business_id/);
});
