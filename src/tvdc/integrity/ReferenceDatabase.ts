// The reference measurement database (SQLite): path -> known digests annotated trusted,
// vulnerable (with a CVE id) or malicious, plus exclude patterns. Filled from Keylime runtime
// policies and from directories scanned in a trusted environment; judged through snapshots.
import { migrate, openStore, type Db } from '../../store/Store.js';
import { imageBootEntries } from './BootAggregate.js';
import { IntegrityError } from './IntegrityError.js';
import { ReferenceSet, type Annotation } from './ReferenceSet.js';
import { scanDirectory } from './scanDirectory.js';
import { readRuntimePolicy } from './RuntimePolicy.js';

export interface ReferenceRecord {
  path: string;
  digest: string;
  alg: string;
  annotation: Annotation;
  cve?: string;
  note?: string;
  source: string;
  addedAt: string;
}

const MIGRATIONS = [
  {
    id: 'refdb-1',
    up: `
      CREATE TABLE refdb_digest (
        path TEXT NOT NULL,
        digest TEXT NOT NULL,
        alg TEXT NOT NULL,
        annotation TEXT NOT NULL CHECK (annotation IN ('trusted', 'vulnerable', 'malicious')),
        cve TEXT,
        note TEXT,
        source TEXT NOT NULL,
        added_at TEXT NOT NULL,
        PRIMARY KEY (path, digest)
      );
      CREATE INDEX refdb_digest_by_digest ON refdb_digest (digest);
      CREATE INDEX refdb_digest_by_source ON refdb_digest (source);
      CREATE TABLE refdb_exclude (pattern TEXT PRIMARY KEY, added_at TEXT NOT NULL);`,
  },
];

const ALG_BY_LENGTH: Record<number, string> = { 32: 'md5', 40: 'sha1', 64: 'sha256', 96: 'sha384', 128: 'sha512' };
const HEX = /^[0-9a-f]+$/;
const CVE = /^CVE-\d{4}-\d{4,}$/;

function bad(msg: string): never {
  throw new IntegrityError('POLICY_FORMAT', `reference database: ${msg}`);
}

function normalize(digest: string): { digest: string; alg: string } {
  const d = ReferenceSet.normalizeDigest(digest);
  const alg = ALG_BY_LENGTH[d.length];
  if (!alg || !HEX.test(d)) bad(`"${digest}" is not a hex digest of a known length`);
  return { digest: d, alg };
}

interface Row {
  path: string;
  digest: string;
  alg: string;
  annotation: Annotation;
  cve: string | null;
  note: string | null;
  source: string;
  added_at: string;
}

export class ReferenceDatabase {
  constructor(readonly db: Db) {
    migrate(db, MIGRATIONS);
  }

  /** Opens (creating) the reference database in its own SQLite file. */
  static open(file: string): ReferenceDatabase {
    return new ReferenceDatabase(openStore(file));
  }

  /** Adds or replaces one reference digest; returns the record as now stored. */
  add(path: string, digest: string, opts: { annotation?: Annotation; cve?: string; note?: string; source?: string } = {}): ReferenceRecord {
    if (!path) bad('path is empty');
    const n = normalize(digest);
    const annotation = opts.annotation ?? 'trusted';
    if (!['trusted', 'vulnerable', 'malicious'].includes(annotation)) bad(`annotation "${annotation}" is not trusted, vulnerable or malicious`);
    if (annotation === 'vulnerable' && (!opts.cve || !CVE.test(opts.cve))) bad('a vulnerable digest needs a CVE id (CVE-YYYY-NNNN)');
    const row: Row = { path, digest: n.digest, alg: n.alg, annotation, cve: opts.cve ?? null, note: opts.note ?? null, source: opts.source ?? 'manual', added_at: new Date().toISOString() };
    // A replaced row takes every column but its key (path, digest, alg), so `row` is what is stored.
    this.db
      .prepare(
        `INSERT INTO refdb_digest (path, digest, alg, annotation, cve, note, source, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (path, digest) DO UPDATE SET annotation = excluded.annotation, cve = excluded.cve, note = excluded.note, source = excluded.source, added_at = excluded.added_at`,
      )
      .run(row.path, row.digest, row.alg, row.annotation, row.cve, row.note, row.source, row.added_at);
    return toRecord(row);
  }

  /**
   * Annotates a digest (under one path, or every path it is known under; a digest known nowhere
   * yet is recorded under `path`, which is then required). Returns how many records changed.
   */
  annotate(digest: string, annotation: Annotation, opts: { path?: string; cve?: string; note?: string } = {}): number {
    const n = normalize(digest);
    if (annotation === 'vulnerable' && (!opts.cve || !CVE.test(opts.cve))) bad('a vulnerable digest needs a CVE id (CVE-YYYY-NNNN)');
    return this.db.transaction(() => {
      const r = opts.path
        ? this.db.prepare('UPDATE refdb_digest SET annotation = ?, cve = ?, note = ? WHERE digest = ? AND path = ?').run(annotation, opts.cve ?? null, opts.note ?? null, n.digest, opts.path)
        : this.db.prepare('UPDATE refdb_digest SET annotation = ?, cve = ?, note = ? WHERE digest = ?').run(annotation, opts.cve ?? null, opts.note ?? null, n.digest);
      if (r.changes > 0) return r.changes;
      if (!opts.path) bad(`digest ${n.digest} is not known; name the path to record it under`);
      this.add(opts.path, n.digest, { annotation, ...(opts.cve ? { cve: opts.cve } : {}), ...(opts.note ? { note: opts.note } : {}) });
      return 1;
    })();
  }

  /** Removes one digest of a path, or every digest of it. */
  remove(path: string, digest?: string): number {
    if (digest === undefined) return this.db.prepare('DELETE FROM refdb_digest WHERE path = ?').run(path).changes;
    return this.db.prepare('DELETE FROM refdb_digest WHERE path = ? AND digest = ?').run(path, normalize(digest).digest).changes;
  }

  /** Deletes stale entries: those of `source` (or any source) added before `before`. */
  deleteStale(before: Date, source?: string): number {
    const t = before.toISOString();
    if (source) return this.db.prepare('DELETE FROM refdb_digest WHERE source = ? AND added_at < ?').run(source, t).changes;
    return this.db.prepare('DELETE FROM refdb_digest WHERE added_at < ?').run(t).changes;
  }

  /**
   * Replaces everything a source contributed with `entries`, in one transaction: digests that
   * the source no longer lists (an updated package, a patched binary) are deleted as stale, and
   * only digests it did not list before count as added, so importing the same policy again
   * reports nothing. Annotations of malicious / vulnerable digests made by hand are kept.
   */
  replaceSource(source: string, entries: Iterable<{ path: string; digest: string }>): { added: number; removed: number } {
    return this.db.transaction(() => {
      // The new list goes into a scratch table first, so stale rows are found by one join instead
      // of a lookup per row (a distribution's policy has hundreds of thousands).
      this.db.exec('CREATE TEMP TABLE IF NOT EXISTS refdb_incoming (path TEXT NOT NULL, digest TEXT NOT NULL, alg TEXT NOT NULL, PRIMARY KEY (path, digest)); DELETE FROM refdb_incoming');
      const stage = this.db.prepare('INSERT OR IGNORE INTO refdb_incoming (path, digest, alg) VALUES (?, ?, ?)');
      for (const e of entries) {
        if (!e.path) bad('path is empty');
        const n = normalize(e.digest);
        stage.run(e.path, n.digest, n.alg);
      }
      const removed = this.db
        .prepare("DELETE FROM refdb_digest WHERE source = ? AND annotation = 'trusted' AND NOT EXISTS (SELECT 1 FROM refdb_incoming i WHERE i.path = refdb_digest.path AND i.digest = refdb_digest.digest)")
        .run(source).changes;
      // New rows, and trusted rows another source listed (they become this source's); rows this
      // source already had stay as they are, and hand-made annotations are never overwritten.
      const added = this.db
        .prepare(
          `INSERT INTO refdb_digest (path, digest, alg, annotation, source, added_at) SELECT path, digest, alg, 'trusted', ?, ? FROM refdb_incoming WHERE true
           ON CONFLICT (path, digest) DO UPDATE SET source = excluded.source, added_at = excluded.added_at
           WHERE refdb_digest.annotation = 'trusted' AND refdb_digest.source != excluded.source`,
        )
        .run(source, new Date().toISOString()).changes;
      this.db.exec('DELETE FROM refdb_incoming');
      return { added, removed };
    })();
  }

  /** Imports a Keylime runtime policy: its digests (as `source`) and its exclude patterns. */
  importRuntimePolicy(text: string | Buffer, source = 'runtime-policy'): { added: number; removed: number; excludes: number } {
    const policy = readRuntimePolicy(text);
    return this.db.transaction(() => {
      const r = this.replaceSource(source, policy.entries);
      for (const x of policy.excludes) this.addExclude(x);
      return { ...r, excludes: policy.excludes.length };
    })();
  }

  /**
   * Scans a directory tree from a trusted environment (a clean image mounted read-only) and
   * records every regular file's digest under `prefix` + its relative path; a whole VM image
   * (prefix /) also gives its boot_aggregates, computed as its host measures its boot.
   */
  importDirectory(dir: string, opts: { prefix?: string; alg?: 'sha1' | 'sha256'; source?: string } = {}): { added: number; removed: number } {
    return this.replaceSource(opts.source ?? `scan:${dir}`, [...scanDirectory(dir, opts), ...imageBootEntries(dir, opts.prefix)]);
  }

  addExclude(pattern: string): void {
    try {
      new RegExp(pattern);
    } catch (e) {
      bad(`exclude "${pattern}" is not a valid regular expression: ${(e as Error).message}`);
    }
    this.db.prepare('INSERT OR IGNORE INTO refdb_exclude (pattern, added_at) VALUES (?, ?)').run(pattern, new Date().toISOString());
  }

  removeExclude(pattern: string): boolean {
    return this.db.prepare('DELETE FROM refdb_exclude WHERE pattern = ?').run(pattern).changes > 0;
  }

  excludes(): string[] {
    return this.db.prepare('SELECT pattern FROM refdb_exclude ORDER BY pattern').pluck().all() as string[];
  }

  lookup(path: string): ReferenceRecord[] {
    return (this.db.prepare('SELECT * FROM refdb_digest WHERE path = ? ORDER BY digest').all(path) as Row[]).map(toRecord);
  }

  /**
   * Records by path then digest, at most `limit` (default 1000): those of one path, those whose
   * path starts with `prefix`, or all.
   */
  list(q: { path?: string; prefix?: string; limit?: number } = {}): ReferenceRecord[] {
    const limit = q.limit ?? 1000;
    let rows: Row[];
    if (q.path !== undefined) rows = this.db.prepare('SELECT * FROM refdb_digest WHERE path = ? ORDER BY digest LIMIT ?').all(q.path, limit) as Row[];
    // instr, not LIKE: a path may hold % and _; the lower bound lets SQLite use the primary key.
    else if (q.prefix !== undefined) rows = this.db.prepare('SELECT * FROM refdb_digest WHERE path >= ? AND instr(path, ?) = 1 ORDER BY path, digest LIMIT ?').all(q.prefix, q.prefix, limit) as Row[];
    else rows = this.db.prepare('SELECT * FROM refdb_digest ORDER BY path, digest LIMIT ?').all(limit) as Row[];
    return rows.map(toRecord);
  }

  /** Every record with this digest, whatever path it is known under. */
  findDigest(digest: string): ReferenceRecord[] {
    return (this.db.prepare('SELECT * FROM refdb_digest WHERE digest = ? ORDER BY path').all(normalize(digest).digest) as Row[]).map(toRecord);
  }

  count(): number {
    return this.db.prepare('SELECT count(*) FROM refdb_digest').pluck().get() as number;
  }

  /** An in-memory snapshot for judging logs quickly (verification never queries SQLite per entry). */
  snapshot(): ReferenceSet {
    const set = new ReferenceSet();
    for (const r of this.db.prepare('SELECT * FROM refdb_digest').iterate() as Iterable<Row>) {
      set.add(r.path, { digest: r.digest, annotation: r.annotation, ...(r.cve ? { cve: r.cve } : {}), ...(r.note ? { note: r.note } : {}) });
    }
    for (const x of this.excludes()) set.exclude(x);
    return set;
  }
}

function toRecord(r: Row): ReferenceRecord {
  const rec: ReferenceRecord = { path: r.path, digest: r.digest, alg: r.alg, annotation: r.annotation, source: r.source, addedAt: r.added_at };
  if (r.cve) rec.cve = r.cve;
  if (r.note) rec.note = r.note;
  return rec;
}
