// A job table's jobs in the component's SQLite store (table wbem_job, jobMigrations.ts), so that a
// job a client was given stays readable after the process restarts. One store per kind of job; a
// row it cannot read back is left out of load() with a log line, never a failed start.
import { migrate, type Db } from '../store/Store.js';
import { isFinished, type JobFailure, type JobPersistence, type JobRecord, type JobState } from './JobTable.js';
import { JOB_MIGRATIONS } from './jobMigrations.js';

export interface JobStoreOptions<D> {
  /** Which jobs are this store's: the table's id prefix, e.g. `TVDc:MigrationJob:`. */
  kind: string;
  /** The job's detail from its stored JSON; throws (saying what is wrong) for one it cannot take. */
  decodeDetail(value: unknown): D;
  /** Where a row left out is reported; default console.error. */
  log?(message: string): void;
}

interface JobRow {
  id: string; kind: string; detail: string; owner: string | null; state: string; percent_complete: number; status: string;
  submitted_at: number; started_at: number | null; finished_at: number | null; state_changed_at: number;
  failure_code: number | null; failure_description: string | null;
}

const STATES: readonly JobState[] = ['starting', 'running', 'completed', 'exception'];

export class JobStore<D> implements JobPersistence<D> {
  private readonly insert;
  private readonly remove;

  constructor(private readonly db: Db, private readonly options: JobStoreOptions<D>) {
    migrate(db, JOB_MIGRATIONS);
    // An upsert, not INSERT OR REPLACE: the row keeps its rowid, so load() can list jobs submitted
    // in the same millisecond in the order they were submitted.
    this.insert = db.prepare(`INSERT INTO wbem_job (id, kind, detail, owner, state, percent_complete, status,
      submitted_at, started_at, finished_at, state_changed_at, failure_code, failure_description)
      VALUES (@id, @kind, @detail, @owner, @state, @percent_complete, @status, @submitted_at, @started_at, @finished_at,
      @state_changed_at, @failure_code, @failure_description)
      ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, detail = excluded.detail, owner = excluded.owner,
      state = excluded.state, percent_complete = excluded.percent_complete, status = excluded.status,
      submitted_at = excluded.submitted_at, started_at = excluded.started_at, finished_at = excluded.finished_at,
      state_changed_at = excluded.state_changed_at, failure_code = excluded.failure_code,
      failure_description = excluded.failure_description`);
    // The kind keeps one table's DeleteInstance from reaching another table's job of the same id.
    this.remove = db.prepare('DELETE FROM wbem_job WHERE id = ? AND kind = ?');
  }

  load(): JobRecord<D>[] {
    const rows = this.db.prepare('SELECT * FROM wbem_job WHERE kind = ? ORDER BY submitted_at, rowid').all(this.options.kind) as JobRow[];
    const jobs: JobRecord<D>[] = [];
    for (const row of rows) {
      try {
        jobs.push(this.record(row));
      } catch (e) {
        this.log(`job store: job ${JSON.stringify(row.id)} left out, its stored row is unreadable: ${(e as Error).message}`);
      }
    }
    return jobs;
  }

  write(saved: readonly JobRecord<D>[], removed: readonly string[]): void {
    try {
      this.db.transaction(() => {
        for (const job of saved) this.insert.run(this.row(job));
        for (const id of removed) this.remove.run(id, this.options.kind);
      })();
    } catch (e) {
      const what = [...saved.map((j) => `${j.id} (${j.state})`), ...removed.map((id) => `${id} (removal)`)].join(', ');
      throw new Error(`cannot record job ${what} in the store: ${(e as Error).message}`);
    }
  }

  private row(job: JobRecord<D>): JobRow {
    return {
      id: job.id, kind: this.options.kind, detail: JSON.stringify(job.detail), owner: job.owner, state: job.state,
      percent_complete: job.percentComplete, status: job.status, submitted_at: job.submittedAt.getTime(),
      started_at: job.startedAt?.getTime() ?? null, finished_at: job.finishedAt?.getTime() ?? null,
      state_changed_at: job.stateChangedAt.getTime(), failure_code: job.failure?.code ?? null,
      failure_description: job.failure?.description ?? null,
    };
  }

  /** The row as a record, every field checked: a record the table can trust or a throw saying why not. */
  private record(row: JobRow): JobRecord<D> {
    if (typeof row.id !== 'string' || !row.id.startsWith(this.options.kind)) throw new Error(`its id does not start with '${this.options.kind}'`);
    const state = row.state as JobState;
    if (!STATES.includes(state)) throw new Error(`state ${JSON.stringify(row.state)} is none of ${STATES.join(', ')}`);
    const finished = isFinished({ state });
    let parsed: unknown;
    try {
      parsed = JSON.parse(row.detail);
    } catch (e) {
      throw new Error(`detail is not JSON (${(e as Error).message})`);
    }
    const detail = this.options.decodeDetail(parsed);
    if (row.owner !== null && typeof row.owner !== 'string') throw new Error('owner is not text');
    if (typeof row.status !== 'string') throw new Error('status is not text');
    if (!Number.isInteger(row.percent_complete) || row.percent_complete < 0 || row.percent_complete > 100) throw new Error(`percent complete ${String(row.percent_complete)} is not 0-100`);
    const submittedAt = time(row.submitted_at, 'submitted');
    const startedAt = row.started_at === null ? null : time(row.started_at, 'started');
    const finishedAt = row.finished_at === null ? null : time(row.finished_at, 'finished');
    if (finished !== (finishedAt !== null)) throw new Error(finished ? `a ${state} job has no finish time` : `a ${state} job has a finish time`);
    let failure: JobFailure | null = null;
    if (state === 'exception') {
      if (!Number.isInteger(row.failure_code) || typeof row.failure_description !== 'string') throw new Error('an exception has no failure code and description');
      failure = { code: row.failure_code!, description: row.failure_description };
    }
    return {
      id: row.id, detail, owner: row.owner, state, percentComplete: row.percent_complete, status: row.status,
      submittedAt, startedAt, finishedAt, stateChangedAt: time(row.state_changed_at, 'state change'), failure,
    };
  }

  private log(message: string): void {
    (this.options.log ?? ((m: string) => console.error(m)))(message);
  }
}

function time(ms: unknown, what: string): Date {
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0) throw new Error(`${what} time ${String(ms)} is not ms since the epoch`);
  return new Date(ms);
}
