// Wires the isolation side of a host agent: opens the host's IsolationService on the agent's
// SQLite store (so a restart with the same --state restores policy, labels, VMs and Chinese Wall
// counts), registers every isolation class's provider in root/tvdc, advertises the "TVDc
// Isolation" profile, and forwards every denial as a TVDc_AccessDeniedIndication and every VM
// life-cycle step as a CIM_InstCreation / InstModification / InstDeletion.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WbemServer } from '../../src/wbem/WbemServer.js';
import type { Db } from '../../src/store/Store.js';
import type { KeyObject } from 'node:crypto';
import { MigrationAuthority } from '../../src/tvdc/MigrationAuthority.js';
import { IsolationService } from '../../src/tvdc/hypervisor/IsolationService.js';
import { CimFactory, TVDC_NAMESPACE } from './CimFactory.js';
import { IsolationModel } from './IsolationModel.js';
import { CLASS } from './IsolationPaths.js';
import { ComputerSystemProvider } from './ComputerSystemProvider.js';
import { ManagementServiceProvider } from './ManagementServiceProvider.js';
import { MigrationServiceProvider } from './MigrationServiceProvider.js';
import { MigrationJobProvider } from './MigrationJobProvider.js';
import { migrationJobTable } from './MigrationJob.js';
import { VtpmMigrationKeysSlot } from './VtpmMigrationKeys.js';
import { SecurityServiceProvider } from './SecurityServiceProvider.js';
import { LogicalDiskProvider } from './LogicalDiskProvider.js';
import { NetworkSegmentProvider } from './NetworkSegmentProvider.js';
import { listProvider } from './listProvider.js';
import { isolationAssociations, type AssociationPart } from './IsolationAssociations.js';
import { accessDeniedIndication } from './AccessDeniedIndication.js';
import { vmLifecycleIndications } from './VmLifecycleIndications.js';

export interface IsolationSetup {
  name: string;
  stateDir: string | null;
  hypervisor: string;
  /** DefineSystem takes a vTPM allocation only where the integrity side makes vTPMs. */
  vtpm: 'swtpm' | 'off';
  store: Db;
  /** The management server whose migration authorizations a non-admin caller needs (--manager-key); null: none. */
  managerKey?: KeyObject | null;
}

export interface IsolationRegistration {
  /** The host's isolation domain (the integrity side follows its VMs through lifecycle listeners). */
  service: IsolationService;
  model: IsolationModel;
  /** Association links for classes other domains contribute to as well; the caller registers them. */
  associations: AssociationPart[];
  /**
   * Where the integrity side's vTPM migration keys are attached once it is registered (it comes
   * second); until then, and with --vtpm off, VMs migrate without a vTPM to carry.
   */
  vtpmMigrationKeys: VtpmMigrationKeysSlot;
  close(): Promise<void>;
}

export const ISOLATION_PROFILE = { organization: 1, otherOrganization: 'TVDc', name: 'TVDc Isolation', version: '1.0.0' } as const;

export function registerIsolation(server: WbemServer, setup: IsolationSetup): IsolationRegistration {
  if (setup.hypervisor !== 'sim') throw new Error(`hypervisor '${setup.hypervisor}' is not available; this build has: sim`);
  // Disk images live under the state directory; without one, in a private temporary directory,
  // never wherever a client's ImagePath points (Sanitize overwrites the file).
  let diskDirectory: string;
  let tempDisks: string | null = null;
  if (setup.stateDir) {
    diskDirectory = join(setup.stateDir, 'disks');
    mkdirSync(diskDirectory, { recursive: true });
  } else {
    diskDirectory = tempDisks = mkdtempSync(join(tmpdir(), 'tvdc-disks-'));
  }
  const service = IsolationService.open({ db: setup.store, hostName: setup.name, diskDirectory });
  const model = new IsolationModel(service, new CimFactory(server.repository, TVDC_NAMESPACE));

  const ns = TVDC_NAMESPACE;
  const reg = (cls: string, p: Parameters<WbemServer['registerProvider']>[2]): void => server.registerProvider(ns, cls, p);
  reg(CLASS.host, listProvider(() => [model.host()]));
  reg(CLASS.vm, new ComputerSystemProvider(model));
  reg(CLASS.vssd, listProvider(() => service.listVms().map((v) => model.vssd(v))));
  reg(CLASS.disk, new LogicalDiskProvider(model));
  reg(CLASS.segment, new NetworkSegmentProvider(model));
  reg(CLASS.policy, listProvider(() => model.policies()));
  reg(CLASS.label, listProvider(() => model.labels()));
  reg(CLASS.conflictSet, listProvider(() => model.conflictSets()));
  reg(CLASS.securityService, new SecurityServiceProvider(model));
  reg(CLASS.managementService, new ManagementServiceProvider(model, { vtpm: setup.vtpm === 'swtpm' }));
  const vtpmMigrationKeys = new VtpmMigrationKeysSlot();
  const migrationJobs = migrationJobTable(model, (i) => server.emitIndication(ns, i));
  reg(CLASS.migrationService, new MigrationServiceProvider(model, vtpmMigrationKeys, migrationJobs, new MigrationAuthority(setup.managerKey ?? null, setup.store, setup.name)));
  reg(CLASS.migrationJob, new MigrationJobProvider(model, migrationJobs));
  reg(CLASS.managementCapabilities, listProvider(() => [model.managementCapabilities()]));
  reg(CLASS.migrationCapabilities, listProvider(() => [model.migrationCapabilities()]));
  reg(CLASS.stateCapabilities, listProvider(() => [model.stateCapabilities()]));

  server.interop.addProfile({ ...ISOLATION_PROFILE, centralClass: CLASS.securityService, centralNamespace: ns });
  server.interop.addProfile({ organization: 2, name: 'System Virtualization', version: '1.0.0', centralClass: CLASS.host, centralNamespace: ns });
  server.interop.addProfile({ organization: 2, name: 'Virtual System', version: '1.0.0', centralClass: CLASS.vm, centralNamespace: ns });
  server.interop.addProfile({ organization: 2, name: 'Virtual System Migration', version: '1.0.0', centralClass: CLASS.migrationService, centralNamespace: ns });
  // System Virtualization references (Dependent) the profiles whose services sit on its host
  // (Antecedent, the DMTF direction): its component profiles Virtual System (DSP1057, the VMs) and
  // Virtual System Migration (DSP1081, which it scopes), and tvdc's own. The server registers
  // Indications (DSP1054) only when indications are attached; until then that link does not show.
  const systemVirtualization = { organization: 2, name: 'System Virtualization' } as const;
  server.interop.addProfileReference({ organization: 2, name: 'Virtual System' }, systemVirtualization);
  server.interop.addProfileReference({ organization: 2, name: 'Virtual System Migration' }, systemVirtualization);
  server.interop.addProfileReference(ISOLATION_PROFILE, systemVirtualization);
  server.interop.addProfileReference({ organization: 2, name: 'Indications', version: '1.2.2' }, systemVirtualization);

  const unsubscribe = service.onDenied((ev) => {
    try {
      server.emitIndication(ns, accessDeniedIndication(model, ev));
    } catch (e) {
      // The refusal itself stands and is in the audit log; only its announcement failed.
      console.error(`tvdc isolation: could not raise TVDc_AccessDeniedIndication: ${(e as Error).message}`);
    }
  });

  const removeLifecycle = service.addLifecycleListener(vmLifecycleIndications(model, (i) => server.emitIndication(ns, i)));

  return {
    service,
    model,
    // The RASD class is shared like an association: the integrity side adds each vTPM's RASD.
    associations: [...isolationAssociations(model, migrationJobs), { className: CLASS.rasd, links: () => service.listVms().flatMap((v) => model.rasds(v)) }],
    vtpmMigrationKeys,
    close: async () => {
      unsubscribe();
      removeLifecycle();
      service.close();
      if (tempDisks) rmSync(tempDisks, { recursive: true, force: true });
    },
  };
}
