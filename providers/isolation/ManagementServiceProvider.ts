// TVDc_VirtualSystemManagementService (DSP1042): DefineSystem from an embedded
// TVDc_VirtualSystemSettingData (ElementName = VM name, SecurityLabel as ACM:<policy>:<label> or a
// bare name) and DestroySystem, which first stops a running VM as DSP1042 asks.
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { MethodResult, ParamValue, Provider, ProviderContext } from '../../src/wbem/Provider.js';
import { TvdcError } from '../../src/tvdc/TvdcError.js';
import type { IsolationModel } from './IsolationModel.js';
import { CLASS } from './IsolationPaths.js';
import { parseLabel } from './LabelText.js';
import { toCimError } from './TvdcErrorMap.js';

function param(params: ParamValue[], name: string): ParamValue['value'] {
  return params.find((p) => p.name.toLowerCase() === name.toLowerCase())?.value ?? null;
}

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
        default: return { returnValue: 1 };
      }
    } catch (e) {
      // Bad input and refusals carry their reason in the CIM error: DSP1042 gives these methods no out text.
      throw toCimError(e);
    }
  }

  private async defineSystem(params: ParamValue[]): Promise<MethodResult> {
    const settings = param(params, 'SystemSettings');
    if (!(settings instanceof CimInstance)) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, 'SystemSettings must be an embedded TVDc_VirtualSystemSettingData instance');
    const repo = this.model.cim.repository;
    const ns = this.model.cim.namespace;
    if (!repo.hasClass(ns, settings.className) || !repo.isSubclassOf(ns, settings.className, 'CIM_VirtualSystemSettingData'))
      throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `SystemSettings is a ${settings.className}, not a TVDc_VirtualSystemSettingData`);
    const resources = param(params, 'ResourceSettings');
    if (Array.isArray(resources) && resources.length > 0)
      throw new CimError(CimStatus.CIM_ERR_NOT_SUPPORTED, 'ResourceSettings are not supported: define the VM, then label and attach its resources');
    if (param(params, 'ReferenceConfiguration') !== null) throw new CimError(CimStatus.CIM_ERR_NOT_SUPPORTED, 'ReferenceConfiguration is not supported');
    const text = (n: string): string | undefined => {
      const v = settings.get(n);
      return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
    };
    const name = text('ElementName') ?? text('VirtualSystemIdentifier');
    if (!name) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, 'SystemSettings.ElementName (the VM name) is required');
    const labelText = text('SecurityLabel');
    const label = labelText === undefined ? undefined : parseLabel(labelText, this.model.policyName());
    const vm = await this.model.service.defineVm(name, label);
    return { returnValue: 0, outParams: [{ name: 'ResultingSystem', value: this.model.paths.vm(vm.name) }] };
  }

  private async destroySystem(params: ParamValue[]): Promise<MethodResult> {
    const target = param(params, 'AffectedSystem');
    const name = this.model.paths.element(target as CimObjectPath | null, 'AffectedSystem', ['vm']).name;
    const vm = this.model.service.getVm(name);
    if (!vm) throw new TvdcError('NOT_FOUND', `no VM '${name}' on host '${this.model.hostName}'`);
    if (vm.state !== 'stopped') await this.model.service.stopVm(name);
    await this.model.service.destroyVm(name);
    return { returnValue: 0 };
  }
}
