// The bookkeeping behind methods that return 4096 "Job Started": each job's state machine, times
// and outcome, and how long a finished job is kept. Providers turn these records into
// CIM_ConcreteJob instances; nothing here knows CIM.
import { randomUUID } from 'node:crypto';

/** The states a job of this table passes through, named as CIM_ConcreteJob.JobState names them (src/cim/ConcreteJob.ts). */
export type JobState = 'starting' | 'running' | 'completed' | 'exception';

/** How a job's work failed: the code the method would have returned, and why. */
export interface JobFailure {
  code: number;
  description: string;
}

/** One job as it is at one moment; a change makes a new record, so an old one stays a true "before". */
export interface JobRecord<D> {
  readonly id: string;
  /** What the job works on (the provider's own data). */
  readonly detail: D;
  /** Who submitted it; null when the server runs without users. */
  readonly owner: string | null;
  readonly state: JobState;
  readonly percentComplete: number;
  /** What the job is doing or did, in words (CIM_Job.JobStatus). */
  readonly status: string;
  readonly submittedAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly stateChangedAt: Date;
  /** Set in state 'exception' only. */
  readonly failure: JobFailure | null;
}

/** What a job's work may tell the table while it runs. */
export interface JobProgress {
  progress(percent: number, status?: string): void;
}

/**
 * Runs the job. Resolves with the final status text when it succeeded, or with a JobFailure when
 * it failed in a way it understands; a throw is an unexpected failure (code 2, the generic
 * "Failed" of DMTF method value maps).
 */
export type JobWork = (job: JobProgress) => Promise<string | JobFailure>;

export type JobChange = 'created' | 'modified' | 'removed';

export interface JobTableOptions<D> {
  /** Called after each change; `previous` is the record before a modification. Must not throw. */
  onChange?(change: JobChange, job: JobRecord<D>, previous: JobRecord<D> | null): void;
  /** How long a finished job is kept (CIM_ConcreteJob.TimeBeforeRemoval); default 5 minutes. */
  retentionMs?: number;
  /** At most this many finished jobs are kept; the oldest go first. Default 256. */
  maxFinished?: number;
  /** The id's prefix, e.g. `TVDc:MigrationJob:`. */
  idPrefix?: string;
}

const DEFAULT_RETENTION_MS = 5 * 60_000;
const DEFAULT_MAX_FINISHED = 256;
const UNEXPECTED_FAILURE_CODE = 2;

export class JobTable<D> {
  readonly retentionMs: number;
  readonly maxFinished: number;
  private readonly jobs = new Map<string, JobRecord<D>>();
  /** Finished job ids, oldest first (Map keeps insertion order), with their removal timers. */
  private readonly finished = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: JobTableOptions<D> = {}) {
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.maxFinished = options.maxFinished ?? DEFAULT_MAX_FINISHED;
    if (!(this.retentionMs >= 0) || !Number.isInteger(this.maxFinished) || this.maxFinished < 1) {
      throw new RangeError(`JobTable: retentionMs must be >= 0 and maxFinished a positive integer (got ${this.retentionMs}, ${this.maxFinished})`);
    }
  }

  /**
   * Creates a job in state 'starting' and returns it; the work begins on the next turn of the
   * event loop, so the caller can answer its client first.
   */
  submit(detail: D, owner: string | null, status: string, work: JobWork): JobRecord<D> {
    if (this.closed) throw new Error('the job table is closed');
    const now = new Date();
    const job: JobRecord<D> = {
      id: `${this.options.idPrefix ?? ''}${randomUUID()}`, detail, owner, state: 'starting', percentComplete: 0, status,
      submittedAt: now, startedAt: null, finishedAt: null, stateChangedAt: now, failure: null,
    };
    this.jobs.set(job.id, job);
    this.notify('created', job, null);
    const done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.run(job.id, work));
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
    return job;
  }

  get(id: string): JobRecord<D> | undefined {
    return this.jobs.get(id);
  }

  list(): JobRecord<D>[] {
    return [...this.jobs.values()];
  }

  /** Removes a finished job now; false when there is none. A running job cannot be removed. */
  remove(id: string): boolean {
    const job = this.jobs.get(id);
    if (!job) return false;
    if (!isFinished(job)) throw new Error(`job ${id} is ${job.state}; only a finished job can be removed`);
    this.drop(id);
    return true;
  }

  /** Stops the removal timers and waits for the jobs still running (their work has its own timeouts). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.running]);
    for (const t of this.finished.values()) clearTimeout(t);
    this.finished.clear();
  }

  private async run(id: string, work: JobWork): Promise<void> {
    this.update(id, { state: 'running', startedAt: new Date() });
    let outcome: string | JobFailure;
    try {
      outcome = await work({
        progress: (percent, status) => {
          const p = Math.max(0, Math.min(100, Math.round(percent)));
          const job = this.jobs.get(id);
          if (job?.state === 'running') this.update(id, { percentComplete: p, status: status ?? job.status });
        },
      });
    } catch (e) {
      outcome = { code: UNEXPECTED_FAILURE_CODE, description: e instanceof Error ? e.message : String(e) };
    }
    this.update(id, typeof outcome === 'string'
      ? { state: 'completed', percentComplete: 100, status: outcome, finishedAt: new Date() }
      : { state: 'exception', failure: { code: outcome.code, description: outcome.description }, status: outcome.description, percentComplete: 100, finishedAt: new Date() });
    this.retire(id);
  }

  private update(id: string, change: Partial<Omit<JobRecord<D>, 'id' | 'detail' | 'owner' | 'submittedAt'>>): void {
    const before = this.jobs.get(id);
    if (!before) return;
    const stateChanged = change.state !== undefined && change.state !== before.state;
    const after: JobRecord<D> = { ...before, ...change, stateChangedAt: stateChanged ? (change.finishedAt ?? change.startedAt ?? new Date()) : before.stateChangedAt };
    this.jobs.set(id, after);
    this.notify('modified', after, before);
  }

  /** A finished job is kept retentionMs, and only the newest maxFinished of them. */
  private retire(id: string): void {
    if (this.closed) return;
    const timer = setTimeout(() => this.drop(id), this.retentionMs);
    // Retention must never keep a process alive that is otherwise done.
    timer.unref();
    this.finished.set(id, timer);
    while (this.finished.size > this.maxFinished) {
      const oldest = this.finished.keys().next().value as string;
      this.drop(oldest);
    }
  }

  private drop(id: string): void {
    const job = this.jobs.get(id);
    clearTimeout(this.finished.get(id));
    this.finished.delete(id);
    if (!job) return;
    this.jobs.delete(id);
    this.notify('removed', job, null);
  }

  private notify(change: JobChange, job: JobRecord<D>, previous: JobRecord<D> | null): void {
    try {
      this.options.onChange?.(change, job, previous);
    } catch (e) {
      // An announcement must never cost the job its bookkeeping.
      console.error(`job ${job.id}: change listener failed: ${(e as Error).message}`);
    }
  }
}

export function isFinished(job: JobRecord<unknown>): boolean {
  return job.state === 'completed' || job.state === 'exception';
}
