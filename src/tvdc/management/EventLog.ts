// The management server's record of what happened to the integrity of its TVDcs: every
// attestation with its verdict and findings, and every action a plan took in answer (SQLite,
// append-only, so an administrator can always read back why a VM was shut down).
import { migrate, type Db } from '../../store/Store.js';
import { WhereClause, type ListedGroup } from '../../store/WhereClause.js';
import { TvdcError } from '../TvdcError.js';

/** What an event is about: an attestation verdict, or an action plan's reaction to one. */
export type EventKind = 'attestation' | 'action';

/**
 * Attestations: `trusted`, `unknown`, `untrusted` (the Verifier's verdicts) or `failed` (no
 * verdict: host unreachable, refused, no trust anchors). Actions: `done` or `failed`.
 */
export type EventStatus = 'trusted' | 'unknown' | 'untrusted' | 'failed' | 'done';

export interface EventFinding {
  code: string;
  message: string;
  index?: number;
  path?: string;
}

export interface NewEvent {
  kind: EventKind;
  /** The TVDc (group) the target belongs to; null for hosts in no group. */
  group: string | null;
  host: string;
  /** The VM attested or acted on; absent when the target is the host itself. */
  vm?: string;
  status: EventStatus;
  message: string;
  findings?: EventFinding[];
  /** For actions: the plan and what it did. */
  planId?: number;
  action?: string;
  /** For actions: the attestation event they answer. */
  cause?: number;
}

export interface TvdcEvent extends Required<Pick<NewEvent, 'kind' | 'group' | 'host' | 'status' | 'message'>> {
  id: number;
  /** ISO 8601, UTC, millisecond precision. */
  at: string;
  vm?: string;
  findings: EventFinding[];
  planId?: number;
  action?: string;
  cause?: number;
}

export interface EventQuery {
  /** Only these groups, each from its `since` on (a TVDc administrator sees only his); undefined means every event. */
  groups?: readonly ListedGroup[];
  since?: Date;
  kind?: EventKind;
  vm?: string;
  /** Newest first; default 100, at most 10000. */
  limit?: number;
}

const MIGRATIONS = [
  {
    id: 'mgmt-events-1',
    up: `
      CREATE TABLE mgmt_event (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('attestation', 'action')),
        grp TEXT,
        host TEXT NOT NULL,
        vm TEXT,
        status TEXT NOT NULL CHECK (status IN ('trusted', 'unknown', 'untrusted', 'failed', 'done')),
        message TEXT NOT NULL,
        findings TEXT NOT NULL,
        plan_id INTEGER,
        action TEXT,
        cause INTEGER
      );
      CREATE INDEX mgmt_event_by_group ON mgmt_event (grp, id);
      CREATE INDEX mgmt_event_by_at ON mgmt_event (at);`,
  },
  {
    // actedInRun looks a target's attestations and a plan's actions up at every notify or restart.
    id: 'mgmt-events-2',
    up: `
      CREATE INDEX mgmt_event_by_target ON mgmt_event (host, vm, id);
      CREATE INDEX mgmt_event_by_plan ON mgmt_event (plan_id, cause);`,
  },
];

export const MAX_EVENT_LIMIT = 10_000;

interface Row {
  id: number;
  at: string;
  kind: EventKind;
  grp: string | null;
  host: string;
  vm: string | null;
  status: EventStatus;
  message: string;
  findings: string;
  plan_id: number | null;
  action: string | null;
  cause: number | null;
}

export class EventLog {
  constructor(private readonly db: Db) {
    migrate(db, MIGRATIONS);
  }

  /** Appends an event (committed before this returns) and returns it with its id and time. */
  record(e: NewEvent): TvdcEvent {
    const at = new Date().toISOString();
    const findings = e.findings ?? [];
    const r = this.db
      .prepare('INSERT INTO mgmt_event (at, kind, grp, host, vm, status, message, findings, plan_id, action, cause) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(at, e.kind, e.group, e.host, e.vm ?? null, e.status, e.message, JSON.stringify(findings), e.planId ?? null, e.action ?? null, e.cause ?? null);
    return toEvent({
      id: Number(r.lastInsertRowid), at, kind: e.kind, grp: e.group, host: e.host, vm: e.vm ?? null, status: e.status, message: e.message,
      findings: JSON.stringify(findings), plan_id: e.planId ?? null, action: e.action ?? null, cause: e.cause ?? null,
    });
  }

  get(id: number): TvdcEvent | undefined {
    const r = this.db.prepare('SELECT * FROM mgmt_event WHERE id = ?').get(id) as Row | undefined;
    return r && toEvent(r);
  }

  /** Deletes the events recorded before `before`; returns how many. */
  prune(before: Date): number {
    return this.db.prepare('DELETE FROM mgmt_event WHERE at < ?').run(before.toISOString()).changes;
  }

  /**
   * Whether plan `planId` already acted, successfully, on the run of verdicts `event` ends: the
   * target's attestations since its last one with another status. A target is a host, or a VM on
   * a host (a VM that migrated, or two VMs of one name, count on each host).
   */
  actedInRun(planId: number, event: TvdcEvent): boolean {
    const target = (t: string) => `${t}.host = ? AND ${t}.vm ${event.vm !== undefined ? '= ?' : 'IS NULL'}`;
    const who = event.vm !== undefined ? [event.host, event.vm] : [event.host];
    const changed = this.db
      .prepare(`SELECT MAX(id) AS id FROM mgmt_event e WHERE e.kind = 'attestation' AND ${target('e')} AND e.id < ? AND e.status != ?`)
      .get(...who, event.id, event.status) as { id: number | null };
    const row = this.db
      .prepare(`SELECT 1 FROM mgmt_event act JOIN mgmt_event att ON act.cause = att.id
        WHERE act.kind = 'action' AND act.plan_id = ? AND act.status = 'done' AND att.id > ? AND att.id < ? AND ${target('att')}`)
      .get(planId, changed.id ?? 0, event.id, ...who);
    return row !== undefined;
  }

  /** Events newest first, filtered as asked. */
  list(q: EventQuery = {}): TvdcEvent[] {
    const limit = q.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_EVENT_LIMIT) {
      throw new TvdcError('INVALID_ARGUMENT', `limit must be an integer from 1 to ${MAX_EVENT_LIMIT}, not ${limit}`);
    }
    if (q.since && Number.isNaN(q.since.getTime())) throw new TvdcError('INVALID_ARGUMENT', 'since is not a valid date');
    const where = new WhereClause().inGroups('grp', 'at', q.groups).atLeast('at', q.since?.toISOString()).equals('kind', q.kind || undefined).equals('vm', q.vm || undefined);
    return (this.db.prepare(`SELECT * FROM mgmt_event ${where} ORDER BY id DESC LIMIT ?`).all(...where.args, limit) as Row[]).map(toEvent);
  }
}

function toEvent(r: Row): TvdcEvent {
  const e: TvdcEvent = { id: r.id, at: r.at, kind: r.kind, group: r.grp, host: r.host, status: r.status, message: r.message, findings: JSON.parse(r.findings) as EventFinding[] };
  if (r.vm !== null) e.vm = r.vm;
  if (r.plan_id !== null) e.planId = r.plan_id;
  if (r.action !== null) e.action = r.action;
  if (r.cause !== null) e.cause = r.cause;
  return e;
}
