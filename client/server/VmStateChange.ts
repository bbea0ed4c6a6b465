// Starting and stopping a VM through TVDc_ComputerSystem.RequestStateChange (DSP1057), the one call
// both the action plans (integrity/VmEffects) and the VM routes (vmsModule) make. The host's
// reference monitor decides a start; its refusal comes back with the host's Reason.
import { JOB_STARTED, awaitJob, jobOf, jobStateName, type WbemConnection } from '../cim/index.js';
import { TVDC_NAMESPACE, vmPath } from './HostCim.js';

/** RequestStateChange's RequestedState values (docs/isolation-cim.md). */
export const REQUESTED_STATE = { start: 2, stop: 3, shutdown: 4, reboot: 10 } as const;

/** How long a state change the host runs as a job is waited for (ms). */
export const STATE_CHANGE_JOB_TIMEOUT_MS = 60_000;

export type StateChangeResult =
  | { outcome: 'done' }
  /** A non-zero return value (or a job that ended without completing) with the host's reason. */
  | { outcome: 'refused'; returnValue: number; reason: string | null }
  /** A job that did not end in time or was gone before it ended: the VM's state is not known. */
  | { outcome: 'unknown'; reason: string };

/**
 * Asks the VM's host for `state`. CIM and transport failures are thrown as they come (each caller
 * words them for its own users); what the host answered is returned.
 */
export async function requestStateChange(conn: WbemConnection, vm: string, state: number, jobTimeoutMs = STATE_CHANGE_JOB_TIMEOUT_MS): Promise<StateChangeResult> {
  const r = await conn.invokeMethod(vmPath(vm), 'RequestStateChange', { RequestedState: { type: 'uint16', value: state } });
  const rv = Number(r.returnValue);
  const reason = r.outParams.get('Reason')?.value;
  if (rv === 0) return { outcome: 'done' };
  if (rv !== JOB_STARTED) return { outcome: 'refused', returnValue: rv, reason: typeof reason === 'string' ? reason : null };
  const job = jobOf(r.outParams, TVDC_NAMESPACE);
  if (!job) return { outcome: 'refused', returnValue: rv, reason: 'the host answered 4096 (job started) without a Job reference' };
  const end = await awaitJob(conn, job, { timeoutMs: jobTimeoutMs });
  switch (end.kind) {
    case 'completed': return { outcome: 'done' };
    case 'failed': return { outcome: 'refused', returnValue: rv, reason: `job ended ${jobStateName(end.state)}: ${end.reason}` };
    case 'vanished': return { outcome: 'unknown', reason: 'the job was gone before it reported its end' };
    case 'timeout': return { outcome: 'unknown', reason: `the job had not ended after ${jobTimeoutMs} ms (last ${end.lastError ?? jobStateName(end.lastState)})` };
  }
}
