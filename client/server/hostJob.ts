// Waiting for a host's job: a method that answers 4096 ("Method Parameters Checked - Job Started")
// hands back a CIM_ConcreteJob reference, and the outcome is only known once the job's JobState
// ends. Polled with GetInstance under one deadline, so a job that never ends cannot hang a request.
import { CimError, CimStatus, ClientError, type WbemConnection } from '../cim/index.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { TVDC_NAMESPACE } from './HostRegistry.js';

/** The return value of an extrinsic method that started a job (DSP1057, DSP1081). */
export const JOB_STARTED = 4096;

/**
 * CIM_ConcreteJob.JobState (DMTF CIM 2.41). Only 7-10 end a job: 11 Service and 12 Query Pending
 * are live states although their numbers are higher, and values 13 and up are reserved, so a job
 * is waited for until it reports one of these four.
 */
const TERMINAL: Record<number, string> = { 7: 'Completed', 8: 'Terminated', 9: 'Killed', 10: 'Exception' };
const LIVE: Record<number, string> = { 2: 'New', 3: 'Starting', 4: 'Running', 5: 'Suspended', 6: 'Shutting Down', 11: 'Service', 12: 'Query Pending' };
const COMPLETED = 7;

export function jobStateName(state: number | null): string {
  if (state === null) return 'no JobState';
  return `${state} ${TERMINAL[state] ?? LIVE[state] ?? 'unknown'}`;
}

export type JobEnd =
  /** JobState 7. */
  | { kind: 'completed' }
  /** JobState 8, 9 or 10, with the job's ErrorDescription (or the messages of GetErrors). */
  | { kind: 'failed'; state: number; reason: string }
  /**
   * The job is gone before it was seen to end: a job with DeleteOnCompletion may be removed once
   * it ended (after TimeBeforeRemoval), so what it did must be learned elsewhere.
   */
  | { kind: 'vanished' }
  /** The deadline passed; the job may still end either way. */
  | { kind: 'timeout'; lastState: number | null; lastError: string | null };

export interface JobWaitOptions {
  /** The whole wait, from the first poll (ms). */
  timeoutMs: number;
  /** The first pause between polls (ms); it doubles up to 1 s. */
  pollMs?: number;
}

/** The Job out parameter of a method that answered 4096, or null when it sent none. */
export function jobOf(outParams: { get(name: string): { value: unknown } | undefined }): CimObjectPath | null {
  const v = outParams.get('Job')?.value;
  if (!(v instanceof CimObjectPath)) return null;
  // A reference without a namespace names the host's own, where the method was called.
  return v.namespace ? v : new CimObjectPath(v.className, v.keys, TVDC_NAMESPACE);
}

/**
 * Polls the job on `conn` (the host that started it) until it ends, disappears, or `timeoutMs`
 * pass. A poll that fails on the way (the host busy, a connection reset) is tried again until the
 * deadline: the job goes on on the host whatever happens to one request.
 */
export async function awaitJob(conn: WbemConnection, job: CimObjectPath, opts: JobWaitOptions): Promise<JobEnd> {
  const deadline = Date.now() + opts.timeoutMs;
  let pause = opts.pollMs ?? 100;
  let lastState: number | null = null;
  let lastError: string | null = null;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return { kind: 'timeout', lastState, lastError };
    try {
      // Each poll is bounded by what is left of the wait, so the wait as a whole is.
      const i = await withDeadline(conn.getInstance(job, { propertyList: ['JobState', 'ErrorDescription', 'JobStatus', 'ErrorCode'] }), left);
      if (i === null) return { kind: 'timeout', lastState, lastError };
      const raw = i.get('JobState');
      lastState = raw === null || raw === undefined ? null : Number(raw);
      lastError = null;
      if (lastState === COMPLETED) return { kind: 'completed' };
      if (lastState !== null && TERMINAL[lastState]) return { kind: 'failed', state: lastState, reason: await failureText(conn, job, i.get('ErrorDescription'), i.get('ErrorCode')) };
    } catch (e) {
      if (e instanceof CimError && e.status === CimStatus.CIM_ERR_NOT_FOUND) return { kind: 'vanished' };
      if (!(e instanceof CimError) && !(e instanceof ClientError)) throw e;
      lastError = e.message;
    }
    await sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
    pause = Math.min(pause * 2, 1_000);
  }
}

/** ErrorDescription, else the messages of CIM_ConcreteJob.GetErrors (its CIM_Error instances), else the ErrorCode. */
async function failureText(conn: WbemConnection, job: CimObjectPath, description: unknown, code: unknown): Promise<string> {
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
  return code === null || code === undefined ? 'no reason given' : `ErrorCode ${String(code)}, no description`;
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  // A poll abandoned at the deadline may still fail later; nobody waits for it then.
  p.catch(() => undefined);
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
