// The sandbox's stand-in for Jobber's geocoder. Jobber geocodes every property address and
// exposes the result as PropertyAddress.coordinates (null when it found nothing) with a
// geoStatus. The sandbox cannot reach a geocoding service, so it knows a fixed set of North
// American cities, one per time zone an integration has to handle, plus the cities the client
// generator uses; any address in one of them gets that city's coordinates, nudged per street so
// two properties never share a point. Every other address is NOT_FOUND: no coordinates.
import type { AddressRecord } from "./model.ts";

export interface Coordinates {
  latitude: number;
  longitude: number;
}

export type GeoStatus = "FOUND" | "NOT_FOUND" | "MANUAL_OVERRIDE";

export interface Place {
  /** Short key for the control API and the demo page's picker. */
  key: string;
  /** A real street address in the city, used by the demo page's "new job" form. */
  address: AddressRecord;
  /** The city's coordinates (its centre, not the street's). */
  center: Coordinates;
  /** The IANA zone a coordinate lookup must give for this city; geo_test.ts checks it. */
  timeZone: string;
}

const place = (
  key: string,
  street1: string,
  city: string,
  province: string,
  postalCode: string,
  country: "United States" | "Canada" | "United Kingdom",
  latitude: number,
  longitude: number,
  timeZone: string,
): Place => ({
  key,
  address: { street1, street2: "", city, province, postalCode, country },
  center: { latitude, longitude },
  timeZone,
});

// deno-fmt-ignore
export const PLACES: readonly Place[] = [
  place("new-york", "350 5th Ave", "New York", "NY", "10118", "United States", 40.7484, -73.9857, "America/New_York"),
  place("chicago", "233 S Wacker Dr", "Chicago", "IL", "60606", "United States", 41.8789, -87.6359, "America/Chicago"),
  place("austin", "1100 Congress Ave", "Austin", "TX", "78701", "United States", 30.2747, -97.7404, "America/Chicago"),
  place("denver", "200 E Colfax Ave", "Denver", "CO", "80203", "United States", 39.7393, -104.9848, "America/Denver"),
  place("phoenix", "200 W Washington St", "Phoenix", "AZ", "85003", "United States", 33.4484, -112.0771, "America/Phoenix"),
  place("portland", "1221 SW 4th Ave", "Portland", "OR", "97204", "United States", 45.5152, -122.6794, "America/Los_Angeles"),
  place("los-angeles", "200 N Spring St", "Los Angeles", "CA", "90012", "United States", 34.0537, -118.2427, "America/Los_Angeles"),
  place("anchorage", "632 W 6th Ave", "Anchorage", "AK", "99501", "United States", 61.2176, -149.8953, "America/Anchorage"),
  place("honolulu", "530 S King St", "Honolulu", "HI", "96813", "United States", 21.3049, -157.8577, "Pacific/Honolulu"),
  place("toronto", "100 Queen St W", "Toronto", "ON", "M5H 2N2", "Canada", 43.6534, -79.3841, "America/Toronto"),
  place("montreal", "275 Rue Notre-Dame E", "Montréal", "QC", "H2Y 1C6", "Canada", 45.5088, -73.554, "America/Toronto"),
  place("halifax", "1841 Argyle St", "Halifax", "NS", "B3J 3A5", "Canada", 44.6478, -63.5755, "America/Halifax"),
  place("st-johns", "10 New Gower St", "St. John's", "NL", "A1C 5M2", "Canada", 47.5656, -52.7076, "America/St_Johns"),
  place("winnipeg", "510 Main St", "Winnipeg", "MB", "R3B 1B9", "Canada", 49.8994, -97.1392, "America/Winnipeg"),
  place("regina", "2476 Victoria Ave", "Regina", "SK", "S4P 3C8", "Canada", 50.447, -104.6131, "America/Regina"),
  place("calgary", "800 Macleod Trail SE", "Calgary", "AB", "T2G 2M3", "Canada", 51.0453, -114.0581, "America/Edmonton"),
  place("vancouver", "453 W 12th Ave", "Vancouver", "BC", "V5Y 1V4", "Canada", 49.2606, -123.114, "America/Vancouver"),
  place("london", "10 Downing St", "London", "", "SW1A 2AA", "United Kingdom", 51.5034, -0.1276, "Europe/London"),
];

/** A real rural address the sandbox's geocoder (like Jobber's, often) cannot place. */
export const UNPLACED_ADDRESS: AddressRecord = {
  street1: "RR 2 Site 14",
  street2: "",
  city: "Gander Bay South",
  province: "NL",
  postalCode: "A0G 2G0",
  country: "Canada",
};

const COUNTRY_ALIASES: Record<string, string> = {
  "united states": "us",
  "united states of america": "us",
  usa: "us",
  us: "us",
  canada: "ca",
  ca: "ca",
  "united kingdom": "gb",
  uk: "gb",
  gb: "gb",
};

function fold(text: string): string {
  return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").trim().toLowerCase();
}

const byCity = new Map(
  PLACES.map((p) => [`${fold(p.address.city)}|${COUNTRY_ALIASES[fold(p.address.country)]}`, p]),
);

export function findPlace(key: string): Place | undefined {
  return PLACES.find((p) => p.key === key);
}

/** FNV-1a, so the per-street nudge is the same on every run. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

/**
 * Coordinates for an address in a known city (within about 1.5 km of its centre, never across
 * a time-zone line), or null. Country is required, as it is for Jobber's geocoder.
 */
export function geocode(address: AddressRecord): Coordinates | null {
  const country = COUNTRY_ALIASES[fold(address.country)];
  if (!country || !address.city.trim()) return null;
  const found = byCity.get(`${fold(address.city)}|${country}`);
  if (!found) return null;
  const h = hash(`${fold(address.street1)}|${fold(address.street2)}|${fold(address.postalCode)}`);
  const nudge = (bits: number) => ((bits & 0xffff) / 0xffff - 0.5) * 0.03;
  return {
    latitude: round6(found.center.latitude + nudge(h)),
    longitude: round6(found.center.longitude + nudge(h >>> 16)),
  };
}

/** What Jobber stores on a property after geocoding its address. */
export function locate(address: AddressRecord): { coordinates: Coordinates | null; geoStatus: GeoStatus } {
  const coordinates = geocode(address);
  return { coordinates, geoStatus: coordinates ? "FOUND" : "NOT_FOUND" };
}
