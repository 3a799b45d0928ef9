// The address a request came from, as the platform's edge reports it. Used only to share out an
// anonymous endpoint's allowance fairly: a forged header can at worst move a caller into another
// bucket, and the overall allowance still bounds what everyone together can cost.

/** The first `x-forwarded-for` hop (the client, as the edge saw it), else `x-real-ip`, else null. */
export function clientAddress(req: Request): string | null {
  const forwarded = req.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  if (forwarded) return forwarded.slice(0, 100);
  const real = req.headers.get("x-real-ip")?.trim();
  return real ? real.slice(0, 100) : null;
}
