// TVDc_ComputerSystem: the host's VMs, and RequestStateChange (DSP1057) onto the simulated
// hypervisor. A refused start returns 4 with the rule in the out parameter Reason; the VM stays
// stopped because the hypervisor asks the reference monitor before it changes anything. An accepted
// request is kept with the VM as its RequestedState (DSP1057), 12 Not Applicable before any.
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { MethodResult, ParamValue, Provider, ProviderContext } from '../../src/wbem/Provider.js';
import { TvdcError } from '../../src/tvdc/TvdcError.js';
import type { VmInfo, VmRequest } from '../../src/tvdc/hypervisor/VirtualMachine.js';
import type { IsolationModel } from './IsolationModel.js';
import { ENABLED_STATE, REQUESTED_STATE } from './IsolationModel.js';
import { asCim, failureResult, type ReturnCodes } from './TvdcErrorMap.js';
import { methodParam } from './methodParam.js';

/** DSP1057 return codes: 4 Failed (refused by the policy), 5 Invalid Parameter, 4097 Invalid State Transition. */
const CODES: ReturnCodes = { ACCESS_DENIED: 4, INVALID_STATE: 4097, INVALID_ARGUMENT: 5, LABEL_UNKNOWN: 4 };

const STATE_NAMES: Record<number, string> = { 2: 'Enabled (start)', 3: 'Disabled (stop)', 4: 'Shut Down', 6: 'Offline (suspend)', 9: 'Quiesce (pause)', 10: 'Reboot', 11: 'Reset' };

export class ComputerSystemProvider implements Provider {
  constructor(private readonly model: IsolationModel) {}

  enumerateInstances(): CimInstance[] {
    return this.model.vms();
  }

  async getInstance(_ctx: ProviderContext, path: CimObjectPath): Promise<CimInstance> {
    return asCim(() => {
      const name = path.key('Name');
      const vm = typeof name === 'string' ? this.model.service.getVm(name) : undefined;
      if (!vm) throw new CimError(CimStatus.CIM_ERR_NOT_FOUND, `no VM '${String(name)}' on host '${this.model.hostName}'`);
      return this.model.vm(vm);
    });
  }

  async invokeMethod(_ctx: ProviderContext, path: CimObjectPath, method: string, params: ParamValue[]): Promise<MethodResult> {
    if (method !== 'RequestStateChange') throw new CimError(CimStatus.CIM_ERR_METHOD_NOT_AVAILABLE, `TVDc_ComputerSystem.${method} is not implemented`);
    const vmName = this.model.paths.element(path, 'the target', ['vm']).name;
    const requested = methodParam(params, 'RequestedState');
    if (typeof requested !== 'number') return { returnValue: 5, outParams: [{ name: 'Reason', value: 'RequestedState is required' }] };
    if (methodParam(params, 'TimeoutPeriod') !== null)
      return { returnValue: 4098, outParams: [{ name: 'Reason', value: 'TimeoutPeriod is not supported: every state change completes before the call returns' }] };
    try {
      const vm = this.model.service.getVm(vmName);
      if (!vm) throw new CimError(CimStatus.CIM_ERR_NOT_FOUND, `no VM '${vmName}' on host '${this.model.hostName}'`);
      // Recorded before the change, so the state-change indications already carry it as
      // RequestedState; a refused or impossible request puts the previous one back.
      const request = (Object.keys(REQUESTED_STATE) as VmRequest[]).find((r) => REQUESTED_STATE[r] === requested);
      if (request !== undefined) this.model.service.recordVmRequest(vmName, request);
      try {
        await this.change(vm, requested);
      } catch (e) {
        if (request !== undefined && this.model.service.getVm(vmName)) this.model.service.recordVmRequest(vmName, vm.lastRequest);
        throw e;
      }
      return { returnValue: 0 };
    } catch (e) {
      return failureResult(e, CODES);
    }
  }

  /** Requesting the state the VM is already in is a success that changes nothing. */
  private async change(vm: VmInfo, requested: number): Promise<void> {
    const s = this.model.service;
    const n = vm.name;
    const invalid = (): never => {
      throw new TvdcError('INVALID_STATE', `VM '${n}' is ${vm.state}; it cannot go to ${STATE_NAMES[requested] ?? requested}`);
    };
    switch (requested) {
      case 2:
        if (vm.state === 'stopped') await s.startVm(n);
        else if (vm.state === 'suspended') await s.resumeVm(n);
        else if (vm.state === 'paused') await s.unpauseVm(n);
        return;
      case 3:
      case 4:
        if (vm.state !== 'stopped') await s.stopVm(n);
        return;
      case 6:
        if (vm.state === 'suspended') return;
        if (vm.state !== 'running') invalid();
        await s.suspendVm(n);
        return;
      case 9:
        if (vm.state === 'paused') return;
        if (vm.state !== 'running') invalid();
        await s.pauseVm(n);
        return;
      case 10:
      case 11:
        if (vm.state !== 'running' && vm.state !== 'paused') invalid();
        await s.rebootVm(n);
        return;
      default:
        throw new TvdcError('INVALID_ARGUMENT', `RequestedState ${requested} is not supported; use 2 start, 3 stop, 4 shut down, 6 suspend, 9 pause, 10 reboot or 11 reset (the VM is ${vm.state}, EnabledState ${ENABLED_STATE[vm.state]})`);
    }
  }
}
