// Which TVDcs have their VMs and hosts attested as soon as they measure something new. The paper
// (section 3.2, step 4) has the TVDc Administrator enable "the systems management application to
// monitor the VMs to be attested, either via agents or by scheduling": this is the agents' side
// of that choice, one setting per TVDc in SQLite; scheduling is AttestationSchedule.
import { migrate, type Db, type Migration } from '../../store/Store.js';
import { WhereClause } from '../../store/WhereClause.js';

export interface AttestationMonitor {
  group: string;
  /** Who switched it on, and when (ISO 8601). */
  enabledBy: string;
  enabledAt: string;
}

const MIGRATIONS: readonly Migration[] = [
  {
    id: 'mgmt-monitors-1',
    up: `
      CREATE TABLE mgmt_attestation_monitor (
        grp TEXT PRIMARY KEY,
        enabled_by TEXT NOT NULL,
        enabled_at TEXT NOT NULL
      );`,
  },
];

interface Row {
  grp: string;
  enabled_by: string;
  enabled_at: string;
}

function toMonitor(r: Row): AttestationMonitor {
  return { group: r.grp, enabledBy: r.enabled_by, enabledAt: r.enabled_at };
}

export class AttestationMonitorStore {
  constructor(private readonly db: Db) {
    migrate(db, MIGRATIONS);
  }

  /** Switches monitoring on; switching on what is on keeps who did it first and when. */
  enable(group: string, by: string): AttestationMonitor {
    this.db.prepare('INSERT INTO mgmt_attestation_monitor (grp, enabled_by, enabled_at) VALUES (?, ?, ?) ON CONFLICT (grp) DO NOTHING')
      .run(group, by, new Date().toISOString());
    return this.get(group)!;
  }

  /** Switches monitoring off; false when it was off. */
  disable(group: string): boolean {
    return this.db.prepare('DELETE FROM mgmt_attestation_monitor WHERE grp = ?').run(group).changes > 0;
  }

  get(group: string): AttestationMonitor | undefined {
    const r = this.db.prepare('SELECT * FROM mgmt_attestation_monitor WHERE grp = ?').get(group) as Row | undefined;
    return r && toMonitor(r);
  }

  /** The monitored TVDcs, only these groups when given (a tvdcadmin's). */
  list(groups?: readonly string[]): AttestationMonitor[] {
    const where = new WhereClause().in('grp', groups);
    return (this.db.prepare(`SELECT * FROM mgmt_attestation_monitor ${where} ORDER BY grp`).all(...where.args) as Row[]).map(toMonitor);
  }
}
