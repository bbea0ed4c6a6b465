// Policy violations the hosts reported (their TVDc_AccessDeniedIndications): what was refused,
// where and why, kept so the Datacenter Administrator can remediate them (the paper's section
// 3.1: "remediating notifications of policy violations"). Also each host's delivery token.
import { randomBytes } from 'node:crypto';
import { migrate, type Db } from '../../src/store/Store.js';

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

const MIGRATIONS = [
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

  /** Newest first; only these groups when given (a tvdcadmin's). */
  list(q: { groups?: readonly string[]; host?: string; limit?: number }): Violation[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.groups) {
      if (q.groups.length === 0) return [];
      where.push(`grp IN (${q.groups.map(() => '?').join(',')})`);
      args.push(...q.groups);
    }
    if (q.host) {
      where.push('host = ?');
      args.push(q.host);
    }
    const rows = this.db.prepare(`SELECT * FROM isolation_violations ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`)
      .all(...args, Math.min(q.limit ?? 100, 10_000)) as Row[];
    return rows.map((r) => ({
      id: r.id, at: r.at, receivedAt: r.received_at, host: r.host, group: r.grp, operation: r.operation, subject: r.subject,
      subjectLabel: r.subject_label, object: r.object, objectLabel: r.object_label, rule: r.rule, reason: r.reason,
    }));
  }

  /** The host's delivery token, made on first use and kept, so a restarted server keeps its subscriptions. */
  tokenOf(host: string): string {
    const row = this.db.prepare('SELECT token FROM violation_tokens WHERE host = ?').get(host) as { token: string } | undefined;
    if (row) return row.token;
    const token = randomBytes(18).toString('base64url');
    this.db.prepare('INSERT INTO violation_tokens (host, token) VALUES (?, ?)').run(host, token);
    return token;
  }

  subscriptionOf(host: string): string | null {
    const row = this.db.prepare('SELECT subscription FROM violation_tokens WHERE host = ?').get(host) as { subscription: string | null } | undefined;
    return row?.subscription ?? null;
  }

  setSubscription(host: string, name: string): void {
    this.db.prepare('UPDATE violation_tokens SET subscription = ? WHERE host = ?').run(name, host);
  }

  hostOfToken(token: string): string | null {
    const row = this.db.prepare('SELECT host FROM violation_tokens WHERE token = ?').get(token) as { host: string } | undefined;
    return row?.host ?? null;
  }
}
