// CIM names are case-insensitive and case-preserving (DSP0004 5.1.2.3): an insertion-ordered map
// keyed by the lower-cased name that remembers the spelling it was given.

type Entry<V> = { name: string; value: V };

// Most qualifier maps of instance properties stay empty: they share this one until first set().
// It is never written to.
const NONE: Map<string, Entry<never>> = new Map();

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
    return this.entries.get(name.toLowerCase())?.value;
  }

  has(name: string): boolean {
    return this.entries.has(name.toLowerCase());
  }

  /** Sets the value; an existing entry keeps its position but takes the new spelling. */
  set(name: string, value: V): this {
    if (this.entries === NONE) this.entries = new Map();
    this.entries.set(name.toLowerCase(), { name, value });
    return this;
  }

  delete(name: string): boolean {
    return this.entries.delete(name.toLowerCase());
  }

  clear(): void {
    this.entries = NONE;
  }

  /** The spelling under which `name` was stored. */
  nameOf(name: string): string | undefined {
    return this.entries.get(name.toLowerCase())?.name;
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

  clone(copy: (v: V) => V = (v) => v): NameMap<V> {
    const m = new NameMap<V>();
    if (this.entries.size === 0) return m;
    // Keys are already lower-cased: copy entries directly instead of going through set().
    const entries = new Map<string, Entry<V>>();
    for (const [k, e] of this.entries) entries.set(k, { name: e.name, value: copy(e.value) });
    m.entries = entries;
    return m;
  }
}
