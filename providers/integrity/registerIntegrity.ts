// Wires the integrity side of a host agent: with --vtpm swtpm, opens the host's vTPMs under the
// state directory (recovering them after a crash), makes them follow the isolation service's VMs,
// registers the integrity classes' providers in root/tvdc, advertises the "TVDc Integrity"
// profile, and raises a TVDc_IntegrityIndication for every new measurement.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WbemServer } from '../../src/wbem/WbemServer.js';
import type { IsolationService } from '../../src/tvdc/hypervisor/IsolationService.js';
import { HostIntegrity } from '../../src/tvdc/vtpm/HostIntegrity.js';
import { CimFactory, TVDC_NAMESPACE } from '../isolation/CimFactory.js';
import { listProvider } from '../isolation/listProvider.js';
import { AttestationServiceProvider } from './AttestationServiceProvider.js';
import { integrityAssociations, type IntegrityAssociationPart } from './IntegrityAssociations.js';
import { integrityIndication, tpmLossIndication } from './IntegrityIndication.js';
import { IntegrityModel } from './IntegrityModel.js';
import { CLASS } from './IntegrityPaths.js';
import { measurementEntryProvider, measurementLogProvider, pcrProvider } from './MeasurementProviders.js';
import { VtpmManagementServiceProvider } from './VtpmManagementServiceProvider.js';

export interface IntegritySetup {
  name: string;
  stateDir: string | null;
  vtpm: 'swtpm' | 'off';
}

export interface IntegrityRegistration {
  /** null with --vtpm off. */
  integrity: HostIntegrity | null;
  model: IntegrityModel;
  /**
   * Instances of classes other domains serve too, for the caller to merge: the association links,
   * and the vTPMs' RASDs (TVDc_ResourceAllocationSettingData, whose disk and NIC instances are
   * the isolation side's; the registry holds one provider per class).
   */
  associations: IntegrityAssociationPart[];
  close(): Promise<void>;
}

export const INTEGRITY_PROFILE = { organization: 1, otherOrganization: 'TVDc', name: 'TVDc Integrity', version: '1.0.0' } as const;

export async function registerIntegrity(server: WbemServer, setup: IntegritySetup, isolation: IsolationService): Promise<IntegrityRegistration> {
  const ns = TVDC_NAMESPACE;
  let integrity: HostIntegrity | null = null;
  // Without --state the vTPMs live in a private temporary directory, gone at shutdown.
  let tempState: string | null = null;
  if (setup.vtpm === 'swtpm') {
    const stateDir = setup.stateDir ?? (tempState = mkdtempSync(join(tmpdir(), 'tvdc-vtpm-')));
    try {
      integrity = await HostIntegrity.open({ stateDir, hostName: setup.name, vms: { getVm: (n) => isolation.getVm(n), listVms: () => isolation.listVms(), stopVm: (n) => isolation.stopVm(n) } });
    } catch (e) {
      if (tempState) rmSync(tempState, { recursive: true, force: true });
      throw e;
    }
    reportRecovery(integrity);
  }
  const model = new IntegrityModel(integrity, new CimFactory(server.repository, ns), setup.name);
  const reg = (cls: string, p: Parameters<WbemServer['registerProvider']>[2]): void => server.registerProvider(ns, cls, p);
  reg(CLASS.vtpm, listProvider(() => model.vtpms()));
  reg(CLASS.hostTpm, listProvider(() => model.hostTpm()));
  reg(CLASS.vtpmService, new VtpmManagementServiceProvider(model));
  reg(CLASS.attestationService, new AttestationServiceProvider(model));
  reg(CLASS.pcr, pcrProvider(model));
  reg(CLASS.log, measurementLogProvider(model));
  reg(CLASS.entry, measurementEntryProvider(model));

  const undo: Array<() => void> = [];
  if (integrity) {
    // Both central classes derive from TVDc_IntegrityService: naming it advertises both services.
    server.interop.addProfile({ ...INTEGRITY_PROFILE, centralClass: CLASS.integrityService, centralNamespace: ns });
    server.interop.addProfileReference(INTEGRITY_PROFILE, { organization: 2, name: 'System Virtualization' });
    undo.push(isolation.addLifecycleListener(integrity.lifecycleListener()));
    undo.push(integrity.onMeasurement((t, e) => {
      try {
        server.emitIndication(ns, integrityIndication(model, t, e));
      } catch (err) {
        // The measurement stands in the TPM and the log; only its announcement failed.
        console.error(`tvdc integrity: could not raise ${CLASS.indication}: ${(err as Error).message}`);
      }
    }));
    undo.push(integrity.onTpmLoss((loss) => {
      try {
        server.emitIndication(ns, tpmLossIndication(model, loss));
      } catch (err) {
        console.error(`tvdc integrity: could not raise ${CLASS.indication} for a lost TPM: ${(err as Error).message}`);
      }
    }));
    // vTPMs lost across the restart were acted on while the agent opened, before anyone could
    // listen: raised now, for the subscriptions the indication service kept across the restart.
    for (const loss of integrity.failStopped) {
      try {
        server.emitIndication(ns, tpmLossIndication(model, loss));
      } catch (err) {
        console.error(`tvdc integrity: could not raise ${CLASS.indication} for a TPM lost across the restart: ${(err as Error).message}`);
      }
    }
  }

  return {
    integrity,
    model,
    associations: [...integrityAssociations(model), { className: CLASS.rasd, links: () => model.vtpmRasds() }],
    close: async () => {
      for (const u of undo) u();
      await integrity?.close();
      if (tempState) rmSync(tempState, { recursive: true, force: true });
    },
  };
}

/** Tells the operator what the restart found: strays killed, vTPMs resumed, and any that failed. */
function reportRecovery(integrity: HostIntegrity): void {
  const { vms, host } = integrity.recovery;
  const killed = [...vms.killed, ...host.killed];
  const resumed = vms.restarted.filter((r) => r.resumed).length;
  if (killed.length) console.error(`tvdc integrity: killed ${killed.length} stray swtpm process(es) of an earlier agent (pids ${killed.join(', ')})`);
  if (vms.restarted.length) console.error(`tvdc integrity: ${vms.restarted.length} vTPM(s) running again, ${resumed} with their PCRs resumed`);
  for (const n of host.notResumed) console.error(`tvdc integrity: the host TPM could not resume (${n.reason}): it booted afresh, with a new measurement list`);
  for (const f of [...vms.failed, ...host.failed]) console.error(`tvdc integrity: vTPM ${f.id} could not be restarted: ${f.error}`);
}
