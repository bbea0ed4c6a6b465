// Type sets as bit masks: each type of a component gets a bit index, a set of types is a
// Uint32Array of ceil(types/32) words. All decisions reduce to AND / AND-NOT over a few words.

export function wordsFor(typeCount: number): number {
  return Math.max(1, Math.ceil(typeCount / 32));
}

export function maskOf(types: Iterable<string>, index: ReadonlyMap<string, number>, words: number): Uint32Array {
  const m = new Uint32Array(words);
  for (const t of types) {
    const i = index.get(t);
    if (i !== undefined) m[i >>> 5]! |= 1 << (i & 31);
  }
  return m;
}

export function hasBit(m: Uint32Array, i: number): boolean {
  return (m[i >>> 5]! & (1 << (i & 31))) !== 0;
}

export function intersects(a: Uint32Array, b: Uint32Array): boolean {
  for (let w = 0; w < a.length; w++) if ((a[w]! & b[w]!) !== 0) return true;
  return false;
}

/** True when every bit of `a` is also set in `b`. */
export function subsetOf(a: Uint32Array, b: Uint32Array): boolean {
  for (let w = 0; w < a.length; w++) if ((a[w]! & ~b[w]!) !== 0) return false;
  return true;
}

/** Names of the bits set in `m`, in bit order. */
export function namesOf(m: Uint32Array, names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < names.length; i++) if (hasBit(m, i)) out.push(names[i]!);
  return out;
}

export function and(a: Uint32Array, b: Uint32Array): Uint32Array {
  const m = new Uint32Array(a.length);
  for (let w = 0; w < a.length; w++) m[w] = a[w]! & b[w]!;
  return m;
}

export function andNot(a: Uint32Array, b: Uint32Array): Uint32Array {
  const m = new Uint32Array(a.length);
  for (let w = 0; w < a.length; w++) m[w] = a[w]! & ~b[w]!;
  return m;
}
