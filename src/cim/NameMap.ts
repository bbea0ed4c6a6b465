// CIM names are case-insensitive and case-preserving (DSP0004 5.1.2.3): an insertion-ordered map
// keyed by the lower-cased name that remembers the spelling it was given.

export class NameMap<V> implements Iterable<[string, V]> {
  private readonly entries = new Map<string, { name: string; value: V }>();

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
    this.entries.set(name.toLowerCase(), { name, value });
    return this;
  }

  delete(name: string): boolean {
    return this.entries.delete(name.toLowerCase());
  }

  clear(): void {
    this.entries.clear();
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
    // Keys are already lower-cased: copy entries directly instead of going through set().
    for (const [k, e] of this.entries) m.entries.set(k, { name: e.name, value: copy(e.value) });
    return m;
  }
}
