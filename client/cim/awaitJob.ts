// Waiting for a CIM_ConcreteJob: a method that answers 4096 ("Method Parameters Checked - Job
// Started") hands back a Job reference, and the outcome is only known once the job's JobState ends.
// Polled with GetInstance under one deadline, so a job that never ends cannot hang the caller.
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { JOB_STATE, isFinalJobState } from '../../src/cim/ConcreteJob.js';
import { ClientError } from './ClientError.js';
import type { WbemConnection } from './WbemConnection.js';

export type JobEnd =
  /** JobState 7, with the job as it was then. */
  | { kind: 'completed'; instance: CimInstance }
  /** JobState 8, 9 or 10, with the job's ErrorDescription (or the messages of GetErrors). */
  | { kind: 'failed'; state: number; reason: string; instance: CimInstance }
  /**
   * The job is gone before it was seen to end: a job with DeleteOnCompletion may be removed once
   * it ended (after TimeBeforeRemoval), so what it did must be learned elsewhere.
   */
  | { kind: 'vanished' }
  /** The deadline passed; the job may still end either way. `lastError` is the last poll's failure, if it failed. */
  | { kind: 'timeout'; lastState: number | null; lastError: string | null };

export interface JobWaitOptions {
  /** The whole wait, from the first poll (ms). */
  timeoutMs: number;
  /**
   * The first pause between polls (ms, default 10); it doubles up to `maxPollMs`. Short at first:
   * many jobs (a migration on a LAN) end within tens of milliseconds, and a long first pause would
   * be most of the wait; a long job costs a poll a second.
   */
  pollMs?: number;
  /** Default 1 s. */
  maxPollMs?: number;
  /** Stops the wait early: it rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * The Job out parameter of a method that answered 4096, or null when it sent none. A reference
 * without a namespace names one on the host the method ran on: `namespace`, where it was called.
 */
export function jobOf(outParams: { get(name: string): { value: unknown } | undefined }, namespace: string): CimObjectPath | null {
  const v = outParams.get('Job')?.value;
  if (!(v instanceof CimObjectPath)) return null;
  return v.namespace ? v : new CimObjectPath(v.className, v.keys, namespace, v.host);
}

/**
 * Polls the job on `conn` (the server that started it) until it ends, disappears, or `timeoutMs`
 * pass. A poll that fails on the way (the server busy, a connection reset) is tried again until
 * the deadline: the job goes on on the server whatever happens to one request.
 */
export async function awaitJob(conn: WbemConnection, job: CimObjectPath, opts: JobWaitOptions): Promise<JobEnd> {
  const { signal } = opts;
  const deadline = Date.now() + opts.timeoutMs;
  const maxPause = opts.maxPollMs ?? 1_000;
  // At least 1 ms, so a pause of 0 still doubles into a real one.
  let pause = Math.max(1, Math.min(opts.pollMs ?? 10, maxPause));
  let lastState: number | null = null;
  let lastError: string | null = null;
  for (;;) {
    signal?.throwIfAborted();
    const left = deadline - Date.now();
    if (left <= 0) return { kind: 'timeout', lastState, lastError };
    try {
      // Each poll is bounded by what is left of the wait, so the wait as a whole is.
      const i = await bounded(conn.getInstance(job), left, signal);
      if (i === null) return { kind: 'timeout', lastState, lastError };
      const raw = i.get('JobState');
      lastState = raw === null || raw === undefined ? null : Number(raw);
      lastError = null;
      if (lastState === JOB_STATE.completed) return { kind: 'completed', instance: i };
      if (lastState !== null && isFinalJobState(lastState)) return { kind: 'failed', state: lastState, reason: await failureText(conn, job, i), instance: i };
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      if (e instanceof CimError && e.status === CimStatus.CIM_ERR_NOT_FOUND) return { kind: 'vanished' };
      if (!(e instanceof CimError) && !(e instanceof ClientError)) throw e;
      lastError = e.message;
    }
    await sleep(Math.min(pause, Math.max(0, deadline - Date.now())), signal);
    pause = Math.min(pause * 2, maxPause);
  }
}

/** The job did not reach a final JobState in time; it may still finish later. */
export class JobWaitTimeoutError extends ClientError {
  override name = 'JobWaitTimeoutError';
  constructor(
    readonly job: string,
    readonly timeoutMs: number,
    /** JobState at the last poll, when the job answered at all. */
    readonly lastJobState: number | undefined,
    /** Why the last poll failed, when it did. */
    readonly lastError: string | null = null,
  ) {
    super('TIMEOUT', `job ${job} did not finish within ${timeoutMs} ms (JobState ${lastJobState ?? 'unknown'} at the last look${lastError ? `; the last poll failed: ${lastError}` : ''}); it may still finish: get it again later, or raise the timeout`);
  }
}

export type WaitForJobOptions = Omit<JobWaitOptions, 'timeoutMs'> & {
  /** Default 2 minutes. */
  timeoutMs?: number;
};

/**
 * awaitJob for a caller that wants the job's final instance (Completed, Terminated, Killed or
 * Exception alike) and takes anything else as an error: a job the server no longer has fails with
 * CimError CIM_ERR_NOT_FOUND, one still running at the timeout with JobWaitTimeoutError.
 */
export async function waitForJob(conn: WbemConnection, job: CimObjectPath, opts: WaitForJobOptions = {}): Promise<CimInstance> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const end = await awaitJob(conn, job, { ...opts, timeoutMs });
  switch (end.kind) {
    case 'completed': case 'failed': return end.instance;
    case 'vanished': throw new CimError(CimStatus.CIM_ERR_NOT_FOUND, `job ${job.toString()} is gone before it was seen to finish`);
    case 'timeout': throw new JobWaitTimeoutError(job.toString(), timeoutMs, end.lastState ?? undefined, end.lastError);
  }
}

/** ErrorDescription, else the messages of CIM_ConcreteJob.GetErrors (its CIM_Error instances), else the ErrorCode. */
async function failureText(conn: WbemConnection, job: CimObjectPath, i: CimInstance): Promise<string> {
  const description = i.get('ErrorDescription');
  if (typeof description === 'string' && description.trim() !== '') return description;
  try {
    const r = await conn.invokeMethod(job, 'GetErrors');
    const errors = r.outParams.get('Errors')?.value;
    const messages = (Array.isArray(errors) ? errors : []).map((x) => {
      const m = typeof x === 'object' && x !== null && 'get' in x ? (x as { get(p: string): unknown }).get('Message') : x;
      return typeof m === 'string' ? m : '';
    }).filter((m) => m !== '');
    if (messages.length) return messages.join('; ');
  } catch {
    // GetErrors is optional; the job said nothing more.
  }
  const code = i.get('ErrorCode');
  return code === null || code === undefined ? 'no reason given' : `ErrorCode ${String(code)}, no description`;
}

/** `p`, or null once `ms` pass first; a poll abandoned then may still fail later, and nobody waits for it. */
function bounded<T>(p: Promise<T>, ms: number, signal: AbortSignal | undefined): Promise<T | null> {
  return new Promise<T | null>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      done();
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      done();
      resolve(null);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then((v) => {
      done();
      resolve(v);
    }, (e: unknown) => {
      done();
      reject(e);
    });
  });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
