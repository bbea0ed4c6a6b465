// A new measurement as a TVDc_IntegrityIndication (a CIM_AlertIndication: AlertType 8 Security
// Alert, ProbableCause 123 Information Modification), so a management server subscribed to them
// learns of every program a VM or host runs as it happens and can judge it at once; and a TPM that
// died on its own, with what the host did about it (the VM stopped).
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { ImaEntry } from '../../src/tvdc/integrity/ImaEntry.js';
import type { IntegrityTarget } from '../../src/tvdc/vtpm/HostIntegrity.js';
import type { TpmLoss } from '../../src/tvdc/vtpm/TpmLoss.js';
import type { IntegrityModel } from './IntegrityModel.js';
import { CLASS } from './IntegrityPaths.js';

/** PerceivedSeverity 2 Information: the host only reports; verdicts are the challenger's. */
const SEVERITY_INFORMATION = 2;
/** Verdict 0 Unknown: not judged on the host. */
const VERDICT_UNJUDGED = 0;

/** What every TVDc_IntegrityIndication says alike: a Security Alert about `system`, raised by this host at `now`. */
function securityAlert(model: IntegrityModel, system: CimObjectPath, now: Date): Record<string, unknown> {
  return {
    IndicationTime: CimDateTime.fromDate(now),
    EventTime: CimDateTime.fromDate(now),
    AlertType: 8,
    AlertingManagedElement: system.toString(),
    AlertingElementFormat: 2,
    SystemCreationClassName: CLASS.host,
    SystemName: model.hostName,
    ProviderName: 'tvdc integrity',
    OwningEntity: 'TVDc',
    Verdict: VERDICT_UNJUDGED,
  };
}

export function integrityIndication(model: IntegrityModel, target: IntegrityTarget, e: ImaEntry): CimInstance {
  const now = new Date();
  const system = model.paths.system(target);
  const digest = e.templateName === 'ima' ? e.fileDigest : `${e.fileAlg}:${e.fileDigest}`;
  const who = target.kind === 'vm' ? `VM ${target.name}` : `host ${model.hostName}`;
  return model.cim.instance(CLASS.indication, {
    ...securityAlert(model, system, now),
    IndicationIdentifier: `TVDc:${model.hostName}:measured:${model.paths.systemId(target)}:${e.index}`,
    ProbableCause: 123,
    ProbableCauseDescription: 'new measurement',
    PerceivedSeverity: SEVERITY_INFORMATION,
    MessageID: 'TVDC-INTEGRITY-MEASUREMENT',
    Message: `${who} measured ${e.path} (${digest}) into PCR ${e.pcr}`,
    MessageArguments: [system.toString(), e.path, digest, String(e.pcr), String(e.index)],
    Description: `new measurement in the IMA list of ${who}: entry ${e.index}, ${e.path}`,
    PCRIndex: e.pcr,
    FilePath: e.path,
    Digest: digest,
    LogIndex: BigInt(e.index),
  });
}

/** ProbableCause 48: Software Program Abnormally Terminated (the swtpm process). */
const CAUSE_PROGRAM_TERMINATED = 48;
/** PerceivedSeverity 6 Critical: the VM lost its TPM (and was stopped), or the host its own. */
const SEVERITY_CRITICAL = 6;

/**
 * A TPM that died on its own and what the host did (TpmLoss): a Security Alert, Critical, whose
 * IndicationIdentifier `TVDc:<host>:tpm-lost:<vm|host>:<name>:<ms>` no measurement's can match.
 */
export function tpmLossIndication(model: IntegrityModel, loss: TpmLoss): CimInstance {
  const now = new Date();
  const system = model.paths.system(loss.target);
  return model.cim.instance(CLASS.indication, {
    ...securityAlert(model, system, now),
    IndicationIdentifier: `TVDc:${model.hostName}:tpm-lost:${model.paths.systemId(loss.target)}:${now.getTime()}`,
    ProbableCause: CAUSE_PROGRAM_TERMINATED,
    ProbableCauseDescription: loss.cause === 'not-resumed' ? 'vTPM state not resumable after an agent restart' : loss.target.kind === 'vm' ? 'vTPM process ended' : 'host TPM process ended',
    PerceivedSeverity: SEVERITY_CRITICAL,
    MessageID: 'TVDC-INTEGRITY-TPM-LOST',
    Message: loss.message,
    MessageArguments: [system.toString(), loss.action, loss.cause === 'not-resumed' ? 'not-resumed' : loss.exitCode === null ? 'signal' : String(loss.exitCode)],
    Description: loss.message,
  });
}
