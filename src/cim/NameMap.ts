// CIM names are case-insensitive and case-preserving (DSP0004 5.1.2.3): an insertion-ordered map
// keyed by the lower-cased name that remembers the spelling it was given.
//
// A decoded enumeration makes one map per instance (its properties, around ten) and one per path
// (its key bindings, one to three), so a map is laid out for the small case: one flat array
// [lowerName0, name0, value0, lowerName1, ...] searched in order. A Map with an entry object per
// name took about three times the memory, all of which the garbage collector copied and marked
// (a quarter of the decoder's time went to collection). Maps past
// INDEXED_SLOTS (repository classes have fifty properties and more) get a Map from lower-cased
// name to slot on their first lookup, so that lookups there stay O(1).
//
// All state is in # fields: deep equality (chai's deep-eql) then finds no own enumerable key and
// compares the iterated [name, value] pairs sorted, as it compared the entries of the Map this
// class used to hold. Two maps with the same names (as spelled) and values are deep-equal whatever
// their order, lookup history or index.
import { BoundedMap } from './BoundedMap.js';

// Most qualifier maps of instance properties stay empty: they share this one until first set().
// It is never written to.
const NONE: unknown[] = Object.freeze([]) as unknown as unknown[];

// Up to 16 entries the index would about double a map's memory, and a search in order is cheap for
// a name spelled as stored, which is how most lookups spell it (a miss or a name in another case
// costs about three times a hash lookup at 11 entries: tolerable for the rarer lookups of that kind).
const INDEXED_SLOTS = 3 * 16;

// Marks a copyOnWrite() copy in #state.
const SHARED = 1;

const INSPECT: unique symbol = Symbol.for('nodejs.util.inspect.custom');

// Lower-casing makes a new string, whose hash the Map lookup then computes afresh. A schema
// compile looks the same few hundred names (qualifiers, common properties) up hundreds of
// thousands of times, so their lower-case forms are remembered: the cached string keeps its hash,
// and lookups of one name get the same string, which compares equal by identity.
// Bounded in count and length, because names also arrive from the wire.
const LOWER_CACHE_SIZE = 16384;
const LOWER_CACHE_MAX_LENGTH = 128;
const lowerCache = new BoundedMap<string, string>(LOWER_CACHE_SIZE);

function lower(name: string): string {
  let l = lowerCache.get(name);
  if (l === undefined) {
    l = name.toLowerCase();
    if (name.length <= LOWER_CACHE_MAX_LENGTH) lowerCache.set(name, l);
  }
  return l;
}

/**
 * A frozen map used to refuse the set() that would give it entries, because doing so replaced a
 * field Object.freeze had made read-only; the entries now live in a # field, which freezing does
 * not protect, so the places that replace the array ask instead. (Callers rely on this: a frozen
 * stored property's shared empty qualifier map must not take entries.)
 */
function refuseIfFrozen(m: object): void {
  if (Object.isFrozen(m)) throw new TypeError('Cannot change a frozen NameMap');
}

export class NameMap<V> implements Iterable<[string, V]> {
  /** [lowerName, name, value] per entry, in insertion order; NONE while empty and never set. */
  #data: unknown[] = NONE;
  /** Lower-cased name to the slot of its entry; only while #data is longer than INDEXED_SLOTS. */
  #index: Map<string, number> | undefined = undefined;
  /**
   * A function: set by copyOnRead(); #data (and #index) still belong to the map this one copies,
   * and every value goes through the function before anyone reads or changes one. Typed without
   * V so that NameMap stays covariant in V (a NameMap<never> still passes for any NameMap).
   * SHARED: set by copyOnWrite(); #data (and #index) still belong to the map this one copies and
   * are copied before the first set() or delete().
   */
  #state: ((v: never) => unknown) | typeof SHARED | undefined = undefined;

  static from<V>(items: Iterable<V>, nameOf: (v: V) => string): NameMap<V> {
    const m = new NameMap<V>();
    for (const v of items) m.set(nameOf(v), v);
    return m;
  }

  get size(): number {
    return this.#data.length / 3;
  }

  get(name: string): V | undefined {
    if (typeof this.#state === 'function') this.#own();
    const i = this.#find(name);
    return i < 0 ? undefined : (this.#data[i + 2] as V);
  }

  has(name: string): boolean {
    return this.#find(name) >= 0;
  }

  /** Sets the value; an existing entry keeps its position but takes the new spelling. */
  set(name: string, value: V): this {
    let d = this.#writable();
    const k = lower(name);
    const i = this.#slot(k);
    if (i >= 0) {
      d[i + 1] = name;
      d[i + 2] = value;
      return this;
    }
    if (d === NONE) {
      refuseIfFrozen(this);
      this.#data = d = [];
    }
    d.push(k, name, value);
    this.#index?.set(k, d.length - 3);
    return this;
  }

  delete(name: string): boolean {
    const d = this.#writable();
    const k = lower(name);
    const i = this.#slot(k);
    if (i < 0) return false;
    d.splice(i, 3);
    const index = this.#index;
    if (index !== undefined) {
      if (d.length <= INDEXED_SLOTS) {
        this.#index = undefined;
      } else {
        index.delete(k);
        for (let j = i; j < d.length; j += 3) index.set(d[j] as string, j);
      }
    }
    return true;
  }

  clear(): void {
    refuseIfFrozen(this);
    this.#state = undefined;
    this.#index = undefined;
    this.#data = NONE;
  }

  /** The spelling under which `name` was stored. */
  nameOf(name: string): string | undefined {
    const i = this.#find(name);
    return i < 0 ? undefined : (this.#data[i + 1] as string);
  }

  names(): string[] {
    const d = this.#data;
    const out: string[] = [];
    for (let i = 1; i < d.length; i += 3) out.push(d[i] as string);
    return out;
  }

  /**
   * The value of the i-th entry in insertion order (0 <= i < size): a loop over at() reads the
   * values without the array values() makes, which shows in enumerations of thousands of
   * instances that read every property once or twice.
   */
  at(i: number): V {
    if (typeof this.#state === 'function') this.#own();
    return this.#data[3 * i + 2] as V;
  }

  values(): V[] {
    const d = this.#own();
    const out: V[] = [];
    for (let i = 2; i < d.length; i += 3) out.push(d[i] as V);
    return out;
  }

  /**
   * Calls f(value, name) for each entry in order, without the [name, value] pair the iterator
   * makes per entry (which shows in enumerations of thousands of instances). f may delete or
   * replace the entry it is given, as with Map.forEach.
   */
  forEach(f: (value: V, name: string) => void): void {
    this.#own();
    // #data is read afresh each time: f may replace it (the first change to a copyOnWrite() copy)
    // or close up the slot it was given (delete), and then the next entry is in that slot.
    for (let i = 0; i < this.#data.length;) {
      const d = this.#data;
      const k = d[i];
      f(d[i + 2] as V, d[i + 1] as string);
      if (this.#data[i] === k) i += 3;
    }
  }

  *[Symbol.iterator](): Iterator<[string, V]> {
    this.#own();
    for (let i = 0; i < this.#data.length;) {
      const d = this.#data;
      const k = d[i];
      yield [d[i + 1] as string, d[i + 2] as V];
      if (this.#data[i] === k) i += 3;
    }
  }

  /** A copy; with `copy`, each value is replaced by copy(value). */
  clone(copy?: (v: V) => V): NameMap<V> {
    const m = new NameMap<V>();
    const d = this.#own();
    if (d.length === 0) return m;
    const c = d.slice();
    if (copy) for (let i = 2; i < c.length; i += 3) c[i] = copy(c[i] as V);
    m.#data = c;
    if (this.#index !== undefined) m.#index = new Map(this.#index);
    return m;
  }

  /**
   * A copy that shares this map's entries until it is first read or changed, and then copies
   * them all with `copy`. Names, size and has() do not count as reads. Only for maps that never
   * change afterwards (the repository's stored classes): the copy is taken from whatever they hold
   * at that moment. Most callers of getClass read a name or a few members, never every qualifier.
   */
  copyOnRead(copy: (v: V) => V): NameMap<V> {
    return this.#sharingCopy(copy);
  }

  /**
   * A copy that shares this map's entries, and so its values, until it is first changed by set()
   * or delete(); reading it copies nothing. Only for maps that never change afterwards and whose
   * values are never changed in place: the repository's frozen stored instances, whose views
   * (storedInstances.ts) the WBEM server mostly reads whole and sometimes trims.
   */
  copyOnWrite(): NameMap<V> {
    return this.#sharingCopy(SHARED);
  }

  /** A map over this one's entries (and index) until `state` says to copy them; typed without V, as #state is. */
  #sharingCopy(state: ((v: never) => unknown) | typeof SHARED): NameMap<V> {
    const m = new NameMap<V>();
    const d = this.#own();
    if (d.length === 0) return m;
    m.#data = d;
    m.#index = this.#index;
    m.#state = state;
    return m;
  }

  /**
   * A map with the same names in the same order, each value replaced by f(value), or left out when
   * f gives undefined. Keys are already lower-cased, so nothing is lower-cased again.
   */
  mapValues<W>(f: (v: V) => W | undefined): NameMap<W> {
    const m = new NameMap<W>();
    const d = this.#own();
    if (d.length === 0) return m;
    const out: unknown[] = [];
    for (let i = 0; i < d.length; i += 3) {
      const w = f(d[i + 2] as V);
      if (w !== undefined) out.push(d[i], d[i + 1], w);
    }
    if (out.length > 0) m.#data = out;
    return m;
  }

  /** Shows the entries (the # fields are invisible to util.inspect). */
  [INSPECT](_depth: number, options: { depth?: number | null }, inspect: (v: unknown, o: object) => string): string {
    const entries = new Map<string, V>();
    const d = this.#data;
    for (let i = 0; i < d.length; i += 3) entries.set(d[i + 1] as string, d[i + 2] as V);
    const depth = options.depth == null ? options.depth : options.depth - 1;
    return `NameMap ${inspect(entries, { ...options, depth })}`;
  }

  /**
   * The slot of `name`'s entry, or -1. Small maps are searched first for the spelling as given,
   * which is how most lookups spell it and needs no lower-casing.
   */
  #find(name: string): number {
    const d = this.#data;
    const n = d.length;
    if (n === 0) return -1;
    if (n <= INDEXED_SLOTS) {
      for (let i = 1; i < n; i += 3) if (d[i] === name) return i - 1;
    }
    return this.#slot(lower(name));
  }

  /** The slot of the entry whose lower-cased name is `k`, or -1. */
  #slot(k: string): number {
    const d = this.#data;
    const n = d.length;
    if (n > INDEXED_SLOTS) {
      let index = this.#index;
      if (index === undefined) {
        this.#index = index = new Map();
        for (let i = 0; i < n; i += 3) index.set(d[i] as string, i);
      }
      const i = index.get(k);
      return i === undefined ? -1 : i;
    }
    for (let i = 0; i < n; i += 3) if (d[i] === k) return i;
    return -1;
  }

  /** The entries, made this map's own first if they are still shared or pending. */
  #writable(): unknown[] {
    const d = this.#own();
    if (this.#state !== SHARED) return d;
    refuseIfFrozen(this);
    this.#state = undefined;
    this.#data = d.slice();
    if (this.#index !== undefined) this.#index = new Map(this.#index);
    return this.#data;
  }

  /** The entries, copied first if this map is a copyOnRead() copy not yet taken. */
  #own(): unknown[] {
    const copy = this.#state;
    if (typeof copy !== 'function') return this.#data;
    this.#state = undefined;
    const d = this.#data.slice();
    for (let i = 2; i < d.length; i += 3) d[i] = (copy as (v: unknown) => unknown)(d[i]);
    this.#data = d;
    if (this.#index !== undefined) this.#index = new Map(this.#index);
    return d;
  }
}
