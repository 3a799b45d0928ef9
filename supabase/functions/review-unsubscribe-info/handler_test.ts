// review-unsubscribe-info against the real database: the page learns the business and whether the
// address is already unsubscribed, never the address; unknown tokens are a 404.
import assert from "node:assert/strict";
import type postgres from "postgres";
import { APP_ORIGIN, dbTestFactory, env, errorOf, type Handle, noJobber, stubbedRuntime } from "../_shared/testing_db.ts";
import { askedCustomer, markSent, reviewBusiness } from "../../../tests/support/review_fixtures.ts";
import { createHandler } from "./handler.ts";

const FN = "https://project.example.test/functions/v1/review-unsubscribe-info";

interface Ctx {
  admin: postgres.Sql;
  handle: Handle;
  emailed: (senderName?: string) => Promise<{ businessId: string; token: string; email: string }>;
}

const dbTest = dbTestFactory(({ admin, created, track }): Ctx => ({
  admin,
  handle: createHandler(track(stubbedRuntime({ ...env, APP_ORIGIN }, noJobber("review-unsubscribe-info")))),
  emailed: async (senderName?: string) => {
    const b = await reviewBusiness(admin, { channels: ["email"], name: "Brightside Cleaning LLC", ...(senderName ? { senderName } : {}) });
    created.businessIds.push(b.businessId);
    created.userIds.push(b.user.id);
    const email = `pat.${crypto.randomUUID().slice(0, 8)}@example.com`;
    const asked = await askedCustomer(admin, b.businessId, { email });
    await markSent(admin, asked.messages[0]!.id, "resend", crypto.randomUUID());
    return { businessId: b.businessId, token: asked.unsubscribeToken, email };
  },
}));

dbTest("names the business as its emails sign, and never the address", async ({ handle, emailed }) => {
  const e = await emailed("Brightside Cleaning");
  const res = await handle(new Request(`${FN}?t=${e.token}`));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("access-control-allow-origin"), APP_ORIGIN);
  const text = await res.text();
  assert.deepEqual(JSON.parse(text), { business_name: "Brightside Cleaning", unsubscribed: false });
  assert.equal(text.includes(e.email), false);
});

dbTest("without a sender name, the business's own name", async ({ handle, emailed }) => {
  const e = await emailed();
  assert.deepEqual(await (await handle(new Request(`${FN}?t=${e.token}`))).json(),
    { business_name: "Brightside Cleaning LLC", unsubscribed: false });
});

dbTest("says when the address is already unsubscribed", async ({ admin, handle, emailed }) => {
  const e = await emailed();
  await admin`insert into public.contact_opt_outs (business_id, channel, address, source)
              values (${e.businessId}, 'email', ${e.email}, 'email_unsubscribe')`;
  assert.equal((await (await handle(new Request(`${FN}?t=${e.token}`))).json()).unsubscribed, true);
});

dbTest("an unknown, forged or missing token is a 404", async ({ handle, emailed }) => {
  const e = await emailed();
  for (const query of [`?t=${"A".repeat(22)}`, `?t=${e.token}x`, "?t=%3Cscript%3E", ""]) {
    const res = await handle(new Request(`${FN}${query}`));
    assert.equal(res.status, 404, query);
    assert.deepEqual(await errorOf(res), { code: "not_found", message: "This unsubscribe link is not valid." });
  }
});

dbTest("only GET is answered", async ({ handle, emailed }) => {
  const e = await emailed();
  const res = await handle(new Request(`${FN}?t=${e.token}`, { method: "POST", body: "List-Unsubscribe=One-Click" }));
  assert.equal(res.status, 405);
});
