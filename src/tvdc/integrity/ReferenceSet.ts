// An in-memory snapshot of reference measurements (path -> known digests with annotations,
// exclude patterns) that judges log entries quickly; built from a runtime policy or the refdb.
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
}

export class ReferenceSet implements ReferenceLookup {
  private readonly byPath = new Map<string, Map<string, ReferenceDigest>>();
  /** Malicious digests are malicious wherever they turn up, whatever the file is called. */
  private readonly malicious = new Map<string, ReferenceDigest>();
  /** Trusted digest -> the path(s) it is trusted under: one hash lookup per judged entry. */
  private readonly trusted = new Map<string, string | string[]>();
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
    m.set(digest, r);
    if (r.annotation === 'malicious') this.malicious.set(digest, r);
    const paths = this.trusted.get(digest);
    if (r.annotation !== 'trusted') {
      // A re-annotation takes the digest off the fast path for this path.
      if (paths === path) this.trusted.delete(digest);
      else if (Array.isArray(paths)) this.trusted.set(digest, paths.filter((p) => p !== path));
    } else if (paths === undefined) this.trusted.set(digest, path);
    else if (typeof paths === 'string') {
      if (paths !== path) this.trusted.set(digest, [paths, path]);
    } else if (!paths.includes(path)) paths.push(path);
    return this;
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
    const known = typeof paths === 'string' ? paths === path : paths.includes(path);
    return known && (this.malicious.size === 0 || !this.malicious.has(digest));
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
    if (this.isExcluded(path)) return { index, path, digest, status: 'excluded', code: 'EXCLUDED', reason: `${path} matches an exclude pattern` };
    if (known) {
      return { index, path, digest, status: 'unknown', code: 'DIGEST_UNKNOWN', reason: `${path} has digest ${digest}, not one of its ${known.size} known digest(s)` };
    }
    return { index, path, digest, status: 'unknown', code: 'PATH_UNKNOWN', reason: `${path} is not in the reference database` };
  }
}
