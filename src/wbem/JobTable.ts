// The bookkeeping behind methods that return 4096 "Job Started": each job's state machine, times
// and outcome, how long a finished job is kept, and (given a JobPersistence) how jobs outlive the
// process. Providers turn these records into CIM_ConcreteJob instances; nothing here knows CIM.
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

/**
 * Where a table keeps its jobs so that they outlive the process (src/wbem/JobStore.ts). Each call
 * is one transaction that either happens whole or throws.
 */
export interface JobPersistence<D> {
  /** Every job recorded, oldest submission first; records it cannot read are left out (and said so). */
  load(): JobRecord<D>[];
  /** Records `saved` as they are now and forgets `removed`, together. */
  write(saved: readonly JobRecord<D>[], removed: readonly string[]): void;
}

/** What restore() found: jobs kept, jobs settled as Exception, finished jobs already past retention. */
export interface JobRestore<D> {
  kept: number;
  settled: JobRecord<D>[];
  expired: number;
}

export interface JobTableOptions<D> {
  /** Called after each change; `previous` is the record before a modification. Must not throw. */
  onChange?(change: JobChange, job: JobRecord<D>, previous: JobRecord<D> | null): void;
  /** How long a finished job is kept (CIM_ConcreteJob.TimeBeforeRemoval); default 5 minutes. */
  retentionMs?: number;
  /** At most this many finished jobs are kept; the oldest go first. Default 256. */
  maxFinished?: number;
  /** The id's prefix, e.g. `TVDc:MigrationJob:`. */
  idPrefix?: string;
  /**
   * Where each change is written before it is visible or announced; without it jobs live in
   * memory only. restore() reads back what it kept.
   */
  store?: JobPersistence<D>;
  /**
   * How a job ended that was still starting or running when the process that ran it stopped: its
   * work is gone with that process, so restore() ends it in 'exception' with this failure. Must
   * not throw. Default: code 2 and a description saying the process stopped.
   */
  settle?(job: JobRecord<D>): JobFailure;
  /** Where faults of the store or of a change listener are reported; default console.error. */
  log?(message: string): void;
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
  /** Whether restore() may still run: before the first job and only once. */
  private restorable = true;

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
    this.restorable = false;
    const now = new Date();
    const job: JobRecord<D> = {
      id: `${this.options.idPrefix ?? ''}${randomUUID()}`, detail, owner, state: 'starting', percentComplete: 0, status,
      submittedAt: now, startedAt: null, finishedAt: null, stateChangedAt: now, failure: null,
    };
    // A job the store could not record is not started: a restart would know nothing of it.
    this.options.store?.write([job], []);
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

  /**
   * Removes a finished job now; false when there is none. A running job cannot be removed, and a
   * job the store cannot forget stays (the store's error is thrown), or it would come back after
   * a restart.
   */
  remove(id: string): boolean {
    const job = this.jobs.get(id);
    if (!job) return false;
    if (!isFinished(job)) throw new Error(`job ${id} is ${job.state}; only a finished job can be removed`);
    this.options.store?.write([], [id]);
    this.drop(id);
    return true;
  }

  /**
   * Takes back the jobs the store kept from an earlier run of the process, before any job is
   * submitted. Finished jobs keep their recorded finish time, so retention goes on from there;
   * those already past it, and the oldest beyond maxFinished, are forgotten without an
   * announcement (their time ran out while no process kept them). A job that was starting or
   * running lost its work with that process: it ends now in 'exception' with the settle()
   * failure, written first, then announced as a modification like any other end of a job.
   */
  restore(): JobRestore<D> {
    if (!this.restorable) throw new Error('JobTable.restore() runs once, before the first job is submitted');
    this.restorable = false;
    const store = this.options.store;
    if (!store) return { kept: 0, settled: [], expired: 0 };
    const now = new Date();
    const loaded = store.load();
    const settled = loaded.filter((j) => !isFinished(j)).map((before) => ({ before, after: this.settled(before, now) }));
    const finished = [...loaded.filter(isFinished), ...settled.map((s) => s.after)]
      .sort((a, b) => a.finishedAt!.getTime() - b.finishedAt!.getTime());
    const live = finished.filter((j) => j.finishedAt!.getTime() + this.retentionMs > now.getTime());
    const kept = live.slice(Math.max(0, live.length - this.maxFinished));
    const keptIds = new Set(kept.map((j) => j.id));
    const forgotten = finished.filter((j) => !keptIds.has(j.id)).map((j) => j.id);
    const settledKept = settled.filter((s) => keptIds.has(s.after.id));
    try {
      store.write(settledKept.map((s) => s.after), forgotten);
    } catch (e) {
      // A start goes on without it: the next one settles and forgets these jobs again.
      this.log(`could not record the jobs settled or expired at this start: ${(e as Error).message}`);
    }
    for (const j of kept) {
      this.jobs.set(j.id, j);
      this.retire(j.id, j.finishedAt!);
    }
    for (const s of settledKept) this.notify('modified', s.after, s.before);
    return { kept: kept.length, settled: settledKept.map((s) => s.after), expired: forgotten.length };
  }

  /** Stops the removal timers and waits for the jobs still running (their work has its own timeouts). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.running]);
    for (const t of this.finished.values()) clearTimeout(t);
    this.finished.clear();
  }

  private settled(job: JobRecord<D>, now: Date): JobRecord<D> {
    let failure: JobFailure;
    try {
      failure = this.options.settle?.(job) ?? { code: UNEXPECTED_FAILURE_CODE, description: `the process running job ${job.id} stopped before the job finished` };
    } catch (e) {
      failure = { code: UNEXPECTED_FAILURE_CODE, description: `the process running job ${job.id} stopped before the job finished (${(e as Error).message})` };
    }
    return { ...job, state: 'exception', failure, status: failure.description, percentComplete: 100, finishedAt: now, stateChangedAt: now };
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
    const finished = this.jobs.get(id);
    if (finished) this.retire(id, finished.finishedAt!);
  }

  private update(id: string, change: Partial<Omit<JobRecord<D>, 'id' | 'detail' | 'owner' | 'submittedAt'>>): void {
    const before = this.jobs.get(id);
    if (!before) return;
    const stateChanged = change.state !== undefined && change.state !== before.state;
    const after: JobRecord<D> = { ...before, ...change, stateChangedAt: stateChanged ? (change.finishedAt ?? change.startedAt ?? new Date()) : before.stateChangedAt };
    try {
      this.options.store?.write([after], []);
    } catch (e) {
      // The change still happens: a job held back in its old state would keep its pollers waiting
      // for an end that already came. The store keeps the older state, which a restart settles.
      this.log(`job ${id}: could not record ${after.state} (${after.percentComplete} %): ${(e as Error).message}`);
    }
    this.jobs.set(id, after);
    this.notify('modified', after, before);
  }

  /** A finished job is kept retentionMs after `finishedAt`, and only the newest maxFinished of them. */
  private retire(id: string, finishedAt: Date): void {
    if (this.closed) return;
    // Clamped, so that a clock set back since the finish cannot keep a job longer than retentionMs.
    const left = Math.min(this.retentionMs, Math.max(0, finishedAt.getTime() + this.retentionMs - Date.now()));
    const timer = setTimeout(() => this.expire(id), left);
    // Retention must never keep a process alive that is otherwise done.
    timer.unref();
    this.finished.set(id, timer);
    while (this.finished.size > this.maxFinished) {
      const oldest = this.finished.keys().next().value as string;
      this.expire(oldest);
    }
  }

  /** Retention's removal: a store that cannot forget the job now forgets it at the next restore(). */
  private expire(id: string): void {
    try {
      this.options.store?.write([], [id]);
    } catch (e) {
      this.log(`job ${id}: could not remove it from the store (a restart removes it): ${(e as Error).message}`);
    }
    this.drop(id);
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
      this.log(`job ${job.id}: change listener failed: ${(e as Error).message}`);
    }
  }

  private log(message: string): void {
    (this.options.log ?? ((m: string) => console.error(m)))(message);
  }
}

export function isFinished(job: Pick<JobRecord<unknown>, 'state'>): boolean {
  return job.state === 'completed' || job.state === 'exception';
}
