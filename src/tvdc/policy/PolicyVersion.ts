// Policy versions are "major.minor", each 1-8 digits, as Xen's tools required (the XSD's pattern
// has an unescaped '.', so the schema alone accepts "1x0"; we do not).

const VERSION = /^[0-9]{1,8}\.[0-9]{1,8}$/;

export function isPolicyVersion(v: string): boolean {
  return VERSION.test(v);
}

/** Negative when a < b, 0 when equal, positive when a > b; compares major, then minor, numerically. */
export function compareVersions(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number) as [number, number];
  const [bm, bn] = b.split('.').map(Number) as [number, number];
  return am !== bm ? am - bm : an - bn;
}
