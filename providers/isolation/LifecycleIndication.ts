// The DSP1054 life-cycle indication of one instance of this host (CIM_InstCreation,
// CIM_InstModification, CIM_InstDeletion), with the instance embedded so that a subscriber can
// filter on `SourceInstance ISA <class>`. VMs and migration jobs announce their changes with it.
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { IsolationModel } from './IsolationModel.js';

export type LifecycleClass = 'CIM_InstCreation' | 'CIM_InstModification' | 'CIM_InstDeletion';

/** `previous`, for a modification: the instance as it was before (PreviousInstance). */
export function lifecycleIndication(model: IsolationModel, className: LifecycleClass, source: CimInstance, previous?: CimInstance): CimInstance {
  return model.cim.instance(className, {
    IndicationTime: CimDateTime.fromDate(new Date()),
    SourceInstance: source,
    SourceInstanceModelPath: source.path!.toString(),
    SourceInstanceHost: model.hostName,
    ...(previous ? { PreviousInstance: previous } : {}),
  });
}
