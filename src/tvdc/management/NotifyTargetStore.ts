// The notification targets the Datacenter Administrator allows, kept in the management server's
// SQLite database (NotifyTarget.ts says what a target is and how URLs are matched against it).
import { migrate, type Db, type Migration } from '../../store/Store.js';
import { TvdcError } from '../TvdcError.js';
import { allowingTarget, canonicalPrefix, type NotifyTarget } from './NotifyTarget.js';

const MIGRATIONS: readonly Migration[] = [
  {
    id: 'mgmt-notify-targets-1',
    up: `
      CREATE TABLE mgmt_notify_target (
        prefix TEXT PRIMARY KEY,
        added_by TEXT NOT NULL,
        added_at TEXT NOT NULL
      );`,
  },
];

interface Row {
  prefix: string;
  added_by: string;
  added_at: string;
}

export class NotifyTargetStore {
  constructor(private readonly db: Db) {
    migrate(db, MIGRATIONS);
  }

  /** Adds a prefix (checked and made canonical); ALREADY_EXISTS when it is listed already. */
  add(prefix: string, addedBy: string): NotifyTarget {
    const canonical = canonicalPrefix(prefix);
    if (this.get(canonical)) throw new TvdcError('ALREADY_EXISTS', `notification target ${canonical} is already allowed`);
    this.db.prepare('INSERT INTO mgmt_notify_target (prefix, added_by, added_at) VALUES (?, ?, ?)').run(canonical, addedBy, new Date().toISOString());
    return this.get(canonical)!;
  }

  /** Removes a prefix, given in any spelling of its canonical form; NOT_FOUND when not listed. */
  remove(prefix: string): NotifyTarget {
    const canonical = canonicalPrefix(prefix);
    const t = this.get(canonical);
    if (!t) throw new TvdcError('NOT_FOUND', `${canonical} is not an allowed notification target`);
    this.db.prepare('DELETE FROM mgmt_notify_target WHERE prefix = ?').run(canonical);
    return t;
  }

  get(canonical: string): NotifyTarget | undefined {
    const r = this.db.prepare('SELECT * FROM mgmt_notify_target WHERE prefix = ?').get(canonical) as Row | undefined;
    return r && toTarget(r);
  }

  list(): NotifyTarget[] {
    return (this.db.prepare('SELECT * FROM mgmt_notify_target ORDER BY prefix').all() as Row[]).map(toTarget);
  }

  /** The target that allows `url`, if any: read at every use, so a removal takes effect at once. */
  allowing(url: string): NotifyTarget | undefined {
    return allowingTarget(this.list(), url);
  }
}

function toTarget(r: Row): NotifyTarget {
  return { prefix: r.prefix, addedBy: r.added_by, addedAt: r.added_at };
}
