import assert from "node:assert/strict";
import { CostBucket, RequestWindow } from "./bucket.ts";

Deno.test("the bucket refills continuously at restoreRate points per second up to its maximum", () => {
  let t = 0;
  const bucket = new CostBucket(10_000, 500, () => t);
  bucket.charge(3000);
  assert.equal(bucket.status().currentlyAvailable, 7000);
  t += 1500;
  assert.equal(bucket.status().currentlyAvailable, 7750);
  t += 60_000;
  assert.equal(bucket.status().currentlyAvailable, 10_000);
});

Deno.test("reconfiguring the bucket caps what is available at the new maximum", () => {
  const bucket = new CostBucket(10_000, 500, () => 0);
  bucket.configure(100, 10);
  assert.deepEqual(bucket.status(), { maximumAvailable: 100, currentlyAvailable: 100, restoreRate: 10 });
});

Deno.test("the request window refuses requests past its limit until the window rolls over", () => {
  let t = 0;
  const window = new RequestWindow(() => t);
  assert.deepEqual([1, 2, 3].map(() => window.hit(2, 1000)), [true, true, false]);
  t += 1000;
  assert.equal(window.hit(2, 1000), true);
});
