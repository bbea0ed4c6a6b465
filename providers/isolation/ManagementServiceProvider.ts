// TVDc_VirtualSystemManagementService (DSP1042): DefineSystem from an embedded
// TVDc_VirtualSystemSettingData (ElementName = VM name, SecurityLabel as ACM:<policy>:<label> or a
// bare name) and, in the same call, its disks, interfaces and vTPM as embedded RASDs; DestroySystem
// (which first stops a running VM, as DSP1042 asks), ModifySystemSettings (relabels a stopped VM),
// and AddResourceSettings / RemoveResourceSettings to give a VM a disk or a network interface: the
// management VM's hook, so the policy decides (Figure 3 cases 4 and 5).
// A failure of the method itself answers with its DSP1042 ValueMap return code and the out
// parameter Reason, so a client branching on the return value sees it; only a fault that is not the
// method's outcome (an unexpected error) is a CIM error.
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { MethodResult, ParamValue, Provider, ProviderContext } from '../../src/wbem/Provider.js';
import { TvdcError } from '../../src/tvdc/TvdcError.js';
import type { VmResource } from '../../src/tvdc/hypervisor/HypervisorDriver.js';
import { CLASS } from './IsolationPaths.js';
import type { IsolationModel } from './IsolationModel.js';
import { parseLabel } from './LabelText.js';
import { MethodRefusal, invalidParameter as invalid } from './MethodRefusal.js';
import { parseResourceAllocation, type ResourceAllocation } from './ResourceAllocation.js';
import { failureResult, type ReturnCodes } from './TvdcErrorMap.js';
import { methodParam } from './methodParam.js';

// Policy refusals, VMs that must be stopped and disks already attached are 2 (Failed); an unknown
// element or label, a taken name and bad input are 4 (Invalid Parameter), as the ValueMaps say.
const COMMON: ReturnCodes = {
  INVALID_ARGUMENT: 4,
  LABEL_UNKNOWN: 4,
  NOT_FOUND: 4,
  ACCESS_DENIED: 2,
  NO_POLICY: 2,
  INVALID_STATE: 2,
  IO_FAILED: 2,
  VTPM_FAILED: 2,
};

const CODES: Record<string, ReturnCodes> = {
  DefineSystem: { ...COMMON, ALREADY_EXISTS: 4 },
  // DestroySystem's ValueMap has 5 Invalid State: a VM that cannot be stopped or destroyed now.
  DestroySystem: { ...COMMON, INVALID_STATE: 5 },
  ModifySystemSettings: COMMON,
  AddResourceSettings: { ...COMMON, ALREADY_EXISTS: 2 },
  RemoveResourceSettings: COMMON,
};

export interface ManagementServiceOptions {
  /** The host makes a vTPM with every VM it defines (tvdc-host --vtpm swtpm). */
  vtpm: boolean;
}

export class ManagementServiceProvider implements Provider {
  constructor(
    private readonly model: IsolationModel,
    private readonly options: ManagementServiceOptions,
  ) {}

  enumerateInstances(): CimInstance[] {
    return [this.model.serviceInstance(CLASS.managementService)];
  }

  async invokeMethod(_ctx: ProviderContext, _path: CimObjectPath, method: string, params: ParamValue[]): Promise<MethodResult> {
    try {
      switch (method) {
        case 'DefineSystem': return await this.defineSystem(params);
        case 'DestroySystem': return await this.destroySystem(params);
        case 'ModifySystemSettings': return this.modifySystemSettings(params);
        case 'AddResourceSettings': return this.addResourceSettings(params);
        case 'RemoveResourceSettings': return this.removeResourceSettings(params);
        default: return { returnValue: 1 };
      }
    } catch (e) {
      const reason = (code: number, text: string): MethodResult => ({ returnValue: code, outParams: [{ name: 'Reason', value: text }] });
      if (e instanceof MethodRefusal) return reason(e.code, e.message);
      // A REF parameter that names no element of the right class (IsolationPaths) is bad input to this method.
      if (e instanceof CimError && e.status === CimStatus.CIM_ERR_INVALID_PARAMETER) return reason(4, e.description);
      return failureResult(e, CODES[method] ?? {});
    }
  }

  /**
   * Defines the VM with the resources ResourceSettings asks for, all checked before anything is
   * made (the domain writes the VM and its resources together), so a refusal leaves nothing behind.
   */
  private async defineSystem(params: ParamValue[]): Promise<MethodResult> {
    const settings = methodParam(params, 'SystemSettings');
    if (!(settings instanceof CimInstance)) throw invalid('SystemSettings must be an embedded TVDc_VirtualSystemSettingData instance');
    if (!this.isSubclass(settings.className, 'CIM_VirtualSystemSettingData'))
      throw invalid(`SystemSettings is a ${settings.className}, not a TVDc_VirtualSystemSettingData`);
    if (methodParam(params, 'ReferenceConfiguration') !== null)
      throw new MethodRefusal(1, 'ReferenceConfiguration is not supported');
    const text = (n: string): string | undefined => {
      const v = settings.get(n);
      return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
    };
    const name = text('ElementName') ?? text('VirtualSystemIdentifier');
    if (!name) throw invalid('SystemSettings.ElementName (the VM name) is required');
    const labelText = text('SecurityLabel');
    const label = labelText === undefined ? undefined : parseLabel(labelText, this.model.policyName());
    const { resources, indexes } = this.resourcesToDefine(methodParam(params, 'ResourceSettings'));
    try {
      const vm = await this.model.service.defineVm(name, label, resources);
      return { returnValue: 0, outParams: [{ name: 'ResultingSystem', value: this.model.paths.vm(vm.name) }] };
    } catch (e) {
      const i = resourceIndex(e);
      if (e instanceof TvdcError && i !== undefined) throw new TvdcError(e.code, `ResourceSettings[${indexes[i]}]: ${e.message}`, e.details);
      throw e;
    }
  }

  /**
   * DefineSystem's disks and interfaces for the domain, with the ResourceSettings index of each. A
   * vTPM allocation asks for what the host makes with every VM under --vtpm swtpm; under --vtpm off
   * it cannot be had, and the VM is not defined without it.
   */
  private resourcesToDefine(raw: ParamValue['value']): { resources: VmResource[]; indexes: number[] } {
    const list = raw === null ? [] : Array.isArray(raw) ? raw : [raw];
    const resources: VmResource[] = [];
    const indexes: number[] = [];
    let tpm: number | undefined;
    list.forEach((r, i) => {
      const a = this.resource(r, i);
      if (a.kind === 'tpm') {
        if (!this.options.vtpm) throw new MethodRefusal(1, `ResourceSettings[${i}]: this host makes no vTPMs (tvdc-host --vtpm off); define the VM without the TPM allocation, or on a host run with --vtpm swtpm`);
        if (tpm !== undefined) throw invalid(`ResourceSettings[${i}]: a VM has one vTPM, and ResourceSettings[${tpm}] already asks for it`);
        tpm = i;
        return;
      }
      resources.push({ kind: a.kind === 'disk' ? 'disk' : 'segment', name: a.name });
      indexes.push(i);
    });
    return { resources, indexes };
  }

  private async destroySystem(params: ParamValue[]): Promise<MethodResult> {
    const target = methodParam(params, 'AffectedSystem');
    const name = this.model.paths.element(target as CimObjectPath | null, 'AffectedSystem', ['vm']).name;
    const vm = this.model.service.getVm(name);
    if (!vm) throw new TvdcError('NOT_FOUND', `no VM '${name}' on host '${this.model.hostName}'`);
    if (vm.state !== 'stopped') await this.model.service.stopVm(name);
    await this.model.service.destroyVm(name);
    return { returnValue: 0 };
  }

  /**
   * Changes a stopped VM's label through its settings (the other way to what AssignLabel does):
   * SecurityLabel set relabels, SecurityLabel empty or NULL removes the label.
   */
  private modifySystemSettings(params: ParamValue[]): MethodResult {
    const settings = methodParam(params, 'SystemSettings');
    if (!(settings instanceof CimInstance)) throw invalid('SystemSettings must be an embedded TVDc_VirtualSystemSettingData instance');
    const id = settings.get('InstanceID');
    if (typeof id !== 'string' || !id.startsWith('TVDc:')) throw invalid('SystemSettings.InstanceID must be TVDc:<vm>');
    const vm = id.slice('TVDc:'.length);
    const label = settings.get('SecurityLabel');
    if (typeof label === 'string' && label.trim() !== '') this.model.service.assignLabel({ kind: 'vm', name: vm }, parseLabel(label, this.model.policyName()));
    else this.model.service.removeLabel({ kind: 'vm', name: vm });
    return { returnValue: 0 };
  }

  /** Attaches every resource or none: a refusal detaches what this call attached before it. */
  private addResourceSettings(params: ParamValue[]): MethodResult {
    const config = methodParam(params, 'AffectedConfiguration') as CimObjectPath | null;
    const id = config?.key('InstanceID');
    if (!config || config.className.toLowerCase() !== CLASS.vssd.toLowerCase() || typeof id !== 'string' || !id.startsWith('TVDc:'))
      throw invalid('AffectedConfiguration must name a TVDc_VirtualSystemSettingData (InstanceID TVDc:<vm>)');
    const vm = id.slice('TVDc:'.length);
    if (!this.model.service.getVm(vm)) throw new TvdcError('NOT_FOUND', `no VM '${vm}' on host '${this.model.hostName}'`);
    const settings = methodParam(params, 'ResourceSettings');
    if (!Array.isArray(settings) || settings.length === 0) throw invalid('ResourceSettings needs at least one embedded resource allocation');
    const wanted = settings.map((r, i) => {
      const a = this.resource(r, i);
      if (a.kind === 'tpm') throw new MethodRefusal(1, `ResourceSettings[${i}]: a vTPM (ResourceType 1, OtherResourceType TPM) is not added to a defined VM: DefineSystem makes it with the VM on a host run with --vtpm swtpm`);
      return a;
    });
    const done: typeof wanted = [];
    const s = this.model.service;
    try {
      for (const w of wanted) {
        if (w.kind === 'disk') s.attachDisk(vm, w.name);
        else s.attachInterface(vm, w.name);
        done.push(w);
      }
    } catch (e) {
      for (const d of done.reverse()) {
        if (d.kind === 'disk') s.detachDisk(vm, d.name);
        else s.detachInterface(vm, d.name);
      }
      throw e;
    }
    return { returnValue: 0, outParams: [{ name: 'ResultingResourceSettings', value: wanted.map((w) => this.model.paths.rasd(vm, w.kind, w.name)) }] };
  }

  private resource(r: unknown, i: number): ResourceAllocation {
    return parseResourceAllocation(r, i, (c) => this.isSubclass(c, 'CIM_ResourceAllocationSettingData'));
  }

  /** `className` is a class of this namespace and `base` or a subclass of it. */
  private isSubclass(className: string, base: string): boolean {
    const repo = this.model.cim.repository;
    const ns = this.model.cim.namespace;
    return repo.hasClass(ns, className) && repo.isSubclassOf(ns, className, base);
  }

  private removeResourceSettings(params: ParamValue[]): MethodResult {
    const refs = methodParam(params, 'ResourceSettings');
    if (!Array.isArray(refs) || refs.length === 0) throw invalid('ResourceSettings needs at least one TVDc_ResourceAllocationSettingData reference');
    for (const ref of refs) {
      const id = ref instanceof Object && 'key' in ref ? (ref as CimObjectPath).key('InstanceID') : undefined;
      const m = typeof id === 'string' ? /^TVDc:([^:]+):(disk|nic):(.+)$/.exec(id) : null;
      // A vTPM lives and goes with its VM (DestroySystem), as AddResourceSettings says too.
      if (typeof id === 'string' && /^TVDc:[^:]+:tpm:/.test(id)) throw new MethodRefusal(1, `ResourceSettings: '${id}' is the VM's vTPM, which is not removed this way: it goes with the VM (DestroySystem)`);
      if (!m) throw invalid(`ResourceSettings: '${String(id)}' is not a TVDc:<vm>:disk|nic:<name> InstanceID`);
      if (m[2] === 'disk') this.model.service.detachDisk(m[1]!, m[3]!);
      else this.model.service.detachInterface(m[1]!, m[3]!);
    }
    return { returnValue: 0 };
  }
}

/** The index in DefineSystem's resources of the one the domain refused, if a resource was refused. */
function resourceIndex(e: unknown): number | undefined {
  const d = e instanceof TvdcError ? e.details : undefined;
  const i = typeof d === 'object' && d !== null ? (d as { resourceIndex?: unknown }).resourceIndex : undefined;
  return typeof i === 'number' ? i : undefined;
}
