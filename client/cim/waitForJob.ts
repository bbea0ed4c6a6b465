// Waiting for a CIM_ConcreteJob that a method started (return value 4096 and an OUT Job REF): polls
// GetInstance on the job until its JobState is final, and gives back that last instance.
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { ClientError } from './ClientError.js';
import type { WbemConnection } from './WbemConnection.js';

/** CIM_ConcreteJob.JobState values after which a job changes no more: Completed, Terminated, Killed, Exception. */
export const FINAL_JOB_STATES: readonly number[] = [7, 8, 9, 10];

export const JOB_COMPLETED = 7;

export interface WaitForJobOptions {
  /** Give up after this long; default 2 minutes. */
  timeoutMs?: number;
  /** The first pause between polls; it doubles up to `maxIntervalMs`. Default 25 ms. */
  intervalMs?: number;
  /** Default 1 s. */
  maxIntervalMs?: number;
  /** Stops the wait early (the rejection is the signal's reason). */
  signal?: AbortSignal;
}

/** The job did not reach a final JobState in time; it may still finish later. */
export class JobWaitTimeoutError extends ClientError {
  override name = 'JobWaitTimeoutError';
  constructor(
    readonly job: string,
    readonly timeoutMs: number,
    /** JobState at the last poll, when the job answered at all. */
    readonly lastJobState: number | undefined,
  ) {
    super('TIMEOUT', `job ${job} did not finish within ${timeoutMs} ms (JobState ${lastJobState ?? 'unknown'} at the last look); it may still finish: get it again later, or raise the timeout`);
  }
}

/**
 * Polls `job` until its JobState is one of FINAL_JOB_STATES and returns that instance. A job the
 * server no longer has fails with its CimError (CIM_ERR_NOT_FOUND); a job still running at the
 * timeout fails with JobWaitTimeoutError.
 */
export async function waitForJob(conn: WbemConnection, job: CimObjectPath, opts: WaitForJobOptions = {}): Promise<CimInstance> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const maxInterval = opts.maxIntervalMs ?? 1000;
  let interval = Math.min(opts.intervalMs ?? 25, maxInterval);
  const deadline = Date.now() + timeoutMs;
  let state: number | undefined;
  for (;;) {
    opts.signal?.throwIfAborted();
    const inst = await conn.getInstance(job);
    const s = inst.get('JobState');
    state = s === null || s === undefined ? undefined : Number(s);
    if (state !== undefined && FINAL_JOB_STATES.includes(state)) return inst;
    const left = deadline - Date.now();
    if (left <= 0) throw new JobWaitTimeoutError(job.toString(), timeoutMs, state);
    await pause(Math.min(interval, left), opts.signal);
    interval = Math.min(interval * 2, maxInterval);
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
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
