// Seeded randomness for the fuzz tests: the same seed gives the same inputs on every run, so a
// failing case can be replayed from its seed and case number.

/** A source of numbers in [0, 1), like Math.random but reproducible. */
export type Random = () => number;

/** mulberry32: tiny and fast, and spread well enough for test inputs (not for anything secret). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One element of a non-empty list (or one UTF-16 unit of a string), drawing exactly one number from r. */
export function pick<T>(r: Random, items: ArrayLike<T>): T {
  return items[Math.floor(r() * items.length)]!;
}
