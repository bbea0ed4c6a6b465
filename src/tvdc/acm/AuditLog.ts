// The audit log of denials, in the host's SQLite store. Each denial is written on its own, so it
// stays recorded although the operation it refused never happens.
import type { Db } from '../../store/Store.js';
import type { AccessDeniedEvent } from './AccessDeniedEvent.js';
import type { DecisionRule } from './Decision.js';

export const auditLogMigrations = [
  {
    id: 'isolation-audit-1',
    up: `CREATE TABLE iso_audit (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at TEXT NOT NULL,
      host TEXT NOT NULL,
      operation TEXT NOT NULL,
      subject TEXT NOT NULL,
      subject_label TEXT NOT NULL,
      object TEXT,
      object_label TEXT,
      rule TEXT NOT NULL,
      reason TEXT NOT NULL
    )`,
  },
];

interface Row {
  id: number;
  at: string;
  host: string;
  operation: string;
  subject: string;
  subject_label: string;
  object: string | null;
  object_label: string | null;
  rule: string;
  reason: string;
}

export class AuditLog {
  private readonly insert;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      'INSERT INTO iso_audit (at, host, operation, subject, subject_label, object, object_label, rule, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  record(e: Omit<AccessDeniedEvent, 'id'>): AccessDeniedEvent {
    const r = this.insert.run(e.time.toISOString(), e.host, e.operation, e.subject, e.subjectLabel, e.object ?? null, e.objectLabel ?? null, e.rule, e.reason);
    return { ...e, id: Number(r.lastInsertRowid) };
  }

  /** Newest first. */
  list(limit = 100): AccessDeniedEvent[] {
    const rows = this.db.prepare('SELECT * FROM iso_audit ORDER BY id DESC LIMIT ?').all(limit) as Row[];
    return rows.map((r) => {
      const e: AccessDeniedEvent = {
        id: r.id,
        time: new Date(r.at),
        host: r.host,
        operation: r.operation,
        subject: r.subject,
        subjectLabel: r.subject_label,
        rule: r.rule as DecisionRule,
        reason: r.reason,
      };
      if (r.object !== null) e.object = r.object;
      if (r.object_label !== null) e.objectLabel = r.object_label;
      return e;
    });
  }
}
