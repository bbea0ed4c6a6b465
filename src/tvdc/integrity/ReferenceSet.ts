// An in-memory snapshot of reference measurements (path -> known digests with annotations,
// exclude patterns) that judges log entries quickly; built from a runtime policy or the refdb.
import { BOOT_AGGREGATE } from './BootAggregate.js';
import type { EntryVerdict } from './Verdict.js';

export type Annotation = 'trusted' | 'vulnerable' | 'malicious';

export interface ReferenceDigest {
  digest: string;
  annotation: Annotation;
  cve?: string;
  note?: string;
}

/** What judges entries; ReferenceSet is the implementation tvdc ships. */
export interface ReferenceLookup {
  judge(index: number, path: string, digest: string): EntryVerdict;
  /** Fast path: true exactly when judge() would say TRUSTED (no verdict object is built). */
  isTrusted?(path: string, digest: string): boolean;
  /**
   * Fast path for callers holding an ascii log's bytes: whether bytes `[start, end)` of `log` are
   * exactly `"<digest> <path>"` (UTF-8, the tail of an ascii log line) for a pair judge() calls
   * TRUSTED, where `key` is digestKey() of the digest's first four bytes. boot_aggregate never
   * matches here.
   */
  matchTrustedBytes?(key: number, log: DataView, start: number, end: number): boolean;
}

/** 30 bits of a digest's first four bytes: a small-integer Map key that costs no string hashing. */
export function digestKey(b0: number, b1: number, b2: number, b3: number): number {
  return (b0 << 22) | (b1 << 14) | (b2 << 6) | (b3 >> 2);
}

function keyOfHex(hex: string): number {
  return digestKey(parseInt(hex.slice(0, 2), 16), parseInt(hex.slice(2, 4), 16), parseInt(hex.slice(4, 6), 16), parseInt(hex.slice(6, 8), 16));
}

export class ReferenceSet implements ReferenceLookup {
  private readonly byPath = new Map<string, Map<string, ReferenceDigest>>();
  /** Malicious digests are malicious wherever they turn up, whatever the file is called. */
  private readonly malicious = new Map<string, ReferenceDigest>();
  /** Trusted digest -> the path(s) it is trusted under: one hash lookup per judged entry. */
  private readonly trusted = new Map<string, string | string[]>();
  // Open-addressing table over the trusted pairs: [key, offset] per slot in one Int32Array, so a
  // lookup touches one cache line and no Map; at the offset in tableView, the UTF-8 bytes of
  // "<digest> <path>" after their u32 length, compared bytes with bytes; rebuilt lazily after changes.
  private table: Int32Array | undefined;
  private tableView: DataView = new DataView(new ArrayBuffer(0));
  private readonly pathsOf = new Map<string, string[]>();
  private readonly excludes: RegExp[] = [];
  private excludeAll: RegExp | undefined;

  /** Digests are stored as lowercase hex without an algorithm prefix (the length tells it). */
  static normalizeDigest(d: string): string {
    const c = d.indexOf(':');
    return (c >= 0 ? d.slice(c + 1) : d).toLowerCase();
  }

  add(path: string, ref: ReferenceDigest): this {
    const digest = ReferenceSet.normalizeDigest(ref.digest);
    const r = { ...ref, digest };
    let m = this.byPath.get(path);
    if (!m) this.byPath.set(path, (m = new Map()));
    if (!m.has(digest)) {
      const ps = this.pathsOf.get(digest);
      if (ps) ps.push(path);
      else this.pathsOf.set(digest, [path]);
    }
    m.set(digest, r);
    if (r.annotation === 'malicious') this.malicious.set(digest, r);
    this.rebuildFast(digest);
    return this;
  }

  /** Recomputes the fast-path entries of one digest: its trusted paths, none if it is malicious anywhere. */
  private rebuildFast(digest: string): void {
    const paths: string[] = [];
    if (!this.malicious.has(digest)) {
      for (const p of this.pathsOf.get(digest) ?? []) if (this.byPath.get(p)!.get(digest)!.annotation === 'trusted') paths.push(p);
    }
    if (paths.length === 0) this.trusted.delete(digest);
    else this.trusted.set(digest, paths.length === 1 ? paths[0]! : paths);
    this.table = undefined;
  }

  matchTrustedBytes(key: number, log: DataView, start: number, end: number): boolean {
    const table = this.table ?? this.buildTable();
    const mask = (table.length >> 1) - 1;
    for (let slot = key & mask; ; slot = (slot + 1) & mask) {
      const k = table[slot * 2]!;
      if (k === -1) return false;
      if (k === key && this.sameBytes(table[slot * 2 + 1]!, log, start, end - start)) return true;
    }
  }

  /**
   * Whether the pair stored at `at` (after its u32 length) is log[start, start + len): four
   * bytes a step, DataView reads being safe at any alignment.
   */
  private sameBytes(at: number, b: DataView, start: number, len: number): boolean {
    const a = this.tableView;
    if (a.getUint32(at, true) !== len) return false;
    at += 4;
    let i = 0;
    for (; i + 4 <= len; i += 4) if (a.getInt32(at + i) !== b.getInt32(start + i)) return false;
    for (; i < len; i++) if (a.getUint8(at + i) !== b.getUint8(start + i)) return false;
    return true;
  }

  private buildTable(): Int32Array {
    const pairs: Buffer[] = [];
    const keys: number[] = [];
    for (const [digest, paths] of this.trusted) {
      if (digest.length < 8) continue;
      const key = keyOfHex(digest);
      for (const p of typeof paths === 'string' ? [paths] : paths) {
        if (p === 'boot_aggregate') continue;
        const pair = Buffer.from(digest + ' ' + p, 'utf8');
        const rec = Buffer.allocUnsafe(4 + pair.length);
        rec.writeUInt32LE(pair.length, 0);
        pair.copy(rec, 4);
        pairs.push(rec);
        keys.push(key);
      }
    }
    let cap = 16;
    while (cap < pairs.length * 2) cap *= 2;
    const table = new Int32Array(cap * 2).fill(-1);
    const mask = cap - 1;
    let at = 0;
    for (let i = 0; i < pairs.length; i++) {
      let slot = keys[i]! & mask;
      while (table[slot * 2] !== -1) slot = (slot + 1) & mask;
      table[slot * 2] = keys[i]!;
      table[slot * 2 + 1] = at;
      at += pairs[i]!.length;
    }
    const text = Buffer.concat(pairs);
    this.tableView = new DataView(text.buffer, text.byteOffset, text.byteLength);
    this.table = table;
    return table;
  }

  /**
   * Adds an exclude pattern: a regular expression matched from the start of the path (the
   * runtime-policy convention). Throws SyntaxError for an invalid pattern.
   */
  exclude(pattern: string): this {
    this.excludes.push(new RegExp(`^(?:${pattern})`));
    this.excludeAll = new RegExp(this.excludes.map((r) => `(?:${r.source})`).join('|'));
    return this;
  }

  get paths(): number {
    return this.byPath.size;
  }

  get size(): number {
    let n = 0;
    for (const m of this.byPath.values()) n += m.size;
    return n;
  }

  digestsOf(path: string): ReferenceDigest[] {
    return [...(this.byPath.get(path)?.values() ?? [])];
  }

  isExcluded(path: string): boolean {
    return this.excludeAll !== undefined && this.excludeAll.test(path);
  }

  isTrusted(path: string, digest: string): boolean {
    const paths = this.trusted.get(digest);
    if (paths === undefined) return false;
    return typeof paths === 'string' ? paths === path : paths.includes(path);
  }

  judge(index: number, path: string, digest: string): EntryVerdict {
    const known = this.byPath.get(path);
    const hit = this.malicious.get(digest) ?? known?.get(digest);
    if (hit?.annotation === 'malicious') {
      const why = hit.note ? `: ${hit.note}` : '';
      return { index, path, digest, status: 'untrusted', code: 'MALICIOUS', reason: `${path} has digest ${digest}, annotated malicious${why}` };
    }
    if (hit?.annotation === 'vulnerable') {
      const v: EntryVerdict = { index, path, digest, status: 'untrusted', code: 'VULNERABLE', reason: `${path} has digest ${digest}, a version annotated vulnerable (${hit.cve ?? 'no CVE id'})` };
      if (hit.cve) v.cve = hit.cve;
      return v;
    }
    if (hit) return { index, path, digest, status: 'trusted', code: 'TRUSTED', reason: 'known good digest' };
    if (path === BOOT_AGGREGATE) return this.unknownBoot(index, digest, known);
    if (this.isExcluded(path)) return { index, path, digest, status: 'excluded', code: 'EXCLUDED', reason: `${path} matches an exclude pattern` };
    if (known) {
      return { index, path, digest, status: 'unknown', code: 'DIGEST_UNKNOWN', reason: `${path} has digest ${digest}, not one of its ${known.size} known digest(s)` };
    }
    return { index, path, digest, status: 'unknown', code: 'PATH_UNKNOWN', reason: `${path} is not in the reference database` };
  }

  /**
   * A boot_aggregate the references do not list: unknown, as an unknown file is (the boot
   * measured something no clean image boots, or references that list no boot at all cannot
   * tell). Never excluded: an exclude pattern names files, and a boot chain is not one.
   */
  private unknownBoot(index: number, digest: string, known: Map<string, ReferenceDigest> | undefined): EntryVerdict {
    const base = { index, path: BOOT_AGGREGATE, digest, status: 'unknown' as const };
    if (!known) {
      return {
        ...base,
        code: 'PATH_UNKNOWN',
        reason: `boot_aggregate ${digest} cannot be judged: the reference data lists no boot_aggregate at all (made before boot aggregates were listed, or from files only), so the firmware, kernel, boot configuration and initrd this boot measured are unchecked; import the clean VM images again (tvdc ima policy DIR, then tvdc refdb import) or add the digest (tvdc refdb add boot_aggregate DIGEST)`,
      };
    }
    return {
      ...base,
      code: 'DIGEST_UNKNOWN',
      reason: `boot_aggregate ${digest} is not one of the ${known.size} known-good boot aggregate(s): this boot measured firmware, a kernel, boot configuration or an initrd that no clean image in the reference data has`,
    };
  }
}
