// Policy violations the hosts reported (their TVDc_AccessDeniedIndications): what was refused,
// where and why, kept so the Datacenter Administrator can remediate them (the paper's section
// 3.1: "remediating notifications of policy violations").
import { migrate, type Db, type Migration } from '../../src/store/Store.js';
import { WhereClause, type ListedGroup } from '../../src/store/WhereClause.js';

/** The most violations one listing gives. */
export const MAX_VIOLATION_LIMIT = 10_000;

export interface Violation {
  id: number;
  /** When the host saw it (its EventTime), ISO 8601. */
  at: string;
  receivedAt: string;
  host: string;
  /** The TVDc the host was in when the report came. */
  group: string | null;
  /** start, resume, migrate-in, attach-disk, attach-interface, open-channel, assign-label. */
  operation: string;
  /** The refused element, as the host names it (a CIM object path). */
  subject: string;
  subjectLabel: string | null;
  object: string | null;
  objectLabel: string | null;
  /** TVDC-ACCESS-<RULE> */
  rule: string;
  reason: string;
}

export type NewViolation = Omit<Violation, 'id'>;

const MIGRATIONS: readonly Migration[] = [
  {
    id: 'server-violations-1',
    up: `
      CREATE TABLE isolation_violations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        host TEXT NOT NULL,
        grp TEXT,
        operation TEXT NOT NULL,
        subject TEXT NOT NULL,
        subject_label TEXT,
        object TEXT,
        object_label TEXT,
        rule TEXT NOT NULL,
        reason TEXT NOT NULL
      );
      CREATE INDEX isolation_violations_by_group ON isolation_violations (grp, id);
      -- The secret path a host delivers to: an indication on it comes from that host (or from
      -- someone who read the host's subscription), never from an arbitrary sender.
      CREATE TABLE violation_tokens (
        host TEXT PRIMARY KEY REFERENCES hosts(name) ON DELETE CASCADE,
        token TEXT NOT NULL UNIQUE,
        -- the name of the subscription made on the host, to replace it when the server's address changes
        subscription TEXT
      );`,
  },
  {
    // The delivery paths moved to the server's one indication feed (IndicationPathStore), whose
    // migration copies them and drops this table; when it ran first, this one drops what
    // server-violations-1 just made. Either order ends the same.
    id: 'server-violations-2',
    up: (db) => {
      if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'indication_paths'").get()) db.exec('DROP TABLE IF EXISTS violation_tokens');
    },
  },
];

interface Row {
  id: number; at: string; received_at: string; host: string; grp: string | null; operation: string; subject: string;
  subject_label: string | null; object: string | null; object_label: string | null; rule: string; reason: string;
}

export class ViolationStore {
  constructor(private readonly db: Db) {
    migrate(db, MIGRATIONS);
  }

  add(v: NewViolation): number {
    const r = this.db.prepare(`INSERT INTO isolation_violations (at, received_at, host, grp, operation, subject, subject_label, object, object_label, rule, reason)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(v.at, v.receivedAt, v.host, v.group, v.operation, v.subject, v.subjectLabel, v.object, v.objectLabel, v.rule, v.reason);
    return Number(r.lastInsertRowid);
  }

  /**
   * Newest first; only these groups when given (a tvdcadmin's), each from its `since` on, which is
   * compared with when the server received the report: the host's clock may be off.
   */
  list(q: { groups?: readonly ListedGroup[]; host?: string; limit?: number }): Violation[] {
    const where = new WhereClause().inGroups('grp', 'received_at', q.groups).equals('host', q.host || undefined);
    const rows = this.db.prepare(`SELECT * FROM isolation_violations ${where} ORDER BY id DESC LIMIT ?`)
      .all(...where.args, Math.min(q.limit ?? 100, MAX_VIOLATION_LIMIT)) as Row[];
    return rows.map((r) => ({
      id: r.id, at: r.at, receivedAt: r.received_at, host: r.host, group: r.grp, operation: r.operation, subject: r.subject,
      subjectLabel: r.subject_label, object: r.object, objectLabel: r.object_label, rule: r.rule, reason: r.reason,
    }));
  }
}
