// CIM names are case-insensitive and case-preserving (DSP0004 5.1.2.3): an insertion-ordered map
// keyed by the lower-cased name that remembers the spelling it was given.

type Entry<V> = { name: string; value: V };

// Most qualifier maps of instance properties stay empty: they share this one until first set().
// It is never written to.
const NONE: Map<string, Entry<never>> = new Map();

// Lower-casing makes a new string, whose hash the Map lookup then computes afresh. A schema
// compile looks the same few hundred names (qualifiers, common properties) up hundreds of
// thousands of times, so their lower-case forms are remembered: the cached string keeps its hash.
// Bounded in count and length, because names also arrive from the wire.
const LOWER_CACHE_SIZE = 16384;
const LOWER_CACHE_MAX_LENGTH = 128;
const lowerCache = new Map<string, string>();

function lower(name: string): string {
  let l = lowerCache.get(name);
  if (l === undefined) {
    l = name.toLowerCase();
    if (name.length <= LOWER_CACHE_MAX_LENGTH) {
      if (lowerCache.size >= LOWER_CACHE_SIZE) lowerCache.clear();
      lowerCache.set(name, l);
    }
  }
  return l;
}

export class NameMap<V> implements Iterable<[string, V]> {
  private entries: Map<string, Entry<V>> = NONE;

  static from<V>(items: Iterable<V>, nameOf: (v: V) => string): NameMap<V> {
    const m = new NameMap<V>();
    for (const v of items) m.set(nameOf(v), v);
    return m;
  }

  get size(): number {
    return this.entries.size;
  }

  get(name: string): V | undefined {
    return this.entries.get(lower(name))?.value;
  }

  has(name: string): boolean {
    return this.entries.has(lower(name));
  }

  /** Sets the value; an existing entry keeps its position but takes the new spelling. */
  set(name: string, value: V): this {
    if (this.entries === NONE) this.entries = new Map();
    this.entries.set(lower(name), { name, value });
    return this;
  }

  delete(name: string): boolean {
    return this.entries.delete(lower(name));
  }

  clear(): void {
    this.entries = NONE;
  }

  /** The spelling under which `name` was stored. */
  nameOf(name: string): string | undefined {
    return this.entries.get(lower(name))?.name;
  }

  names(): string[] {
    const out: string[] = [];
    for (const e of this.entries.values()) out.push(e.name);
    return out;
  }

  values(): V[] {
    const out: V[] = [];
    for (const e of this.entries.values()) out.push(e.value);
    return out;
  }

  *[Symbol.iterator](): Iterator<[string, V]> {
    for (const e of this.entries.values()) yield [e.name, e.value];
  }

  /** A copy; with `copy`, each value is replaced by copy(value). */
  clone(copy?: (v: V) => V): NameMap<V> {
    const m = new NameMap<V>();
    if (this.entries.size === 0) return m;
    // Entries are never changed in place (set() replaces them), so a copy with the same values
    // can share them: the repository copies inherited member maps this way for every class.
    if (!copy) {
      m.entries = new Map(this.entries);
      return m;
    }
    // Keys are already lower-cased: copy entries directly instead of going through set().
    const entries = new Map<string, Entry<V>>();
    for (const [k, e] of this.entries) entries.set(k, { name: e.name, value: copy(e.value) });
    m.entries = entries;
    return m;
  }

  /**
   * A map with the same names in the same order, each value replaced by f(value), or left out when
   * f gives undefined. Keys are already lower-cased, so nothing is lower-cased again.
   */
  mapValues<W>(f: (v: V) => W | undefined): NameMap<W> {
    const m = new NameMap<W>();
    if (this.entries.size === 0) return m;
    const entries = new Map<string, Entry<W>>();
    for (const [k, e] of this.entries) {
      const w = f(e.value);
      if (w === undefined) continue;
      entries.set(k, (w as unknown) === e.value ? (e as unknown as Entry<W>) : { name: e.name, value: w });
    }
    if (entries.size > 0) m.entries = entries;
    return m;
  }
}
