// TVDc_ComputerSystem: the host's VMs, and RequestStateChange (DSP1057) onto the simulated
// hypervisor. A refused start returns 4 with the rule in the out parameter Reason; the VM stays
// stopped because the hypervisor asks the reference monitor before it changes anything. The domain
// carries the request out and keeps it with the VM; it is shown as RequestedState (DSP1057), 12 Not
// Applicable before any.
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { MethodResult, ParamValue, Provider, ProviderContext } from '../../src/wbem/Provider.js';
import type { VmRequest } from '../../src/tvdc/hypervisor/VirtualMachine.js';
import type { IsolationModel } from './IsolationModel.js';
import { REQUESTED_STATE } from './IsolationModel.js';
import { asCim, failureResult, type ReturnCodes } from './TvdcErrorMap.js';
import { methodParam } from './methodParam.js';

/** DSP1057 return codes: 4 Failed (refused by the policy), 5 Invalid Parameter, 4097 Invalid State Transition. */
const CODES: ReturnCodes = { ACCESS_DENIED: 4, INVALID_STATE: 4097, INVALID_ARGUMENT: 5, LABEL_UNKNOWN: 4 };

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
    const request = (Object.keys(REQUESTED_STATE) as VmRequest[]).find((r) => REQUESTED_STATE[r] === requested);
    if (request === undefined) {
      return { returnValue: 5, outParams: [{ name: 'Reason', value: `RequestedState ${requested} is not supported; use 2 start, 3 stop, 4 shut down, 6 suspend, 9 pause, 10 reboot or 11 reset` }] };
    }
    try {
      await this.model.service.requestVm(vmName, request);
      return { returnValue: 0 };
    } catch (e) {
      return failureResult(e, CODES);
    }
  }
}
