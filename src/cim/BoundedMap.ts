// A Map that starts over when full: the memo tables of things computed from names that arrive from
// the wire or a schema (lower-cased names, decoded header values, namespaces, request frames).
// Their keys are not ours to bound; clearing at once beats eviction bookkeeping, because the few
// keys that matter come straight back.
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (this.size >= this.limit && !this.has(key)) this.clear();
    return super.set(key, value);
  }
}
