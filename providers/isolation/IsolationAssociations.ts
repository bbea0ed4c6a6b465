// The associations that let DMTF-profile clients walk the isolation model (PROFILES.md section 3):
// host -> VMs, services, disks, segments and policies; VM -> settings (and through their
// allocations the disks it uses), capabilities, segments and label; policy -> labels and conflict
// sets; migration service -> its jobs -> the VM each moves (DSP1081 job control). Each is computed
// from the domain on each call, so a link can never outlive what it links.
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { IsolationModel } from './IsolationModel.js';
import { migrationJobPath, type MigrationJobs } from './MigrationJob.js';
import { CLASS } from './IsolationPaths.js';

/** One association class and the links the isolation side contributes to it. */
export interface AssociationPart {
  className: string;
  links(): CimInstance[];
}

/** ElementSettingData / ElementCapabilities role values: 1 Is Default / Is Current / Is Next. */
const YES = 1;

/** CIM_AffectedJobElement.ElementEffects 2 Exclusive Use: no second migration of a VM starts while its job runs. */
const EXCLUSIVE_USE = 2;

export function isolationAssociations(model: IsolationModel, jobs: MigrationJobs): AssociationPart[] {
  const p = model.paths;
  const s = model.service;
  const make = (cls: string, values: Record<string, unknown>): CimInstance => model.cim.instance(cls, values);
  const services = [CLASS.securityService, CLASS.managementService, CLASS.migrationService] as const;
  const labeled = (): { path: CimObjectPath; label: CimObjectPath | null }[] =>
    model.labeledElements().map(({ el, label }) => ({ path: p.of(el), label: model.labelPathOf(el.kind, label) }));

  return [
    {
      className: 'TVDc_ElementSecurityLabel',
      links: () => labeled().filter((l) => l.label !== null).map((l) => make('TVDc_ElementSecurityLabel', { SecurityLevel: l.label, ManagedElement: l.path })),
    },
    {
      // DSP1042: the host is the Antecedent ("the scoping ManagedElement"), each VM a Dependent.
      className: 'TVDc_HostedDependency',
      links: () => s.listVms().map((v) => make('TVDc_HostedDependency', { Antecedent: p.host(), Dependent: p.vm(v.name) })),
    },
    {
      className: 'TVDc_HostedService',
      links: () => services.map((c) => make('TVDc_HostedService', { Antecedent: p.host(), Dependent: p.service(c) })),
    },
    {
      // The management service manages every VM (5 Manages); the security service governs everything labeled and the policy.
      className: 'TVDc_ServiceAffectsElement',
      links: () => [
        ...s.listVms().map((v) => make('TVDc_ServiceAffectsElement', { AffectingElement: p.service(CLASS.managementService), AffectedElement: p.vm(v.name), ElementEffects: [5] })),
        ...s.listVms().map((v) => make('TVDc_ServiceAffectsElement', { AffectingElement: p.service(CLASS.migrationService), AffectedElement: p.vm(v.name), ElementEffects: [5] })),
        ...labeled().map((l) => make('TVDc_ServiceAffectsElement', { AffectingElement: p.service(CLASS.securityService), AffectedElement: l.path, ElementEffects: [5] })),
        make('TVDc_ServiceAffectsElement', { AffectingElement: p.service(CLASS.securityService), AffectedElement: model.activePolicyPath(), ElementEffects: [5] }),
      ],
    },
    {
      // Every job the table keeps was started by MigrateVirtualSystemToHost of this host's migration service.
      className: 'TVDc_OwningJobElement',
      links: () => jobs.list().map((j) => make('TVDc_OwningJobElement', { OwningElement: p.service(CLASS.migrationService), OwnedElement: migrationJobPath(model, j.id) })),
    },
    {
      // Only while the VM is here: a completed job's VM runs elsewhere, and a VM of that name defined
      // here later is another VM; a job that did not complete left its VM here (unless the agent
      // restarted after the VM had left, when getVm finds nothing).
      className: 'TVDc_AffectedJobElement',
      links: () => jobs.list()
        .filter((j) => j.state !== 'completed' && s.getVm(j.detail.vm) !== undefined)
        .map((j) => make('TVDc_AffectedJobElement', { AffectingElement: migrationJobPath(model, j.id), AffectedElement: p.vm(j.detail.vm), ElementEffects: [EXCLUSIVE_USE] })),
    },
    {
      // CIM_SystemDevice is a weak aggregation whose GroupComponent is Max(1): a disk's one parent is the
      // host its keys name. A VM's use of a disk is its allocation (DSP1042): VM -> its settings -> the
      // RASD whose HostResource names the disk, so a disk shared by two VMs still has one parent.
      className: 'TVDc_SystemDevice',
      links: () => s.listDisks().map((d) => make('TVDc_SystemDevice', { GroupComponent: p.host(), PartComponent: p.disk(d.name) })),
    },
    {
      className: 'TVDc_SettingsDefineState',
      links: () => s.listVms().map((v) => make('TVDc_SettingsDefineState', { ManagedElement: p.vm(v.name), SettingData: p.vssd(v.name) })),
    },
    {
      className: 'TVDc_ElementSettingData',
      links: () => s.listVms().map((v) => make('TVDc_ElementSettingData', { ManagedElement: p.vm(v.name), SettingData: p.vssd(v.name), IsDefault: YES, IsCurrent: YES, IsNext: YES })),
    },
    {
      className: 'TVDc_VirtualSystemSettingDataComponent',
      links: () => s.listVms().flatMap((v) => model.rasds(v).map((r) => make('TVDc_VirtualSystemSettingDataComponent', { GroupComponent: p.vssd(v.name), PartComponent: r.path }))),
    },
    {
      className: 'TVDc_ElementCapabilities',
      links: () => [
        make('TVDc_ElementCapabilities', { ManagedElement: p.service(CLASS.managementService), Capabilities: p.capabilities(CLASS.managementCapabilities, 'VirtualSystemManagementCapabilities'), Characteristics: [2] }),
        make('TVDc_ElementCapabilities', { ManagedElement: p.service(CLASS.migrationService), Capabilities: p.capabilities(CLASS.migrationCapabilities, 'VirtualSystemMigrationCapabilities'), Characteristics: [2] }),
        ...s.listVms().map((v) => make('TVDc_ElementCapabilities', { ManagedElement: p.vm(v.name), Capabilities: p.capabilities(CLASS.stateCapabilities, 'VirtualSystemStateCapabilities'), Characteristics: [2] })),
      ],
    },
    {
      className: 'TVDc_HostedCollection',
      links: () => s.listSegments().map((g) => make('TVDc_HostedCollection', { Antecedent: p.host(), Dependent: p.segment(g.name) })),
    },
    {
      className: 'TVDc_MemberOfCollection',
      links: () => s.listVms().flatMap((v) => v.segments.map((g) => make('TVDc_MemberOfCollection', { Collection: p.segment(g), Member: p.vm(v.name) }))),
    },
    {
      className: 'TVDc_PolicyGroupInSystem',
      links: () => model.policies().map((pol) => make('TVDc_PolicyGroupInSystem', { Antecedent: p.host(), Dependent: pol.path })),
    },
    {
      className: 'TVDc_PolicySetComponent',
      links: () => model.conflictSets().map((cs) => make('TVDc_PolicySetComponent', { GroupComponent: model.activePolicyPath(), PartComponent: cs.path })),
    },
    {
      className: 'TVDc_ConcreteDependency',
      links: () => model.labels().map((l) => make('TVDc_ConcreteDependency', { Antecedent: model.activePolicyPath(), Dependent: l.path })),
    },
    {
      className: 'TVDc_PolicySetAppliesToElement',
      links: () => labeled().map((l) => make('TVDc_PolicySetAppliesToElement', { PolicySet: model.activePolicyPath(), ManagedElement: l.path })),
    },
  ];
}
