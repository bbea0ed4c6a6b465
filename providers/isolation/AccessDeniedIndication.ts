// Turns the reference monitor's denial events into TVDc_AccessDeniedIndication instances (a
// CIM_AlertIndication: AlertType 8 Security Alert, ProbableCause 65 Unauthorized Access), so every
// refusal, whoever caused it, reaches the indication subscribers.
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { AccessDeniedEvent } from '../../src/tvdc/acm/AccessDeniedEvent.js';
import type { IsolationModel } from './IsolationModel.js';
import { CLASS } from './IsolationPaths.js';

/** PerceivedSeverity 3: the policy did its job; nothing is damaged, but someone should look. */
const SEVERITY_WARNING = 3;

export function accessDeniedIndication(model: IsolationModel, ev: AccessDeniedEvent): CimInstance {
  const subject = pathOfName(model, ev.subject);
  const object = ev.object === undefined ? undefined : pathOfName(model, ev.object);
  const policy = model.policyName();
  return model.cim.instance(CLASS.accessDenied, {
    IndicationIdentifier: `TVDc:${model.hostName}:denied:${ev.id}`,
    IndicationTime: CimDateTime.fromDate(ev.time),
    EventTime: CimDateTime.fromDate(ev.time),
    AlertType: 8,
    ProbableCause: 65,
    ProbableCauseDescription: `sHype ${ev.rule} rule`,
    PerceivedSeverity: SEVERITY_WARNING,
    AlertingManagedElement: subject.toString(),
    AlertingElementFormat: 2,
    SystemCreationClassName: CLASS.host,
    SystemName: model.hostName,
    ProviderName: 'tvdc isolation',
    OwningEntity: 'TVDc',
    MessageID: `TVDC-ACCESS-${ev.rule.toUpperCase()}`,
    Message: ev.reason,
    MessageArguments: [ev.operation, ev.subject, ev.object ?? ''],
    Description: `${ev.operation} denied by policy ${policy}: ${ev.reason}`,
    Operation: ev.operation,
    SubjectLabel: `ACM:${policy}:${ev.subjectLabel}`,
    ObjectPath: object?.toString(),
    ObjectLabel: ev.objectLabel === undefined || ev.objectLabel === '' ? undefined : `ACM:${policy}:${ev.objectLabel}`,
    Reason: ev.reason,
  });
}

/**
 * The path of a named element in an event. Events carry names only; the host, a VM, a disk or a
 * segment of this host is recognised, and anything else (a VM migrating in) is taken to be a VM.
 */
function pathOfName(model: IsolationModel, name: string): CimObjectPath {
  const s = model.service;
  const p = model.paths;
  if (s.getVm(name)) return p.vm(name);
  if (name === model.hostName) return p.host();
  if (s.listDisks().some((d) => d.name === name)) return p.disk(name);
  if (s.listSegments().some((g) => g.name === name)) return p.segment(name);
  return p.vm(name);
}
