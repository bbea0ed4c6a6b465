// TVDc_NetworkSegment: the host's network segments, each an 802.1Q VLAN (VLANId) or a VXLAN (VNI)
// carrying one resource label. CreateInstance defines one (InstanceID TVDc:segment:<name>, or
// ElementName as the name); DeleteInstance removes it while no VM has an interface on it.
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { Provider, ProviderContext } from '../../src/wbem/Provider.js';
import type { IsolationModel } from './IsolationModel.js';
import { asCim } from './TvdcErrorMap.js';

export class NetworkSegmentProvider implements Provider {
  constructor(private readonly model: IsolationModel) {}

  enumerateInstances(): CimInstance[] {
    return this.model.service.listSegments().map((s) => this.model.segment(s));
  }

  createInstance(_ctx: ProviderContext, inst: CimInstance): Promise<CimObjectPath> {
    return asCim(() => {
      const id = inst.get('InstanceID');
      const element = inst.get('ElementName');
      let name: string | undefined;
      if (typeof id === 'string' && id !== '') name = this.model.paths.element(inst.path ?? this.model.cim.path('TVDc_NetworkSegment', { InstanceID: id }), 'InstanceID', ['segment']).name;
      else if (typeof element === 'string' && element !== '') name = element;
      if (!name) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, 'InstanceID (TVDc:segment:<name>) or ElementName is required');
      const vlan = inst.get('VLANId');
      const vni = inst.get('VNI');
      const hasVlan = vlan !== null && vlan !== undefined;
      const hasVni = vni !== null && vni !== undefined;
      if (hasVlan === hasVni) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, 'give exactly one of VLANId (802.1Q) and VNI (VXLAN)');
      const s = this.model.service.defineSegment({ name, kind: hasVlan ? 'vlan' : 'vxlan', segmentId: Number(hasVlan ? vlan : vni) });
      return this.model.paths.segment(s.name);
    });
  }

  deleteInstance(_ctx: ProviderContext, path: CimObjectPath): Promise<void> {
    return asCim(() => this.model.service.deleteSegment(this.model.paths.element(path, 'the instance', ['segment']).name));
  }
}
