import assert from "node:assert/strict";
import { TokenBucket } from "./rate_limit.ts";

Deno.test("a bucket allows its burst, then one message per 1/rate seconds", () => {
  let t = 0;
  const bucket = new TokenBucket(3, 10, () => t); // a burst of 3, then 10 a second
  assert.deepEqual([bucket.take(), bucket.take(), bucket.take()].map((r) => r.ok), [true, true, true]);
  const refused = bucket.take();
  assert.ok(!refused.ok && refused.waitMs === 100);
  t += 100;
  assert.equal(bucket.take().ok, true);
  assert.equal(bucket.take().ok, false);
});

Deno.test("raising the limit applies to a bucket already in use", () => {
  let t = 0;
  const bucket = new TokenBucket(1, 1, () => t);
  bucket.take();
  bucket.configure(1000, 1000);
  t += 10;
  assert.equal(bucket.take().ok, true);
});
