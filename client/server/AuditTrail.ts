// Who changed what, and who tried what he may not: every change made through the management
// server (users, hosts, TVDcs, policies, labels, segments, VMs, the reference database, plans ...)
// and every operation refused to a signed-in user for his role, kept in the central database so
// an administrator can answer "who relabeled this VM, and when" long after the log has rotated
// (the paper's "notifications of ... attempted modifications").
import { migrate, type Db, type Migration } from '../../src/store/Store.js';
import { WhereClause, type ListedGroup } from '../../src/store/WhereClause.js';
import { ApiError } from './ApiError.js';

/** done: made; refused: not allowed to the user; failed: asked of the hosts and not done, or not known to be. */
export type AuditOutcome = 'done' | 'refused' | 'failed';

export interface AuditEntry {
  id: number;
  at: string;
  user: string;
  /** The TVDc the change belongs to; null for datacenter-wide ones (users, hosts, the reference database). */
  group: string | null;
  /** A stable name of the operation, e.g. `label.assign`, `policy.deploy`, `vm.migrate`. */
  action: string;
  outcome: AuditOutcome;
  /** What happened, as the server log says it. */
  message: string;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at' | 'outcome'> & { outcome?: AuditOutcome };

export interface AuditQuery {
  /** Only these TVDcs' entries, each from its `since` on (a tvdcadmin's view); datacenter-wide entries are left out then. */
  groups?: readonly ListedGroup[];
  user?: string;
  action?: string;
  outcome?: AuditOutcome;
  since?: Date;
  limit?: number;
}

export const MAX_AUDIT_LIMIT = 10_000;

const MIGRATIONS: readonly Migration[] = [
  {
    id: 'server-audit-1',
    up: `
      CREATE TABLE audit_trail (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        user TEXT NOT NULL,
        grp TEXT,
        action TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('done', 'refused', 'failed')),
        message TEXT NOT NULL
      );
      CREATE INDEX audit_trail_by_group ON audit_trail (grp, id);
      CREATE INDEX audit_trail_by_user ON audit_trail (user, id);
      CREATE INDEX audit_trail_by_at ON audit_trail (at);`,
  },
];

interface Row {
  id: number;
  at: string;
  user: string;
  grp: string | null;
  action: string;
  outcome: AuditOutcome;
  message: string;
}

export class AuditTrail {
  constructor(private readonly db: Db) {
    migrate(db, MIGRATIONS);
  }

  /** Appends an entry (committed before this returns). */
  record(e: NewAuditEntry): AuditEntry {
    const at = new Date().toISOString();
    const outcome = e.outcome ?? 'done';
    const r = this.db.prepare('INSERT INTO audit_trail (at, user, grp, action, outcome, message) VALUES (?, ?, ?, ?, ?, ?)').run(at, e.user, e.group, e.action, outcome, e.message);
    return { id: Number(r.lastInsertRowid), at, user: e.user, group: e.group, action: e.action, outcome, message: e.message };
  }

  /** Entries newest first, filtered as asked. */
  list(q: AuditQuery = {}): AuditEntry[] {
    const limit = q.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_AUDIT_LIMIT) throw ApiError.badRequest(`limit must be an integer from 1 to ${MAX_AUDIT_LIMIT}, not ${limit}`);
    if (q.since && Number.isNaN(q.since.getTime())) throw ApiError.badRequest('since is not a valid date');
    const where = new WhereClause().inGroups('grp', 'at', q.groups).equals('user', q.user).equals('action', q.action).equals('outcome', q.outcome).atLeast('at', q.since?.toISOString());
    return (this.db.prepare(`SELECT * FROM audit_trail ${where} ORDER BY id DESC LIMIT ?`).all(...where.args, limit) as Row[]).map((r) => ({ id: r.id, at: r.at, user: r.user, group: r.grp, action: r.action, outcome: r.outcome, message: r.message }));
  }

  /** Deletes the entries recorded before `before`; returns how many. */
  prune(before: Date): number {
    return this.db.prepare('DELETE FROM audit_trail WHERE at < ?').run(before.toISOString()).changes;
  }
}
