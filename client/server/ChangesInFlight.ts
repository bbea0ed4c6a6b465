// Changes the server has begun on its hosts and not yet recorded the end of (a policy deployment,
// a VM migration). Each is audited and kept here before the first host is asked, so a server that
// dies midway leaves a trace in the trail, and the next start says which changes it never ended.
import { migrate, type Migration } from '../../src/store/Store.js';
import type { ServerContext } from './ServerContext.js';

const MIGRATIONS: readonly Migration[] = [
  {
    id: 'server-changes-in-flight-1',
    up: `
      CREATE TABLE changes_in_flight (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        action TEXT NOT NULL,
        started_at TEXT NOT NULL,
        user TEXT NOT NULL,
        grp TEXT,
        what TEXT NOT NULL,
        check_with TEXT NOT NULL
      );`,
  },
];

export interface ChangeStart {
  user: string;
  group: string | null;
  /** The change, as both the start and a cut-short note say it: `deployment of policy P 1.2 to h1, h2 by dc`. */
  what: string;
  /** How a reader finds out how far it got: `tvdc groups show G`. */
  checkWith: string;
}

/** One change under way: `end()` once its outcome is in the audit trail. */
export interface ChangeUnderWay {
  end(): void;
}

export class ChangesInFlight {
  /**
   * `action` is the audit action of the change's outcome (`policy.deploy`); its start is audited as
   * `ACTION.start`. Changes of this action left over from a server that stopped midway are audited
   * as failed (cut short) and logged now, once.
   */
  constructor(private readonly ctx: ServerContext, private readonly action: string) {
    migrate(ctx.db, MIGRATIONS);
    this.reportLeftOvers();
  }

  begin(change: ChangeStart): ChangeUnderWay {
    const startedAt = new Date().toISOString();
    this.ctx.audit({ user: change.user, group: change.group, action: `${this.action}.start`, message: `${prefix(change.group)}${change.what} started` });
    const id = Number(this.ctx.db.prepare('INSERT INTO changes_in_flight (action, started_at, user, grp, what, check_with) VALUES (?, ?, ?, ?, ?, ?)')
      .run(this.action, startedAt, change.user, change.group, change.what, change.checkWith).lastInsertRowid);
    let ended = false;
    return {
      end: () => {
        if (ended) return;
        ended = true;
        this.forget(id);
      },
    };
  }

  private reportLeftOvers(): void {
    const rows = this.ctx.db.prepare('SELECT id, started_at, user, grp, what, check_with FROM changes_in_flight WHERE action = ? ORDER BY id').all(this.action) as
      { id: number; started_at: string; user: string; grp: string | null; what: string; check_with: string }[];
    for (const r of rows) {
      this.ctx.audit({
        user: r.user, group: r.grp, action: this.action, outcome: 'failed',
        message: `${prefix(r.grp)}${r.what}, started at ${r.started_at}, was cut short: the server stopped before it ended, so its outcome is unknown; see ${r.check_with}`,
      });
      this.forget(r.id);
    }
  }

  private forget(id: number): void {
    this.ctx.db.prepare('DELETE FROM changes_in_flight WHERE id = ?').run(id);
  }
}

function prefix(group: string | null): string {
  return group === null ? '' : `TVDc ${group}: `;
}
