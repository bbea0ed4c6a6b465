// When a vTPM may be powered, moved or removed by hand: only together with its VM. A TPM is reset
// only when its platform is, so a vTPM that stops or starts under a running guest would hand out
// fresh PCRs and a fresh log while the programs the old log recorded still run.
import { TvdcError } from '../TvdcError.js';
import type { VmInfo } from '../hypervisor/VirtualMachine.js';

/**
 * ExportVTPMState, StopVTPM and DeleteVTPM: the VM must be stopped or suspended (its guest not
 * executing), else INVALID_STATE. Exporting stops the vTPM; stopping or deleting it ends it.
 */
export function requireVmHalted(vm: VmInfo, action: string): void {
  if (vm.state === 'running' || vm.state === 'paused') {
    throw new TvdcError('INVALID_STATE', `cannot ${action} the vTPM of VM '${vm.name}' while the VM is ${vm.state}: stop or suspend the VM first`);
  }
}

/**
 * StartVTPM: only for a stopped VM. A running or paused guest, or a suspended one whose saved
 * state ran against the old TPM, would find a blank TPM under it: such a VM has to be stopped and
 * started again, which powers its vTPM on with it.
 */
export function requireVmStoppedToStart(vm: VmInfo): void {
  if (vm.state !== 'stopped') {
    throw new TvdcError('INVALID_STATE', `cannot start the vTPM of VM '${vm.name}' while the VM is ${vm.state}: a TPM does not come back blank under a guest that ran with it; stop the VM, then start it (its vTPM starts with it)`);
  }
}

/**
 * Resuming a suspended VM: its guest continues against the TPM it was suspended with, so that
 * vTPM must still be there and running (an administrator may have exported, stopped or deleted
 * it meanwhile). Else INVALID_STATE, and the VM stays suspended.
 */
export function requireVtpmToResume(vm: VmInfo, vtpm: { running: boolean } | undefined): void {
  if (!vtpm) {
    throw new TvdcError('INVALID_STATE', `cannot resume VM '${vm.name}': its vTPM was deleted while it was suspended; import its state (ImportVTPMState), or stop the VM and start it`);
  }
  if (!vtpm.running) {
    throw new TvdcError('INVALID_STATE', `cannot resume VM '${vm.name}': its vTPM was powered off while it was suspended and its PCRs are gone; stop the VM and start it (its vTPM boots with it)`);
  }
}
