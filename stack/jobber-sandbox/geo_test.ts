import assert from "node:assert/strict";
import tzlookup from "@photostructure/tz-lookup";
import { geocode, locate, PLACES, UNPLACED_ADDRESS } from "./geo.ts";

Deno.test("every known place geocodes into the time zone it is listed with", () => {
  const zones = new Set<string>();
  for (const place of PLACES) {
    const point = geocode(place.address);
    assert.ok(point, `${place.key} should geocode`);
    assert.equal(tzlookup(point.latitude, point.longitude), place.timeZone, place.key);
    zones.add(place.timeZone);
  }
  // One per North American zone an integration has to handle, half-hour Newfoundland included.
  for (
    const zone of [
      "America/New_York",
      "America/Chicago",
      "America/Denver",
      "America/Phoenix",
      "America/Los_Angeles",
      "America/Anchorage",
      "Pacific/Honolulu",
      "America/Halifax",
      "America/St_Johns",
      "America/Regina",
    ]
  ) assert.ok(zones.has(zone), zone);
});

Deno.test("addresses in a known city get distinct points near its centre; spelling and country aliases match", () => {
  const denver = PLACES.find((p) => p.key === "denver")!;
  const a = geocode({ ...denver.address, street1: "1 Main St" })!;
  const b = geocode({ ...denver.address, street1: "2 Main St" })!;
  assert.notDeepEqual(a, b);
  for (const p of [a, b]) {
    assert.ok(Math.abs(p.latitude - denver.center.latitude) <= 0.015);
    assert.ok(Math.abs(p.longitude - denver.center.longitude) <= 0.015);
  }
  assert.deepEqual(
    geocode({ ...denver.address, street1: "1 Main St" }),
    a,
    "the same address, the same point",
  );
  const montreal = {
    street1: "1 Rue X",
    street2: "",
    city: "MONTREAL",
    province: "QC",
    postalCode: "",
    country: "CA",
  };
  assert.ok(geocode(montreal));
});

Deno.test("unknown cities, missing countries and empty addresses are NOT_FOUND", () => {
  assert.deepEqual(locate(UNPLACED_ADDRESS), { coordinates: null, geoStatus: "NOT_FOUND" });
  const denver = PLACES.find((p) => p.key === "denver")!;
  assert.equal(geocode({ ...denver.address, country: "" }), null);
  assert.equal(
    geocode({ street1: "", street2: "", city: "", province: "", postalCode: "", country: "Canada" }),
    null,
  );
  assert.equal(locate(denver.address).geoStatus, "FOUND");
});
