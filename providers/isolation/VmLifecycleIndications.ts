// VM life-cycle indications (DSP1054, PROFILES.md "VM life cycle"): CIM_InstCreation when a VM is
// defined or migrates in, CIM_InstModification (with PreviousInstance) when its state changes,
// CIM_InstDeletion when it is destroyed or migrates out, each with the TVDc_ComputerSystem
// embedded, so a subscriber can filter `SourceInstance ISA TVDc_ComputerSystem`.
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { LifecycleListener } from '../../src/tvdc/hypervisor/LifecycleListener.js';
import type { VmInfo } from '../../src/tvdc/hypervisor/VirtualMachine.js';
import type { IsolationModel } from './IsolationModel.js';
import { lifecycleIndication, type LifecycleClass } from './LifecycleIndication.js';

export function vmLifecycleIndications(model: IsolationModel, emit: (indication: CimInstance) => void): LifecycleListener {
  // The last state seen of each VM, for PreviousInstance: every change passes through these hooks.
  const previous = new Map<string, VmInfo>(model.service.listVms().map((v) => [v.name, v]));
  const send = (className: LifecycleClass, vm: VmInfo, before?: VmInfo): void => {
    // A hook that throws would undo the VM's start: an announcement must never cost the change.
    try {
      emit(lifecycleIndication(model, className, model.vm(vm), before ? model.vm(before) : undefined));
    } catch (e) {
      console.error(`tvdc isolation: could not raise ${className} for VM '${vm.name}': ${(e as Error).message}`);
    }
  };
  const created = (vm: VmInfo): void => {
    previous.set(vm.name, vm);
    send('CIM_InstCreation', vm);
  };
  const modified = (vm: VmInfo): void => {
    const before = previous.get(vm.name);
    previous.set(vm.name, vm);
    send('CIM_InstModification', vm, before);
  };
  const deleted = (vm: VmInfo): void => {
    previous.delete(vm.name);
    send('CIM_InstDeletion', vm);
  };
  return {
    onDefine: created,
    onMigrateIn: created,
    onStart: modified,
    onStop: modified,
    onPause: modified,
    onUnpause: modified,
    onSuspend: modified,
    onResume: modified,
    onDestroy: deleted,
    onMigrateOut: deleted,
  };
}
