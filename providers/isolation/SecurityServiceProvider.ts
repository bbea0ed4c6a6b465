// TVDc_SecurityService, the central class of the TVDc Isolation profile: SetPolicy and
// ActivatePolicy (out Errors, one entry per problem), AssignLabel / RemoveLabel / Sanitize (out
// Reason), and CheckAccess for VM-VM, VM-disk, VM-segment and VM-host pairs (out Permitted, Reason).
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { MethodResult, ParamValue, Provider, ProviderContext } from '../../src/wbem/Provider.js';
import type { PolicyResult } from '../../src/tvdc/hypervisor/IsolationService.js';
import type { IsolationModel } from './IsolationModel.js';
import { CLASS } from './IsolationPaths.js';
import { parseLabel } from './LabelText.js';
import { SECURITY_SERVICE_CODES, failureResult } from './TvdcErrorMap.js';
import { methodParam } from './methodParam.js';

export class SecurityServiceProvider implements Provider {
  constructor(private readonly model: IsolationModel) {}

  enumerateInstances(): CimInstance[] {
    return [this.model.serviceInstance(CLASS.securityService)];
  }

  async invokeMethod(ctx: ProviderContext, _path: CimObjectPath, method: string, params: ParamValue[]): Promise<MethodResult> {
    switch (method) {
      case 'SetPolicy': return this.setPolicy(params);
      case 'ActivatePolicy': return this.activatePolicy(params);
      case 'CheckAccess': return this.checkAccess(params);
      case 'AssignLabel':
      case 'RemoveLabel':
      case 'Sanitize':
        return this.change(ctx, method, params);
      default:
        throw new CimError(CimStatus.CIM_ERR_METHOD_NOT_AVAILABLE, `TVDc_SecurityService.${method} is not implemented`);
    }
  }

  /** 0: loaded (and active unless Activate=false); 2: refused, every problem in Errors; 4: no PolicyXML. */
  private setPolicy(params: ParamValue[]): MethodResult {
    const xml = methodParam(params, 'PolicyXML');
    if (typeof xml !== 'string' || xml.trim() === '') return { returnValue: 4, outParams: [{ name: 'Errors', value: ['PolicyXML is required: the policy in the Xen ACM XML format'] }] };
    const activate = methodParam(params, 'Activate') !== false;
    return this.policyResult(() => this.model.service.setPolicy(xml, { activate }));
  }

  /** Activates the loaded policy `Policy` names; naming the active one changes nothing. */
  private activatePolicy(params: ParamValue[]): MethodResult {
    const ref = methodParam(params, 'Policy') as CimObjectPath | null;
    const pending = this.model.service.pendingPolicy();
    if (ref !== null) {
      const name = ref.key('PolicyGroupName');
      const active = this.model.activePolicyPath().key('PolicyGroupName');
      if (name === active && !pending) return { returnValue: 0, outParams: [{ name: 'Errors', value: [] }] };
      const want = pending ? this.model.paths.policy(pending.header.name, pending.header.version, true).key('PolicyGroupName') : undefined;
      if (name !== want)
        return { returnValue: 4, outParams: [{ name: 'Errors', value: [`Policy names '${String(name)}', which is not the policy waiting for activation${want ? ` ('${want}')` : ' (there is none)'}`] }] };
    }
    if (!pending) return { returnValue: 5, outParams: [{ name: 'Errors', value: ['no policy is waiting for activation: load one with SetPolicy(PolicyXML, Activate=false)'] }] };
    return this.policyResult(() => this.model.service.activatePolicy());
  }

  private policyResult(run: () => PolicyResult): MethodResult {
    let r: PolicyResult;
    try {
      r = run();
    } catch (e) {
      return failureResult(e, SECURITY_SERVICE_CODES, 'Errors');
    }
    return { returnValue: r.ok ? 0 : 2, outParams: [{ name: 'Errors', value: r.errors }] };
  }

  /** A question, never a change: Permitted and Reason; return 0 whatever the answer. */
  private checkAccess(params: ParamValue[]): MethodResult {
    const subject = this.model.paths.element(methodParam(params, 'Subject') as CimObjectPath | null, 'Subject');
    const object = this.model.paths.element(methodParam(params, 'Object') as CimObjectPath | null, 'Object');
    try {
      const d = this.model.service.checkAccess(subject, object);
      return { returnValue: 0, outParams: [{ name: 'Permitted', value: d.permitted }, { name: 'Reason', value: d.reason }] };
    } catch (e) {
      return failureResult(e, SECURITY_SERVICE_CODES);
    }
  }

  private change(ctx: ProviderContext, method: 'AssignLabel' | 'RemoveLabel' | 'Sanitize', params: ParamValue[]): MethodResult {
    const s = this.model.service;
    try {
      if (method === 'Sanitize') {
        const disk = this.model.paths.element(methodParam(params, 'Disk') as CimObjectPath | null, 'Disk', ['disk']);
        s.sanitize(disk.name, ctx.user ?? 'local administrator');
      } else {
        const el = this.model.paths.element(methodParam(params, 'Element') as CimObjectPath | null, 'Element');
        if (method === 'RemoveLabel') s.removeLabel(el);
        else {
          const label = methodParam(params, 'Label');
          if (typeof label !== 'string') return { returnValue: 4, outParams: [{ name: 'Reason', value: 'Label is required (ACM:<policy>:<label> or a label name)' }] };
          s.assignLabel(el, parseLabel(label, this.model.policyName()));
        }
      }
      return { returnValue: 0 };
    } catch (e) {
      if (e instanceof CimError) throw e;
      return failureResult(e, SECURITY_SERVICE_CODES);
    }
  }
}
