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

/** New entries with copied values; keys are already lower-cased, so they are not lower-cased again. */
function copyEntries<V>(from: Map<string, Entry<V>>, copy: (v: V) => V): Map<string, Entry<V>> {
  const entries = new Map<string, Entry<V>>();
  for (const [k, e] of from) entries.set(k, { name: e.name, value: copy(e.value) });
  return entries;
}

export class NameMap<V> implements Iterable<[string, V]> {
  private entries: Map<string, Entry<V>> = NONE;
  // Set by copyOnRead(): `entries` still belongs to the map this one copies, and every value goes
  // through this function before anyone reads or changes one. A # field, so that deep equality
  // and inspection see only the entries. Typed without V so that NameMap stays covariant in V as
  // it was (a NameMap<never> still passes for any NameMap).
  #pending: ((v: never) => unknown) | undefined = undefined;
  // Set by copyOnWrite(): `entries` still belongs to the map this one copies, and is copied (the
  // entries, not the values) before the first set() or delete().
  #shared = false;

  static from<V>(items: Iterable<V>, nameOf: (v: V) => string): NameMap<V> {
    const m = new NameMap<V>();
    for (const v of items) m.set(nameOf(v), v);
    return m;
  }

  get size(): number {
    return this.entries.size;
  }

  get(name: string): V | undefined {
    return (this.#pending === undefined ? this.entries : this.own()).get(lower(name))?.value;
  }

  has(name: string): boolean {
    return this.entries.has(lower(name));
  }

  /** Sets the value; an existing entry keeps its position but takes the new spelling. */
  set(name: string, value: V): this {
    if (this.writable() === NONE) this.entries = new Map();
    this.entries.set(lower(name), { name, value });
    return this;
  }

  delete(name: string): boolean {
    return this.writable().delete(lower(name));
  }

  clear(): void {
    this.#pending = undefined;
    this.#shared = false;
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
    for (const e of this.own().values()) out.push(e.value);
    return out;
  }

  /**
   * Calls f(value, name) for each entry in order, without the [name, value] pair the iterator
   * makes per entry (which shows in enumerations of thousands of instances). f may delete or
   * replace the entry it is given, as with Map.forEach.
   */
  forEach(f: (value: V, name: string) => void): void {
    for (const e of this.own().values()) f(e.value, e.name);
  }

  *[Symbol.iterator](): Iterator<[string, V]> {
    for (const e of this.own().values()) yield [e.name, e.value];
  }

  /** A copy; with `copy`, each value is replaced by copy(value). */
  clone(copy?: (v: V) => V): NameMap<V> {
    const m = new NameMap<V>();
    if (this.entries.size === 0) return m;
    // Entries are never changed in place (set() replaces them), so a copy with the same values
    // can share them: the repository copies inherited member maps this way for every class.
    if (!copy) {
      m.entries = new Map(this.own());
      return m;
    }
    m.entries = copyEntries(this.own(), copy);
    return m;
  }

  /**
   * A copy that shares this map's entries until it is first read or changed, and then copies
   * them all with `copy`. Names, size and has() do not count as reads. Only for maps that never
   * change afterwards (the repository's stored classes): the copy is taken from whatever they hold
   * at that moment. Most callers of getClass read a name or a few members, never every qualifier.
   */
  copyOnRead(copy: (v: V) => V): NameMap<V> {
    const m = new NameMap<V>();
    if (this.entries.size === 0) return m;
    m.entries = this.own();
    m.#pending = copy;
    return m;
  }

  /**
   * A copy that shares this map's entries, and so its values, until it is first changed by set()
   * or delete(); reading it copies nothing. Only for maps that never change afterwards and whose
   * values are never changed in place: the repository's frozen stored instances, whose views
   * (storedInstances.ts) the WBEM server mostly reads whole and sometimes trims.
   */
  copyOnWrite(): NameMap<V> {
    const m = new NameMap<V>();
    if (this.entries.size === 0) return m;
    m.entries = this.own();
    m.#shared = true;
    return m;
  }

  /** The entries, made this map's own first if they are still shared or pending. */
  private writable(): Map<string, Entry<V>> {
    const entries = this.own();
    if (!this.#shared) return entries;
    this.#shared = false;
    // Entries are never changed in place (set() replaces them), so the new map may share them.
    const copy = new Map<string, Entry<V>>();
    for (const [k, e] of entries) copy.set(k, e);
    this.entries = copy;
    return copy;
  }

  /** The entries, copied first if this map is a copyOnRead() copy not yet taken. */
  private own(): Map<string, Entry<V>> {
    const copy = this.#pending as ((v: V) => V) | undefined;
    if (copy !== undefined) {
      this.#pending = undefined;
      this.entries = copyEntries(this.entries, copy);
    }
    return this.entries;
  }

  /**
   * A map with the same names in the same order, each value replaced by f(value), or left out when
   * f gives undefined. Keys are already lower-cased, so nothing is lower-cased again.
   */
  mapValues<W>(f: (v: V) => W | undefined): NameMap<W> {
    const m = new NameMap<W>();
    if (this.entries.size === 0) return m;
    const entries = new Map<string, Entry<W>>();
    for (const [k, e] of this.own()) {
      const w = f(e.value);
      if (w === undefined) continue;
      entries.set(k, (w as unknown) === e.value ? (e as unknown as Entry<W>) : { name: e.name, value: w });
    }
    if (entries.size > 0) m.entries = entries;
    return m;
  }
}
