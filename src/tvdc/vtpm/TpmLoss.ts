// A TPM of this host that stopped on its own (its swtpm process died), or that could not resume
// exactly as it was after an agent restart, and what the host did:
// a VM does not run without its TPM, so a running or paused VM is stopped (fail-stop) rather than
// left to run unmeasured, and a later StartVTPM could not hand it a blank TPM either.
import type { VmState } from '../hypervisor/VirtualMachine.js';
import type { IntegrityTarget } from './HostIntegrity.js';

export type TpmLossAction =
  /** The VM was running or paused and is now stopped. */
  | 'vm-stopped'
  /** The VM was running or paused, and stopping it failed: it may still run, without its TPM. */
  | 'vm-stop-failed'
  /** The VM was not executing (stopped, suspended, or gone): nothing to stop; a suspended one will not resume. */
  | 'vm-not-running'
  /** The host's own TPM: the host cannot be stopped; its attestation fails until the agent restarts. */
  | 'host-tpm';

/**
 * process-ended: its swtpm ended without being asked to. not-resumed: after an agent restart its
 * stored PCRs or its measurement list were missing, damaged or did not agree, so it was left off.
 */
export type TpmLossCause = 'process-ended' | 'not-resumed';

export interface TpmLoss {
  target: IntegrityTarget;
  cause: TpmLossCause;
  /** The swtpm's exit status; null when a signal ended it, or when it did not resume (no process). */
  exitCode: number | null;
  action: TpmLossAction;
  /** The VM's state when its vTPM was lost. */
  vmState?: VmState;
  /** One sentence for operators: what died, and what the host did. */
  message: string;
}

/** Told about every lost TPM, after the host acted on it. */
export type TpmLossListener = (loss: TpmLoss) => void;

/** How the process ended, in words. */
export function describeExit(code: number | null): string {
  return code === null ? 'was killed by a signal' : `exited with status ${code}`;
}
