// TVDc_VirtualSystemManagementService (DSP1042): DefineSystem from an embedded
// TVDc_VirtualSystemSettingData (ElementName = VM name, SecurityLabel as ACM:<policy>:<label> or a
// bare name), DestroySystem (which first stops a running VM, as DSP1042 asks), ModifySystemSettings
// (relabels a stopped VM), and AddResourceSettings / RemoveResourceSettings to give a VM a disk or
// a network interface: the management VM's hook, so the policy decides (Figure 3 cases 4 and 5).
// A failure of the method itself answers with its DSP1042 ValueMap return code and the out
// parameter Reason, so a client branching on the return value sees it; only a fault that is not the
// method's outcome (an unexpected error) is a CIM error.
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { MethodResult, ParamValue, Provider, ProviderContext } from '../../src/wbem/Provider.js';
import { TvdcError } from '../../src/tvdc/TvdcError.js';
import { CLASS } from './IsolationPaths.js';
import { IsolationModel } from './IsolationModel.js';
import { parseLabel } from './LabelText.js';
import { failureResult, type ReturnCodes } from './TvdcErrorMap.js';
import { methodParam } from './methodParam.js';

/** A refusal the provider decides itself, before the domain is asked: its return code and Reason. */
class Refusal extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

const invalid = (text: string): Refusal => new Refusal(4, text);

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

export class ManagementServiceProvider implements Provider {
  constructor(private readonly model: IsolationModel) {}

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
      if (e instanceof Refusal) return reason(e.code, e.message);
      // A REF parameter that names no element of the right class (IsolationPaths) is bad input to this method.
      if (e instanceof CimError && e.status === CimStatus.CIM_ERR_INVALID_PARAMETER) return reason(4, e.description);
      return failureResult(e, CODES[method] ?? {});
    }
  }

  private async defineSystem(params: ParamValue[]): Promise<MethodResult> {
    const settings = methodParam(params, 'SystemSettings');
    if (!(settings instanceof CimInstance)) throw invalid('SystemSettings must be an embedded TVDc_VirtualSystemSettingData instance');
    const repo = this.model.cim.repository;
    const ns = this.model.cim.namespace;
    if (!repo.hasClass(ns, settings.className) || !repo.isSubclassOf(ns, settings.className, 'CIM_VirtualSystemSettingData'))
      throw invalid(`SystemSettings is a ${settings.className}, not a TVDc_VirtualSystemSettingData`);
    const resources = methodParam(params, 'ResourceSettings');
    if (Array.isArray(resources) && resources.length > 0)
      throw new Refusal(1, 'ResourceSettings are not supported: define the VM, then label and attach its resources');
    if (methodParam(params, 'ReferenceConfiguration') !== null) throw new Refusal(1, 'ReferenceConfiguration is not supported');
    const text = (n: string): string | undefined => {
      const v = settings.get(n);
      return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
    };
    const name = text('ElementName') ?? text('VirtualSystemIdentifier');
    if (!name) throw invalid('SystemSettings.ElementName (the VM name) is required');
    const labelText = text('SecurityLabel');
    const label = labelText === undefined ? undefined : parseLabel(labelText, this.model.policyName());
    const vm = await this.model.service.defineVm(name, label);
    return { returnValue: 0, outParams: [{ name: 'ResultingSystem', value: this.model.paths.vm(vm.name) }] };
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
    const wanted = settings.map((r, i) => this.resource(r, i));
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

  /** A disk (ResourceType 31 or 17, HostResource its DeviceID or path) or an interface (10 or 33, Connection the segment). */
  private resource(r: unknown, i: number): { kind: 'disk' | 'nic'; name: string } {
    if (!(r instanceof CimInstance)) throw invalid(`ResourceSettings[${i}] is not an embedded instance`);
    const type = Number(r.get('ResourceType'));
    const first = (n: string): string | undefined => {
      const v = r.get(n);
      const x = Array.isArray(v) ? v[0] : v;
      return typeof x === 'string' && x.trim() !== '' ? x.trim() : undefined;
    };
    if (type === IsolationModel.RESOURCE_TYPE.disk || type === 17) {
      const host = first('HostResource') ?? first('ElementName');
      if (!host) throw invalid(`ResourceSettings[${i}]: a disk needs HostResource (the disk's DeviceID or path)`);
      const m = /DeviceID="([^"]+)"/.exec(host);
      return { kind: 'disk', name: m ? m[1]! : host };
    }
    if (type === IsolationModel.RESOURCE_TYPE.nic || type === 33) {
      const seg = first('Connection') ?? first('ElementName');
      if (!seg) throw invalid(`ResourceSettings[${i}]: an interface needs Connection (the network segment's name)`);
      return { kind: 'nic', name: seg.replace(/^TVDc:segment:/, '') };
    }
    throw new Refusal(1, `ResourceSettings[${i}]: ResourceType ${Number.isNaN(type) ? '(none)' : type} is not supported; give 31 (a disk) or 10 (a network interface) (a vTPM, ResourceType 1 with OtherResourceType TPM, is not added: DefineSystem makes it with the VM on a host run with --vtpm swtpm)`);
  }

  private removeResourceSettings(params: ParamValue[]): MethodResult {
    const refs = methodParam(params, 'ResourceSettings');
    if (!Array.isArray(refs) || refs.length === 0) throw invalid('ResourceSettings needs at least one TVDc_ResourceAllocationSettingData reference');
    for (const ref of refs) {
      const id = ref instanceof Object && 'key' in ref ? (ref as CimObjectPath).key('InstanceID') : undefined;
      const m = typeof id === 'string' ? /^TVDc:([^:]+):(disk|nic):(.+)$/.exec(id) : null;
      // A vTPM lives and goes with its VM (DestroySystem), as AddResourceSettings says too.
      if (typeof id === 'string' && /^TVDc:[^:]+:tpm:/.test(id)) throw new Refusal(1, `ResourceSettings: '${id}' is the VM's vTPM, which is not removed this way: it goes with the VM (DestroySystem)`);
      if (!m) throw invalid(`ResourceSettings: '${String(id)}' is not a TVDc:<vm>:disk|nic:<name> InstanceID`);
      if (m[2] === 'disk') this.model.service.detachDisk(m[1]!, m[3]!);
      else this.model.service.detachInterface(m[1]!, m[3]!);
    }
    return { returnValue: 0 };
  }
}
