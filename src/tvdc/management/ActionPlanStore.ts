// Action plans kept in the management server's SQLite database.
import { migrate, type Db } from '../../store/Store.js';
import { WhereClause } from '../../store/WhereClause.js';
import { TvdcError } from '../TvdcError.js';
import type { ActionPlan, NewActionPlan, PlanAction, PlanTrigger } from './ActionPlan.js';

const MIGRATIONS = [
  {
    id: 'mgmt-plans-1',
    up: `
      CREATE TABLE mgmt_action_plan (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        grp TEXT NOT NULL,
        triggers TEXT NOT NULL,
        vm_pattern TEXT,
        action TEXT NOT NULL CHECK (action IN ('shutdown', 'restart', 'notify')),
        url TEXT,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX mgmt_action_plan_by_group ON mgmt_action_plan (grp);`,
  },
];

interface Row {
  id: number;
  grp: string;
  triggers: string;
  vm_pattern: string | null;
  action: 'shutdown' | 'restart' | 'notify';
  url: string | null;
  created_by: string;
  created_at: string;
}

export class ActionPlanStore {
  constructor(private readonly db: Db) {
    migrate(db, MIGRATIONS);
  }

  add(p: NewActionPlan): ActionPlan {
    const at = new Date().toISOString();
    const url = p.action.kind === 'notify' ? p.action.url : null;
    const r = this.db
      .prepare('INSERT INTO mgmt_action_plan (grp, triggers, vm_pattern, action, url, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(p.group, p.on.join(','), p.vmPattern ?? null, p.action.kind, url, p.createdBy, at);
    return this.get(Number(r.lastInsertRowid))!;
  }

  get(id: number): ActionPlan | undefined {
    const r = this.db.prepare('SELECT * FROM mgmt_action_plan WHERE id = ?').get(id) as Row | undefined;
    return r && toPlan(r);
  }

  /** Plans of one group, of several, or (undefined) of every group, oldest first. */
  list(groups?: readonly string[]): ActionPlan[] {
    const where = new WhereClause().in('grp', groups);
    return (this.db.prepare(`SELECT * FROM mgmt_action_plan ${where} ORDER BY id`).all(...where.args) as Row[]).map(toPlan);
  }

  remove(id: number): ActionPlan {
    const p = this.get(id);
    if (!p) throw new TvdcError('NOT_FOUND', `no action plan ${id}`);
    this.db.prepare('DELETE FROM mgmt_action_plan WHERE id = ?').run(id);
    return p;
  }
}

function toPlan(r: Row): ActionPlan {
  const action: PlanAction = r.action === 'notify' ? { kind: 'notify', url: r.url ?? '' } : { kind: r.action };
  const p: ActionPlan = { id: r.id, group: r.grp, on: r.triggers.split(',') as PlanTrigger[], action, createdBy: r.created_by, createdAt: r.created_at };
  if (r.vm_pattern !== null) p.vmPattern = r.vm_pattern;
  return p;
}
