// review-unsubscribe against the real database: the RFC 8058 one-click POST opts the request's
// address out (once, however often it is used); GET only redirects to the dashboard's page; forged
// or unknown tokens change nothing.
import assert from "node:assert/strict";
import type postgres from "postgres";
import { APP_ORIGIN, dbTestFactory, env, errorOf, type Handle, noJobber, stubbedRuntime } from "../_shared/testing_db.ts";
import { askedCustomer, markSent, messageRow, optOuts, reviewBusiness } from "../../../tests/support/review_fixtures.ts";
import { createHandler } from "./handler.ts";

const FN = "https://project.example.test/functions/v1/review-unsubscribe";

const oneClick = (token: string, init: { body?: BodyInit; contentType?: string | null } = {}) =>
  new Request(`${FN}?t=${encodeURIComponent(token)}`, {
    method: "POST",
    headers: init.contentType === null ? {} : { "content-type": init.contentType ?? "application/x-www-form-urlencoded" },
    body: init.body ?? "List-Unsubscribe=One-Click",
  });

interface Ctx {
  admin: postgres.Sql;
  handle: Handle;
  emailed: () => Promise<{ businessId: string; token: string; followUpId: string; email: string }>;
}

const dbTest = dbTestFactory(({ admin, created, track }): Ctx => ({
  admin,
  handle: createHandler(track(stubbedRuntime({ ...env, APP_ORIGIN }, noJobber("review-unsubscribe")))),
  emailed: async () => {
    const b = await reviewBusiness(admin, { channels: ["email"], senderName: "Brightside Cleaning" });
    created.businessIds.push(b.businessId);
    created.userIds.push(b.user.id);
    const email = `Sam.${crypto.randomUUID().slice(0, 8)}@Example.com`;
    const asked = await askedCustomer(admin, b.businessId, { email });
    await markSent(admin, asked.messages[0]!.id, "resend", crypto.randomUUID());
    return { businessId: b.businessId, token: asked.unsubscribeToken, followUpId: asked.messages[1]!.id, email: email.toLowerCase() };
  },
}));

dbTest("the one-click POST opts the address out, answers 200 and cancels the follow-up", async ({ admin, handle, emailed }) => {
  const e = await emailed();
  const res = await handle(oneClick(e.token));
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { unsubscribed: true });
  assert.equal(res.headers.get("access-control-allow-origin"), APP_ORIGIN);
  assert.deepEqual(await optOuts(admin, e.businessId), [{ channel: "email", address: e.email, source: "email_unsubscribe" }]);
  const followUp = await messageRow(admin, e.followUpId);
  assert.deepEqual([followUp.status, followUp.cancel_reason], ["cancelled", "opted_out"]);
});

dbTest("using the link twice is harmless", async ({ admin, handle, emailed }) => {
  const e = await emailed();
  assert.equal((await handle(oneClick(e.token))).status, 200);
  const again = await handle(oneClick(e.token));
  assert.equal(again.status, 200);
  assert.deepEqual(await again.json(), { unsubscribed: true });
  assert.equal((await optOuts(admin, e.businessId)).length, 1);
});

dbTest("a multipart one-click body is accepted too (RFC 8058 allows both encodings)", async ({ admin, handle, emailed }) => {
  const e = await emailed();
  const form = new FormData();
  form.set("List-Unsubscribe", "One-Click");
  const res = await handle(new Request(`${FN}?t=${e.token}`, { method: "POST", body: form }));
  assert.equal(res.status, 200);
  assert.equal((await optOuts(admin, e.businessId)).length, 1);
});

dbTest("a forged token is a 404 and changes nothing", async ({ admin, handle, emailed }) => {
  const e = await emailed();
  const forged = e.token.slice(0, -1) + (e.token.endsWith("A") ? "B" : "A");
  for (const token of [forged, "not-a-token", ""]) {
    const res = await handle(oneClick(token));
    assert.equal(res.status, 404, token);
    assert.deepEqual(await errorOf(res), { code: "not_found", message: "This unsubscribe link is not valid." });
  }
  assert.deepEqual(await optOuts(admin, e.businessId), []);
});

dbTest("a POST without the one-click body is a 400 and changes nothing", async ({ admin, handle, emailed }) => {
  const e = await emailed();
  for (const init of [{ body: "" }, { body: "List-Unsubscribe=Yes" }, { body: "{}", contentType: "application/json" }]) {
    const res = await handle(oneClick(e.token, init));
    assert.equal(res.status, 400, init.body);
    assert.equal((await errorOf(res)).code, "invalid_request");
  }
  assert.deepEqual(await optOuts(admin, e.businessId), []);
});

dbTest("GET redirects to the dashboard's page with the token and changes nothing", async ({ admin, handle, emailed }) => {
  const e = await emailed();
  const res = await handle(new Request(`${FN}?t=${e.token}`));
  assert.equal(res.status, 302);
  assert.equal(res.headers.get("location"), `${APP_ORIGIN}/unsubscribe?t=${e.token}`);
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.deepEqual(await optOuts(admin, e.businessId), []);
});

dbTest("GET passes on nothing that is not shaped like a token", async ({ handle }) => {
  const res = await handle(new Request(`${FN}?t=${encodeURIComponent("<script>alert(1)</script>")}`));
  assert.equal(res.status, 302);
  assert.equal(res.headers.get("location"), `${APP_ORIGIN}/unsubscribe`);
});
