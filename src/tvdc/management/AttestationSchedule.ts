// Per-TVDc attestation schedules: "attest every host and VM of group G every 10 minutes", kept in
// SQLite with the time of the next run, so a restarted management server carries on where it left
// off (a run that fell due while it was down happens right after it starts).
import { migrate, type Db } from '../../store/Store.js';
import { WhereClause } from '../../store/WhereClause.js';
import { TvdcError } from '../TvdcError.js';

export interface AttestationSchedule {
  group: string;
  intervalMs: number;
  /** ISO 8601: when the group is due next. */
  nextRunAt: string;
  lastRunAt?: string;
  /** How the last run went, as the runner summarized it. */
  lastResult?: string;
  createdBy: string;
}

/** Shortest interval: an attestation costs each target a TPM quote. */
export const MIN_INTERVAL_MS = 1_000;
export const MAX_INTERVAL_MS = 366 * 24 * 3600_000;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3600_000, d: 24 * 3600_000 };

/** Parses `30s`, `10m`, `1h`, `2d` (also combined: `1h30m`) into milliseconds. */
export function parseInterval(text: string): number {
  const t = text.trim();
  if (!/^(?:\d{1,6}[smhd])+$/.test(t)) {
    throw new TvdcError('INVALID_ARGUMENT', `interval "${text}" is not a duration like 30s, 10m, 1h, 1d or 1h30m`);
  }
  let ms = 0;
  for (const m of t.matchAll(/(\d+)([smhd])/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  if (ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) throw new TvdcError('INVALID_ARGUMENT', `interval "${text}" must be from 1s to 366d`);
  return ms;
}

/** The shortest text parseInterval reads back as `ms`. */
export function formatInterval(ms: number): string {
  let rest = ms;
  let out = '';
  for (const u of ['d', 'h', 'm', 's'] as const) {
    const n = Math.floor(rest / UNIT_MS[u]!);
    if (n) out += `${n}${u}`;
    rest -= n * UNIT_MS[u]!;
  }
  return out || '0s';
}

const MIGRATIONS = [
  {
    id: 'mgmt-schedules-1',
    up: `
      CREATE TABLE mgmt_attestation_schedule (
        grp TEXT PRIMARY KEY,
        interval_ms INTEGER NOT NULL,
        next_run_at TEXT NOT NULL,
        last_run_at TEXT,
        last_result TEXT,
        created_by TEXT NOT NULL
      );`,
  },
];

interface Row {
  grp: string;
  interval_ms: number;
  next_run_at: string;
  last_run_at: string | null;
  last_result: string | null;
  created_by: string;
}

export class AttestationScheduleStore {
  constructor(private readonly db: Db) {
    migrate(db, MIGRATIONS);
  }

  /** Sets (or replaces) a group's schedule; its first run is one interval from now, or `firstRunAt`. */
  set(group: string, intervalMs: number, createdBy: string, firstRunAt = new Date(Date.now() + intervalMs)): AttestationSchedule {
    if (!Number.isSafeInteger(intervalMs) || intervalMs < MIN_INTERVAL_MS || intervalMs > MAX_INTERVAL_MS) {
      throw new TvdcError('INVALID_ARGUMENT', `interval ${intervalMs} ms is outside 1s to 366d`);
    }
    this.db
      .prepare(
        `INSERT INTO mgmt_attestation_schedule (grp, interval_ms, next_run_at, created_by) VALUES (?, ?, ?, ?)
         ON CONFLICT (grp) DO UPDATE SET interval_ms = excluded.interval_ms, next_run_at = excluded.next_run_at, created_by = excluded.created_by`,
      )
      .run(group, intervalMs, firstRunAt.toISOString(), createdBy);
    return this.get(group)!;
  }

  get(group: string): AttestationSchedule | undefined {
    const r = this.db.prepare('SELECT * FROM mgmt_attestation_schedule WHERE grp = ?').get(group) as Row | undefined;
    return r && toSchedule(r);
  }

  list(groups?: readonly string[]): AttestationSchedule[] {
    const where = new WhereClause().in('grp', groups);
    return (this.db.prepare(`SELECT * FROM mgmt_attestation_schedule ${where} ORDER BY grp`).all(...where.args) as Row[]).map(toSchedule);
  }

  remove(group: string): boolean {
    return this.db.prepare('DELETE FROM mgmt_attestation_schedule WHERE grp = ?').run(group).changes > 0;
  }

  /** Groups due at `now`, the most overdue first. */
  due(now: Date): AttestationSchedule[] {
    return (this.db.prepare('SELECT * FROM mgmt_attestation_schedule WHERE next_run_at <= ? ORDER BY next_run_at').all(now.toISOString()) as Row[]).map(toSchedule);
  }

  /** The earliest next run, if any schedule exists. */
  nextDue(): Date | undefined {
    const t = this.db.prepare('SELECT min(next_run_at) FROM mgmt_attestation_schedule').pluck().get() as string | null;
    return t ? new Date(t) : undefined;
  }

  /**
   * Records a run that started at `startedAt`: the next one is an interval after that start
   * (missed runs are not caught up one by one, which would only repeat the same check).
   */
  ran(group: string, startedAt: Date, result: string): void {
    const s = this.get(group);
    if (!s) return; // unscheduled while it ran
    const next = Math.max(startedAt.getTime() + s.intervalMs, Date.now());
    this.db
      .prepare('UPDATE mgmt_attestation_schedule SET last_run_at = ?, last_result = ?, next_run_at = ? WHERE grp = ?')
      .run(startedAt.toISOString(), result, new Date(next).toISOString(), group);
  }
}

function toSchedule(r: Row): AttestationSchedule {
  const s: AttestationSchedule = { group: r.grp, intervalMs: r.interval_ms, nextRunAt: r.next_run_at, createdBy: r.created_by };
  if (r.last_run_at !== null) s.lastRunAt = r.last_run_at;
  if (r.last_result !== null) s.lastResult = r.last_result;
  return s;
}
